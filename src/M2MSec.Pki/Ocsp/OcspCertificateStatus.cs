namespace M2MSec.Pki.Ocsp;

/// <summary>
/// What the responder's status source says about one serial (RFC 6960 §2.2): good, revoked at a
/// time with an optional RFC 5280 §5.3.1 CRLReason code, or unknown.
/// </summary>
public sealed record OcspCertificateStatus
{
    private OcspCertificateStatus(OcspStatus status, DateTimeOffset? revokedAt, int? reason)
    {
        Status = status;
        RevokedAt = revokedAt;
        Reason = reason;
    }

    public static OcspCertificateStatus Good { get; } = new(OcspStatus.Good, null, null);

    public static OcspCertificateStatus Unknown { get; } = new(OcspStatus.Unknown, null, null);

    /// <summary>What the issuing CA's record says: unknown if never issued, revoked (with its reason) or good.</summary>
    public static OcspCertificateStatus Of(M2MSec.Storage.Certificates.IssuedCertificate? issued) =>
        issued is null ? Unknown
        : issued.RevokedAt is { } at ? Revoked(at, issued.RevocationReason)
        : Good;

    /// <summary>Revoked at <paramref name="revokedAt"/>; <paramref name="reason"/> is a CRLReason (0–10, not 7).</summary>
    public static OcspCertificateStatus Revoked(DateTimeOffset revokedAt, int? reason = null)
    {
        if (reason is < 0 or > 10 or 7)
            throw new ArgumentOutOfRangeException(nameof(reason), reason, "CRLReason is 0–10 except 7 (RFC 5280 §5.3.1)");
        return new(OcspStatus.Revoked, revokedAt, reason);
    }

    public OcspStatus Status { get; }

    public DateTimeOffset? RevokedAt { get; }

    public int? Reason { get; }
}
