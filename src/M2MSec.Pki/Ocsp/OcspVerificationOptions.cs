namespace M2MSec.Pki.Ocsp;

/// <summary>Time policy of <see cref="OcspResponseVerifier"/>; the caller supplies the time (no clock is read).</summary>
public sealed record OcspVerificationOptions
{
    /// <summary>
    /// The trusted current time. Null skips the time checks — only sound when a fresh nonce
    /// proves the response's recency (RFC 9654 §1).
    /// </summary>
    public DateTimeOffset? Now { get; init; }

    /// <summary>
    /// Tolerance for thisUpdate in the future and nextUpdate in the past (RFC 5019 §4 "clock skew");
    /// beyond it either is refused as <see cref="Validation.RefusalReason.StaleResponse"/>.
    /// </summary>
    public TimeSpan ClockSkew { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>Oldest thisUpdate accepted, e.g. for staples (RFC 6960 §3.2 item 5 "sufficiently recent"); null: no limit.</summary>
    public TimeSpan? MaxAge { get; init; }
}
