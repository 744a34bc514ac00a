using M2MSec.Storage.Audit;

namespace M2MSec.Storage.Dpf;

/// <summary>
/// An ongoing provisioning at the DPF (TR 33.812 §5.1.3.6.2 steps 10–21, seed 003: "validates that the provisioning request
/// relates to an ongoing M2M provisioning"): the device's PCID (its DM DevId here) and designated SHO, what it read in
/// M2MMobj, the PVA's verdict, and the signed M2MSIMMobj — the encrypted blob only, never an MCIM in clear. DM jobs by id.
/// <see cref="State"/>: <c>reading</c> → <c>registered</c> → <c>attesting</c> → <c>validated</c> → <c>downloading</c> →
/// <c>installed</c>, or <c>failed</c> (with <see cref="Reason"/>). <see cref="ReportedToSho"/>: the download's outcome (step 21) reached
/// the SHO — until then the DPF keeps reporting it (<c>DpfStatusReporter</c>). Issue 16: <see cref="PreviousShoId"/> marks a change of
/// subscription (the SHO whose MCIM the device held before; the DM account stays the Bootstrap's); <see cref="ReportedToDrf"/>: its outcome reached the DRF.
/// </summary>
public sealed record DpfProvisioning(
    string Pcid, string ShoId, string State, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt,
    string? TreId = null, byte[]? PfcAttestation = null, byte[]? PfcEncryption = null, byte[]? RegistrationNonce = null,
    string? ReadJobId = null, string? AttestationJobId = null, string? ValidationId = null, string? Verdict = null,
    byte[]? M2MSimMobj = null, string? DownloadJobId = null, string? Result = null, string? Reason = null, bool ReportedToSho = false,
    string? PreviousShoId = null, bool ReportedToDrf = false)
{
    public const string Reading = "reading";
    public const string Registered = "registered";
    public const string Attesting = "attesting";
    public const string Validated = "validated";
    public const string Downloading = "downloading";
    public const string Installed = "installed";
    public const string Failed = "failed";

    /// <summary>States in which the provisioning is still going on.</summary>
    public bool IsOngoing => State is not (Installed or Failed);

    /// <summary>
    /// What <c>DpfStatusReporter</c> retries (issue 16: found by index, not by a scan): a step-21 report the SHO has not taken
    /// (<see cref="AwaitsShoReport"/>) or a change's outcome the DRF has not taken (<see cref="AwaitsChangeReport"/>).
    /// </summary>
    public static bool AwaitsReport(DpfProvisioning p) => AwaitsShoReport(p) || AwaitsChangeReport(p);

    /// <summary>A finished download whose outcome (step 21) has not reached the SHO yet.</summary>
    public static bool AwaitsShoReport(DpfProvisioning p) =>
        p is { ReportedToSho: false, Result: not null, State: Installed or Failed };

    /// <summary>Issue 16: an ended change the DRF does not know yet — failed, or installed once the new SHO took step 21 (schema v22 indexes it too).</summary>
    public static bool AwaitsChangeReport(DpfProvisioning p) =>
        p is { PreviousShoId: not null, ReportedToDrf: false, IsOngoing: false } && (p.State == Failed || p.ReportedToSho);
}

/// <summary>
/// Issue 16 (docs/decisions/021), the DPF's outbox of life-cycle instruction outcomes: one row per instruction job, written before the
/// job is queued and removed only once the signing SHO took the outcome (or refused it for good). Until then the DPF reports it again
/// at <see cref="NextAt"/>, with a growing pause (<see cref="Attempts"/>); the row survives a restart of the DPF. Schema v22.
/// </summary>
public sealed record DpfInstructionReport(string JobId, string Pcid, string ShoId, int Attempts, DateTimeOffset NextAt, DateTimeOffset CreatedAt);

/// <summary>The DPF's provisioning records (its DM accounts and jobs are in <c>IStateStore.Dm</c>).</summary>
public interface IDpfStore
{
    /// <summary>Adds a provisioning; false if the PCID already has one.</summary>
    ValueTask<bool> AddAsync(DpfProvisioning provisioning, CancellationToken cancellationToken = default);

