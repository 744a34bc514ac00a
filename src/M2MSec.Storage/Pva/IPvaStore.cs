using M2MSec.Storage.Audit;

namespace M2MSec.Storage.Pva;

/// <summary>
/// The manufacturer's reference for one device (registered by the CCIF only): the TRE id, the SHA-256 of each firmware image
/// it built, the fingerprint of the PfC it issued, and the manufacturer hierarchy's root and issuing CA (DER) the PfC chains to.
/// </summary>
public sealed record PvaReference(string Pcid, string TreId, IReadOnlyDictionary<string, byte[]> Measurements, string PfcFingerprint, byte[] ManufacturerRoot,
    byte[] ManufacturerIssuing, DateTimeOffset RegisteredAt);

/// <summary>
/// One platform validation (seed 004 steps 13–15): the PfC the SHO sent, its nonce, the challenge for the TRE and its expiry;
/// <see cref="State"/> is pending until evidence settles it as valid or invalid (once: the challenge is single-use).
/// </summary>
public sealed record PvaValidation(string Id, string Pcid, byte[] PfcAttestation, byte[] PfcEncryption, byte[] ShoNonce, byte[] Challenge,
    string RequestedBy, DateTimeOffset CreatedAt, DateTimeOffset ExpiresAt, string State, string? Reason = null, string? Verdict = null,
    DateTimeOffset? CompletedAt = null)
{
    public const string Pending = "pending";
}

/// <summary>
/// A firmware update's reference measurements the manufacturer registered later (issue 16, schema v16): a device whose
/// measurements equal these (or the original reference) is judged as built by the manufacturer.
/// </summary>
public sealed record PvaMeasurementSet(string Pcid, IReadOnlyDictionary<string, byte[]> Measurements, string RegisteredBy, DateTimeOffset RegisteredAt);

/// <summary>The PVA's store (schema v12; firmware updates v16).</summary>
public interface IPvaStore
{
    /// <summary>Adds a reference; false when the PCID already has one (a reference is registered once).</summary>
    ValueTask<bool> AddReferenceAsync(PvaReference reference, CancellationToken cancellationToken = default);

    /// <summary>As <see cref="AddReferenceAsync(PvaReference, CancellationToken)"/>, with <paramref name="audit"/> in the same transaction, only if added (decision 036).</summary>
    ValueTask<bool> AddReferenceAsync(PvaReference reference, AuditRecord audit, CancellationToken cancellationToken = default);

    ValueTask<PvaReference?> FindReferenceAsync(string pcid, CancellationToken cancellationToken = default);

    ValueTask AddValidationAsync(PvaValidation validation, CancellationToken cancellationToken = default);

    /// <summary>As <see cref="AddValidationAsync(PvaValidation, CancellationToken)"/>, with <paramref name="audit"/> in the same transaction (decision 036).</summary>
    ValueTask AddValidationAsync(PvaValidation validation, AuditRecord audit, CancellationToken cancellationToken = default);

    ValueTask<PvaValidation?> FindValidationAsync(string id, CancellationToken cancellationToken = default);

    /// <summary>Settles a pending validation (compare-and-set on pending): false when it was already settled — a replay.</summary>
    ValueTask<bool> CompleteValidationAsync(string id, string state, string? reason, string verdict, DateTimeOffset at, CancellationToken cancellationToken = default);

    /// <summary>
    /// As <see cref="CompleteValidationAsync(string, string, string?, string, DateTimeOffset, CancellationToken)"/>, with <paramref name="audit"/> in the same
    /// transaction, only if this call settled it (decision 036).
    /// </summary>
    ValueTask<bool> CompleteValidationAsync(string id, string state, string? reason, string verdict, DateTimeOffset at, AuditRecord audit,
        CancellationToken cancellationToken = default);

    /// <summary>Records a firmware update's measurements for a PCID (history kept, never replaced).</summary>
    ValueTask AddMeasurementSetAsync(PvaMeasurementSet set, CancellationToken cancellationToken = default);

    /// <summary>A PCID's registered firmware updates, oldest first.</summary>
    ValueTask<IReadOnlyList<PvaMeasurementSet>> ListMeasurementSetsAsync(string pcid, CancellationToken cancellationToken = default);

    /// <summary>A PCID's validations, oldest first (at most <paramref name="limit"/>, the latest kept).</summary>
    ValueTask<IReadOnlyList<PvaValidation>> ListValidationsAsync(string pcid, int limit = 100, CancellationToken cancellationToken = default);

    /// <summary>
    /// Issue 20 (the console's funnel): <see cref="ListValidationsAsync(string, int, CancellationToken)"/> of each of <paramref name="pcids"/> in one query — each PCID's
    /// latest <paramref name="limitPerPcid"/> validations, oldest first per PCID.
    /// </summary>
    ValueTask<IReadOnlyList<PvaValidation>> ListValidationsAsync(IReadOnlyCollection<string> pcids, int limitPerPcid, CancellationToken cancellationToken = default);

    /// <summary>Issue 20 (the console's stage filter): at most <paramref name="limit"/> PCIDs after <paramref name="after"/>, by PCID, that have a validation in <paramref name="state"/>.</summary>
    ValueTask<IReadOnlyList<string>> ListPcidsAsync(string state, string? after, int limit, CancellationToken cancellationToken = default);
}
