using System.Security.Cryptography.X509Certificates;
using System.Security.Cryptography.Xml;

namespace M2MSec.Provisioning.Objects;

/// <summary>What the SHO puts in M2MSIMMobj: for whom, from which SHO, the registration nonce, and the MCIM object.</summary>
public sealed record M2MSimMobjContent(string Pcid, string TreId, string ShoId, byte[] RegistrationNonce, byte[] McimObject);

/// <summary>
/// M2MSIMMobj (seed 003), the document the SHO signs: XML Signature (enveloped, exclusive c14n, exactly one Reference
/// URI=""), ECDSA or RSA; XML parsed hardened (no DTD, no external references). docs/decisions/014-mcim-object.md.
/// <code>
/// &lt;M2MSIMMobj xmlns="urn:m2msec:m2msimmobj:1"&gt;&lt;PCID/&gt;&lt;TREId/&gt;&lt;SHO/&gt;&lt;RegNonce&gt;b64&lt;/RegNonce&gt;&lt;MCIMObject&gt;b64&lt;/MCIMObject&gt;&lt;ds:Signature/&gt;&lt;/M2MSIMMobj&gt;
/// </code>
/// </summary>
public static class M2MSimMobj
{
    public const string Namespace = "urn:m2msec:m2msimmobj:1";
    public const string RootName = "M2MSIMMobj";
    public const string RsaSha256Url = SignedXml.XmlDsigRSASHA256Url;

    /// <summary>Larger documents are refused before parsing.</summary>
    public const int MaxDocumentLength = 64 * 1024;

    public const int RegistrationNonceLength = 16;

    private static readonly ShoSignedXml Shape = new(RootName, Namespace, ["PCID", "TREId", "SHO", "RegNonce", "MCIMObject"], MaxDocumentLength);

    /// <summary>The signed document (UTF-8 XML) under <paramref name="signer"/> (with its private key; profile sho).</summary>
    public static byte[] Sign(M2MSimMobjContent content, X509Certificate2 signer, X509Certificate2Collection? chain = null)
    {
        ArgumentNullException.ThrowIfNull(content);
        ArgumentNullException.ThrowIfNull(signer);
        CheckContent(content, e => new ArgumentException(e, nameof(content)));
        string[] values = [content.Pcid, content.TreId, content.ShoId, Convert.ToBase64String(content.RegistrationNonce), Convert.ToBase64String(content.McimObject)];
        return Shape.Sign(values, signer, chain);
    }

    /// <summary>
    /// Verifies the signature and that the signer chains to <paramref name="trustRoot"/> at <paramref name="now"/>; returns the
    /// content and the signer (whose CN is the SHO id). Throws <see cref="ProvisioningException"/>.
    /// </summary>
    public static M2MSimMobjContent Verify(ReadOnlySpan<byte> document, X509Certificate2 trustRoot, DateTimeOffset now, out X509Certificate2 signer)
    {
        var texts = Shape.Verify(document, trustRoot, now, out signer);
        M2MSimMobjContent content;
        try
        {
            content = new M2MSimMobjContent(texts[0], texts[1], texts[2], Convert.FromBase64String(texts[3]), Convert.FromBase64String(texts[4]));
        }
        catch (FormatException)
        {
            throw Shape.Refused("malformed", "RegNonce or MCIMObject is not base64");
        }
        CheckContent(content, e => Shape.Refused("malformed", e));
        if (!string.Equals(content.ShoId, signer.GetNameInfo(X509NameType.SimpleName, false), StringComparison.Ordinal))
            throw Shape.Refused("wrong-sho", "the SHO named in the document is not the signer");
        return content;
    }

    private static void CheckContent(M2MSimMobjContent c, Func<string, Exception> error)
    {
        ShoSignedXml.CheckIdentifiers(error, ("PCID", c.Pcid), ("TREId", c.TreId), ("SHO", c.ShoId));
        if (c.RegistrationNonce is not { Length: RegistrationNonceLength })
            throw error($"RegNonce: {RegistrationNonceLength} octets");
        if (c.McimObject is not { Length: > 0 and <= Mcim.McimObject.MaxLength })
            throw error($"MCIMObject: 1 to {Mcim.McimObject.MaxLength} octets");
    }
}
