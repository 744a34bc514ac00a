namespace M2MSec.Storage.Ccif;

/// <summary>
/// A device the CCIF manufactured (TR 33.812 §5.1.3.6.2 NOTE 2): PCID, TRE id, the temporary-access credential (K, OPc —
/// secrets, wrapped at rest), the PfC certificates it issued and their serials, and the hash of the optional authorisation token.
/// </summary>
public sealed record CcifDevice(
    string Pcid, string TreId, string PlatformKey, byte[] K, byte[] Opc, string AttestationSerial, string EncryptionSerial,
    byte[] AttestationCertificate, byte[] EncryptionCertificate, byte[]? AuthTokenHash, DateTimeOffset CreatedAt,
    DateTimeOffset? RevokedAt = null, string? RevocationReason = null)
{
    /// <summary>Never K or OPc.</summary>
    public override string ToString() => $"CcifDevice({Pcid}, TRE {TreId}, {PlatformKey})";
}

/// <summary>The CCIF's store (schema v12): one row per PCID, a TRE id used once.</summary>
public interface ICcifStore
{
    /// <summary>Adds a device; false when its PCID or TRE id is already registered (nothing changed).</summary>
    ValueTask<bool> AddDeviceAsync(CcifDevice device, CancellationToken cancellationToken = default);

    ValueTask<CcifDevice?> FindDeviceAsync(string pcid, CancellationToken cancellationToken = default);

    /// <summary>Records the PfC's revocation; false when unknown or already revoked.</summary>
    ValueTask<bool> MarkRevokedAsync(string pcid, string reason, DateTimeOffset at, CancellationToken cancellationToken = default);

    // ---- Bulk preparation (issue 16, H-prepare; docs/decisions/023) ----

    /// <summary>Up to <paramref name="limit"/> devices whose PfC is not revoked, by PCID, after <paramref name="after"/> (null: from the first); never K or OPc.</summary>
    ValueTask<IReadOnlyList<CcifPfcRecord>> ListValidPfcsAsync(string? after, int limit, CancellationToken cancellationToken = default);

    // ---- Issue 20, the console's fleet page (docs/decisions/032): paged and filtered in the query ----

    /// <summary>Up to <paramref name="limit"/> devices (revoked too) by PCID from row <paramref name="offset"/>, whose PCID or TRE id contains <paramref name="text"/> (null: all); never K or OPc.</summary>
    ValueTask<IReadOnlyList<CcifDeviceSummary>> SearchDevicesAsync(string? text, int offset, int limit, CancellationToken cancellationToken = default);

    /// <summary>How many devices <see cref="SearchDevicesAsync"/> pages through.</summary>
    ValueTask<int> CountDevicesAsync(string? text, CancellationToken cancellationToken = default);

    /// <summary>The devices whose PCID or TRE id is among <paramref name="ids"/> (one query on both unique indexes): what joins a DM account (DevId = TRE id or PCID) to its device.</summary>
    ValueTask<IReadOnlyList<CcifDeviceSummary>> FindByIdsAsync(IReadOnlyCollection<string> ids, CancellationToken cancellationToken = default);

    /// <summary>Issue 20 (the console's stage filter): at most <paramref name="limit"/> PCIDs after <paramref name="after"/>, by PCID, of the revoked devices.</summary>
    ValueTask<IReadOnlyList<string>> ListRevokedPcidsAsync(string? after, int limit, CancellationToken cancellationToken = default);
}

/// <summary>A manufactured device's public platform credential (issue 16): what an SHO needs to prepare an MCIM ahead of time.</summary>
public sealed record CcifPfcRecord(string Pcid, string TreId, byte[] AttestationCertificate, byte[] EncryptionCertificate);

/// <summary>A manufactured device as the console lists it (issue 20): never K or OPc.</summary>
public sealed record CcifDeviceSummary(string Pcid, string TreId, DateTimeOffset CreatedAt, DateTimeOffset? RevokedAt, string? RevocationReason);
