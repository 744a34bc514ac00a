namespace M2MSec.Pki.Validation;

/// <summary>The outcome of a server-certificate check: accepted, or refused with one named reason.</summary>
public sealed record CertificateVerdict(CheckMode Mode, RefusalReason Reason, string Detail, DateTimeOffset? TrustedTime = null)
{
    public bool Accepted => Reason == RefusalReason.None;

    public static CertificateVerdict Accept(CheckMode mode, DateTimeOffset trustedTime, string detail) => new(mode, RefusalReason.None, detail, trustedTime);

    public static CertificateVerdict Refuse(CheckMode mode, RefusalReason reason, string detail, DateTimeOffset? trustedTime = null) =>
        new(mode, reason, detail, trustedTime);

    /// <summary>The reason as the CLI and JSON spell it: "expired-at-trusted-time", "nonce-mismatch", …</summary>
    public string ReasonName => Reason.ToKebabCase();
}

/// <summary>How the device checks the DM server's certificate (seed 001).</summary>
public enum CheckMode
{
    /// <summary>Ask the responder with a fresh nonce; validate the chain at the response's producedAt.</summary>
    OcspNonce,

    /// <summary>No revocation check: short-lived certificates against the TRE's secure clock.</summary>
    SecureClock,

    /// <summary>An OCSP response the server stapled to the handshake, within a freshness limit.</summary>
    Stapled,
}

public static class CheckModes
{
    public static IReadOnlyList<string> Names { get; } = ["ocsp-nonce", "secure-clock", "stapled"];

    public static string Name(this CheckMode mode) => Names[(int)mode];

    public static bool TryParse(string? name, out CheckMode mode)
    {
        var i = Names.ToList().FindIndex(n => string.Equals(n, name, StringComparison.OrdinalIgnoreCase));
        mode = i < 0 ? default : (CheckMode)i;
        return i >= 0;
    }

    internal static string ToKebabCase(this RefusalReason reason)
    {
        var name = reason.ToString();
        var sb = new System.Text.StringBuilder(name.Length + 8);
        for (var i = 0; i < name.Length; i++)
        {
            if (char.IsUpper(name[i]) && i > 0)
                sb.Append('-');
            sb.Append(char.ToLowerInvariant(name[i]));
        }
        return sb.ToString();
    }
}
