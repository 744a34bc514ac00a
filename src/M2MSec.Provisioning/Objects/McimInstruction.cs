using System.Globalization;
using System.Security.Cryptography.X509Certificates;

namespace M2MSec.Provisioning.Objects;

/// <summary>The life-cycle operations a SHO may order for its own MCIM (issue 16; TR 33.812 MCIM life cycle).</summary>
public enum McimOperation
{
    Enable,
    Disable,
    Delete,
}

/// <summary>
/// What the SHO that owns an MCIM signs to change its state in one TRE: for whom (PCID, TRE id), which MCIM (IMSI), the
/// operation, the sequence number (per MCIM, strictly increasing: the TRE keeps the last one it applied sealed, so a replayed
/// instruction fails, also after a reboot) and the SHO. docs/decisions/019-mcim-life-cycle.md.
/// </summary>
public sealed record McimInstructionContent(string Pcid, string TreId, string Imsi, McimOperation Operation, ulong Sequence, string ShoId);

/// <summary>
/// The signed life-cycle instruction: the same XML Signature shape and hardened verification as <see cref="M2MSimMobj"/>.
/// <code>
/// &lt;McimInstruction xmlns="urn:m2msec:mcim-instruction:1"&gt;&lt;PCID/&gt;&lt;TREId/&gt;&lt;IMSI/&gt;&lt;Operation&gt;enable|disable|delete&lt;/Operation&gt;&lt;Sequence&gt;1&lt;/Sequence&gt;&lt;SHO/&gt;&lt;ds:Signature/&gt;&lt;/McimInstruction&gt;
/// </code>
/// </summary>
public static class McimInstruction
{
    public const string Namespace = "urn:m2msec:mcim-instruction:1";
    public const string RootName = "McimInstruction";

    /// <summary>Larger documents are refused before parsing (an instruction with a 4-certificate chain stays well below).</summary>
    public const int MaxDocumentLength = 16 * 1024;

    private static readonly ShoSignedXml Shape = new(RootName, Namespace, ["PCID", "TREId", "IMSI", "Operation", "Sequence", "SHO"], MaxDocumentLength);

    /// <summary>The signed instruction (UTF-8 XML) under <paramref name="signer"/> (with its private key; profile sho).</summary>
    public static byte[] Sign(McimInstructionContent content, X509Certificate2 signer, X509Certificate2Collection? chain = null)
    {
        ArgumentNullException.ThrowIfNull(content);
        ArgumentNullException.ThrowIfNull(signer);
        CheckContent(content, e => new ArgumentException(e, nameof(content)));
        string[] values = [content.Pcid, content.TreId, content.Imsi, OperationName(content.Operation),
            content.Sequence.ToString(CultureInfo.InvariantCulture), content.ShoId];
        return Shape.Sign(values, signer, chain);
    }

    /// <summary>
    /// Verifies the signature and that the signer chains to <paramref name="trustRoot"/> at <paramref name="now"/> and is the
    /// SHO the instruction names; returns the content and the signer. Throws <see cref="ProvisioningException"/>.
    /// </summary>
    public static McimInstructionContent Verify(ReadOnlySpan<byte> document, X509Certificate2 trustRoot, DateTimeOffset now, out X509Certificate2 signer)
    {
        ArgumentNullException.ThrowIfNull(trustRoot);
        return Verify(document, _ => trustRoot, now, out signer);
    }

    /// <summary>
    /// As <see cref="Verify(ReadOnlySpan{byte}, X509Certificate2, DateTimeOffset, out X509Certificate2)"/>, with the root chosen by
    /// the IMSI the signed instruction names (the root its MCIM was installed under; decision 021); <paramref name="trustRootForImsi"/>
    /// may throw <see cref="ProvisioningException"/> to refuse (e.g. not-installed).
    /// </summary>
    public static McimInstructionContent Verify(ReadOnlySpan<byte> document, Func<string, X509Certificate2> trustRootForImsi, DateTimeOffset now,
        out X509Certificate2 signer)
    {
        ArgumentNullException.ThrowIfNull(trustRootForImsi);
        var t = Shape.Verify(document, texts => trustRootForImsi(texts[2]), now, out signer);
        var operation = t[3] switch
        {
            "enable" => McimOperation.Enable,
            "disable" => McimOperation.Disable,
            "delete" => McimOperation.Delete,
            _ => throw Shape.Refused("malformed", "Operation: enable, disable or delete"),
        };
        // Digits only, no sign, no leading zero: one spelling per number.
        if (t[4].Length is 0 or > 20 || !t[4].All(char.IsAsciiDigit) || t[4].Length > 1 && t[4][0] == '0'
            || !ulong.TryParse(t[4], NumberStyles.None, CultureInfo.InvariantCulture, out var sequence))
            throw Shape.Refused("malformed", "Sequence: a decimal number from 1");
        var content = new McimInstructionContent(t[0], t[1], t[2], operation, sequence, t[5]);
        CheckContent(content, e => Shape.Refused("malformed", e));
        if (!string.Equals(content.ShoId, signer.GetNameInfo(X509NameType.SimpleName, false), StringComparison.Ordinal))
            throw Shape.Refused("wrong-sho", "the SHO named in the instruction is not the signer");
        return content;
    }

    public static string OperationName(McimOperation operation) => operation switch
    {
        McimOperation.Enable => "enable",
        McimOperation.Disable => "disable",
        McimOperation.Delete => "delete",
        _ => throw new ArgumentOutOfRangeException(nameof(operation)),
    };

    private static void CheckContent(McimInstructionContent c, Func<string, Exception> error)
    {
        ShoSignedXml.CheckIdentifiers(error, ("PCID", c.Pcid), ("TREId", c.TreId), ("SHO", c.ShoId));
        if (c.Imsi is not { Length: >= 6 and <= 15 } || !c.Imsi.All(char.IsAsciiDigit))
            throw error("IMSI: 6 to 15 digits");
        if (!Enum.IsDefined(c.Operation))
            throw error("Operation: enable, disable or delete");
        if (c.Sequence == 0)
            throw error("Sequence: from 1");
    }
}
