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

    /// <summary>Every certificate <paramref name="issuer"/> has issued, by serial.</summary>
    ValueTask<IReadOnlyList<IssuedCertificate>> ListAsync(string issuer, CancellationToken cancellationToken = default);
}

/// <summary>The editable store; revocation is one-way (RFC 5280 §5.3.1 reasons).</summary>
public interface IEditableCertificateStore : ICertificateStore
{
    ValueTask<bool> AddAsync(IssuedCertificate certificate, CancellationToken cancellationToken = default);

    /// <summary>Revokes; false if unknown or already revoked (the first revocation stands).</summary>
    ValueTask<bool> RevokeAsync(string issuer, string serialHex, int reason, CancellationToken cancellationToken = default);

    ValueTask<PkiHierarchyRecord?> FindHierarchyAsync(string name, CancellationToken cancellationToken = default);

    /// <summary>The CA key in <paramref name="slot"/> of <paramref name="hierarchy"/>, or null.</summary>
    ValueTask<AuthorityKey?> FindAuthorityKeyAsync(string hierarchy, string slot, CancellationToken cancellationToken = default);

    /// <summary>
    /// Stores a CA key. With <paramref name="replace"/> false it is only added when the slot is
    /// empty (returns false otherwise) — so two initialisations cannot both win.
    /// </summary>
    ValueTask<bool> PutAuthorityKeyAsync(AuthorityKey key, bool replace, CancellationToken cancellationToken = default);

    /// <summary>Records a new hierarchy; false if the name is taken.</summary>
    ValueTask<bool> AddHierarchyAsync(PkiHierarchyRecord hierarchy, CancellationToken cancellationToken = default);

    /// <summary>Sets the OCSP URL later certificates carry (issued ones keep theirs); false if no such hierarchy.</summary>
    ValueTask<bool> SetHierarchyOcspUrlAsync(string name, string? ocspUrl, CancellationToken cancellationToken = default);

    /// <summary>The next CRL number of <paramref name="hierarchy"/> (RFC 5280 §5.2.3: strictly increasing), durable before returned.</summary>
    ValueTask<long> NextCrlNumberAsync(string hierarchy, CancellationToken cancellationToken = default);
}