    ValueTask<DpfProvisioning?> FindAsync(string pcid, CancellationToken cancellationToken = default);

    /// <summary>Replaces the record if it is still in <paramref name="expectedState"/> (compare-and-swap); false otherwise.</summary>
    ValueTask<bool> UpdateAsync(DpfProvisioning provisioning, string expectedState, CancellationToken cancellationToken = default);

    /// <summary>
    /// As <see cref="UpdateAsync(DpfProvisioning, string, CancellationToken)"/>, with <paramref name="audit"/> appended in the same transaction (decision 036):
    /// only if the record moved, and the move is undone if the entry cannot be written.
    /// </summary>
    ValueTask<bool> UpdateAsync(DpfProvisioning provisioning, string expectedState, AuditRecord audit, CancellationToken cancellationToken = default);

    ValueTask<IReadOnlyList<DpfProvisioning>> ListAsync(CancellationToken cancellationToken = default);

    // --- Issue 16, the demo at scale (H-scale): the step-21 retry reads only what awaits a report, by index (schema v20) ---

    /// <summary>At most <paramref name="limit"/> records for which <see cref="DpfProvisioning.AwaitsReport"/> holds, by PCID.</summary>
    ValueTask<IReadOnlyList<DpfProvisioning>> ListAwaitingReportAsync(int limit, CancellationToken cancellationToken = default);

    /// <summary>
    /// Issue 19 (schema v29): at most <paramref name="limit"/> ongoing records (<see cref="DpfProvisioning.IsOngoing"/>) untouched since
    /// <paramref name="untouchedSince"/> (<see cref="DpfProvisioning.UpdatedAt"/> at or before it, to the millisecond), PCIDs after
    /// <paramref name="afterPcid"/>, by PCID — what the resumption looks at, found by index instead of reading every record.
    /// </summary>
    ValueTask<IReadOnlyList<DpfProvisioning>> ListOngoingUntouchedAsync(DateTimeOffset untouchedSince, string? afterPcid, int limit,
        CancellationToken cancellationToken = default);

    // --- Issue 16: the instruction outcomes' outbox (schema v22) ---

    /// <summary>Adds the row if the job has none; false if it had one (a repeat changes nothing).</summary>
    ValueTask<bool> AddInstructionReportAsync(DpfInstructionReport report, CancellationToken cancellationToken = default);

    /// <summary>At most <paramref name="limit"/> rows due at <paramref name="now"/>, soonest first.</summary>
    ValueTask<IReadOnlyList<DpfInstructionReport>> ListDueInstructionReportsAsync(DateTimeOffset now, int limit, CancellationToken cancellationToken = default);

    /// <summary>Sets the row's attempts and next time (adds it if it is gone: an outcome is never dropped by a race).</summary>
    ValueTask PutInstructionReportAsync(DpfInstructionReport report, CancellationToken cancellationToken = default);

    /// <summary>Removes the row (the SHO took the outcome); false if there was none.</summary>
    ValueTask<bool> RemoveInstructionReportAsync(string jobId, CancellationToken cancellationToken = default);

    // --- Issue 20 (the console): many PCIDs in one query, counts without reading the records ---

    /// <summary>The records of those of <paramref name="pcids"/> that have one.</summary>
    ValueTask<IReadOnlyList<DpfProvisioning>> FindManyAsync(IReadOnlyCollection<string> pcids, CancellationToken cancellationToken = default);

    /// <summary>How many records are in each state (one GROUP BY).</summary>
    ValueTask<IReadOnlyDictionary<string, int>> CountByStateAsync(CancellationToken cancellationToken = default);

    /// <summary>Issue 20 (the console's stage filter): at most <paramref name="limit"/> PCIDs after <paramref name="after"/>, by PCID, whose record is in <paramref name="state"/>.</summary>
    ValueTask<IReadOnlyList<string>> ListPcidsAsync(string state, string? after, int limit, CancellationToken cancellationToken = default);
}
