namespace M2MSec.Storage.Certificates;

/// <summary>A certificate an issuing CA has issued, with its revocation status (for OCSP and CRLs).</summary>
public sealed record IssuedCertificate(
    string Issuer, string SerialHex, string Subject, DateTimeOffset NotBefore, DateTimeOffset NotAfter, byte[] Der,
    DateTimeOffset? RevokedAt = null, int? RevocationReason = null)
{
    public bool IsRevoked => RevokedAt is not null;
}

/// <summary>Read-only view of issued certificates.</summary>
public interface ICertificateStore
{
    ValueTask<IssuedCertificate?> FindAsync(string issuer, string serialHex, CancellationToken cancellationToken = default);

    ValueTask<IReadOnlyList<IssuedCertificate>> ListRevokedAsync(string issuer, CancellationToken cancellationToken = default);
}

/// <summary>The editable store; revocation is one-way (RFC 5280 §5.3.1 reasons).</summary>
public interface IEditableCertificateStore : ICertificateStore
{
    ValueTask<bool> AddAsync(IssuedCertificate certificate, CancellationToken cancellationToken = default);

    /// <summary>Revokes; false if unknown or already revoked (the first revocation stands).</summary>
    ValueTask<bool> RevokeAsync(string issuer, string serialHex, int reason, CancellationToken cancellationToken = default);
}
