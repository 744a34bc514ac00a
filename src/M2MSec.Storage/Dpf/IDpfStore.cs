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

    /// <summary>A finished download whose outcome (step 21) has not reached the SHO yet: what <c>DpfStatusReporter</c> retries (issue 16: found by index, not by a scan).</summary>
    public static bool AwaitsReport(DpfProvisioning p) =>
        p is { ReportedToSho: false, Result: not null, State: Installed or Failed };
}

/// <summary>The DPF's provisioning records (its DM accounts and jobs are in <c>IStateStore.Dm</c>).</summary>
public interface IDpfStore
{
    /// <summary>Adds a provisioning; false if the PCID already has one.</summary>
    ValueTask<bool> AddAsync(DpfProvisioning provisioning, CancellationToken cancellationToken = default);

    ValueTask<DpfProvisioning?> FindAsync(string pcid, CancellationToken cancellationToken = default);

    /// <summary>Replaces the record if it is still in <paramref name="expectedState"/> (compare-and-swap); false otherwise.</summary>
    ValueTask<bool> UpdateAsync(DpfProvisioning provisioning, string expectedState, CancellationToken cancellationToken = default);

    ValueTask<IReadOnlyList<DpfProvisioning>> ListAsync(CancellationToken cancellationToken = default);

    // --- Issue 16, the demo at scale (H-scale): the step-21 retry reads only what awaits a report, by index (schema v20) ---

    /// <summary>At most <paramref name="limit"/> records for which <see cref="DpfProvisioning.AwaitsReport"/> holds, by PCID.</summary>
    ValueTask<IReadOnlyList<DpfProvisioning>> ListAwaitingReportAsync(int limit, CancellationToken cancellationToken = default);
}
