namespace M2MSec.Pki.Validation;

/// <summary>The device's policy for checking a server certificate (docs/decisions/011-server-certificate-checking.md).</summary>
public sealed record CheckPolicy
{
    /// <summary>Secure-clock mode: the longest validity period a server certificate may have (default 7 days).</summary>
    public TimeSpan MaxValidity { get; init; } = TimeSpan.FromDays(7);

    /// <summary>Stapled mode: whether a staple is acceptable at all.</summary>
    public bool AllowStaple { get; init; } = true;

    /// <summary>Stapled mode: the oldest staple (by thisUpdate) accepted.</summary>
    public TimeSpan StapleMaxAge { get; init; } = TimeSpan.FromHours(1);

    /// <summary>How far a responder's signed time may lag the secure clock before it counts as a rollback.</summary>
    public TimeSpan ClockSkew { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>OCSP-nonce mode: the nonce length in octets (RFC 9654: 1..128; 32 recommended).</summary>
    public int NonceLength { get; init; } = 32;
}
