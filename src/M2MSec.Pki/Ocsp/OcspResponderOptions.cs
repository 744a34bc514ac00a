namespace M2MSec.Pki.Ocsp;

/// <summary>Policy of <see cref="OcspResponder"/>.</summary>
public sealed record OcspResponderOptions
{
    /// <summary>nextUpdate − thisUpdate (RFC 6960 §4.2.2.1); the window in which the answer may be cached or stapled.</summary>
    public TimeSpan Validity { get; init; } = TimeSpan.FromHours(1);

    /// <summary>Most Request entries accepted in one OCSPRequest; more is answered malformedRequest.</summary>
    public int MaxRequestsPerMessage { get; init; } = 16;
}
