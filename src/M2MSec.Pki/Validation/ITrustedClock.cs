namespace M2MSec.Pki.Validation;

/// <summary>
/// The device's secure clock as the certificate check sees it (the TRE's, on a device): a time
/// that does not go back, which a verified OCSP producedAt may move forward.
/// </summary>
public interface ITrustedClock
{
    DateTimeOffset Now();

    /// <summary>Moves the clock forward to a time a trusted party signed; false if that would set it back.</summary>
    bool Advance(DateTimeOffset trustedTime, string source);
}

/// <summary>A clock with no protection (tools and tests without a TRE): the host's time, never moved.</summary>
public sealed class HostTrustedClock(TimeProvider time) : ITrustedClock
{
    public DateTimeOffset Now() => time.GetUtcNow();

    public bool Advance(DateTimeOffset trustedTime, string source) => trustedTime >= time.GetUtcNow() - TimeSpan.FromMinutes(5);
}
