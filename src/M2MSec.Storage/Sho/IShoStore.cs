namespace M2MSec.Storage.Sho;

/// <summary>
/// A subscription the SHO builds for one M2ME (TR 33.812 §5.1.3.6.2 steps 12–21): the registration (PCID, TRE, PfC,
/// registration nonce from M2MMobj), the SHO's request nonce to the PVA, and once the verdict was valid the IMSI with K and
/// OPc (secrets: wrapped at rest with the key ring, like every K/OPc). <see cref="State"/>: <c>validating</c> → <c>downloading</c>
/// → <c>active</c>, or <c>refused</c> (the PVA judged the platform invalid) / <c>failed</c> (the download or install failed).
/// </summary>
public sealed record ShoSubscription(
    string Pcid, string TreId, byte[] PfcAttestation, byte[] PfcEncryption, byte[] RegistrationNonce, byte[] ShoNonce, string? ValidationId,
    string State, string? Imsi, byte[]? K, byte[]? Opc, string? Reason, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt,
    string? Challenge = null, string? Verdict = null, byte[]? M2MSimMobj = null)
{
    public const string Validating = "validating";
    public const string Downloading = "downloading";
    public const string Active = "active";
    public const string Refused = "refused";
    public const string Failed = "failed";

    /// <summary>Never the keys.</summary>
    public override string ToString() => $"ShoSubscription({Pcid}, {State}, imsi {Imsi ?? "-"})";
}

// Issue 16, resumable provisioning (docs/decisions/022): Challenge is the PVA's challenge (hex) the SHO had taken to the TRE, Verdict the
// verdict that authorised the sealing and M2MSIMMobj the signed document sealed then (an encrypted blob, no secret in clear) — a
// repeated registration or verdict re-sends them instead of asking the PVA again or sealing a second MCIM.

/// <summary>What `sho subscription list` shows: never K or OPc.</summary>
public sealed record ShoSubscriptionSummary(string Pcid, string TreId, string State, string? Imsi, string? Reason, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt);

/// <summary>
/// The SHO's subscriptions and IMSI pool. An IMSI is <c>free</c>, <c>assigned</c> (to a PCID whose MCIM is on its way),
/// <c>active</c> (installed, in the HSS) or <c>retired</c> (its K/OPc left the SHO sealed in an MCIM that was not installed:
/// never handed out again).
/// </summary>
public interface IShoStore
{
    /// <summary>Adds a subscription; false if the PCID already has one.</summary>
    ValueTask<bool> AddAsync(ShoSubscription subscription, CancellationToken cancellationToken = default);

    ValueTask<ShoSubscription?> FindAsync(string pcid, CancellationToken cancellationToken = default);

    /// <summary>Replaces the subscription if it is still in <paramref name="expectedState"/> (compare-and-swap); false otherwise.</summary>
    ValueTask<bool> UpdateAsync(ShoSubscription subscription, string expectedState, CancellationToken cancellationToken = default);

    /// <summary>Every subscription, by PCID, without keys.</summary>
    ValueTask<IReadOnlyList<ShoSubscriptionSummary>> ListAsync(CancellationToken cancellationToken = default);

    /// <summary>Adds IMSIs to the pool as free; returns how many were new.</summary>
    ValueTask<int> AddPoolAsync(IReadOnlyList<string> imsis, CancellationToken cancellationToken = default);

    /// <summary>
    /// The IMSI already assigned to <paramref name="pcid"/> if there is one (a retried or resumed step 16: an IMSI is allocated once per
    /// PCID), else takes the lowest free IMSI for it (state assigned); null when the pool is exhausted.
    /// </summary>
    ValueTask<string?> AllocateImsiAsync(string pcid, CancellationToken cancellationToken = default);

    /// <summary>Moves an IMSI to <paramref name="state"/> (active, retired) from assigned; false if it was not assigned.</summary>
    ValueTask<bool> SetImsiStateAsync(string imsi, string state, CancellationToken cancellationToken = default);

    /// <summary>
    /// Keeps (or replaces) the authorisation token the device's user handed the SHO for <paramref name="pcid"/> (seed 003: "distributed
    /// with the M2ME device, and provided to the SHO by the M2ME user"); a secret, wrapped at rest. It travels inside the sealed MCIM.
    /// </summary>
    ValueTask SetAuthorisationTokenAsync(string pcid, byte[] token, DateTimeOffset at, CancellationToken cancellationToken = default);

    /// <summary>The PCID's authorisation token, or null when its user handed none.</summary>
    ValueTask<byte[]?> FindAuthorisationTokenAsync(string pcid, CancellationToken cancellationToken = default);

    /// <summary>How many IMSIs are in each state.</summary>
    ValueTask<IReadOnlyDictionary<string, int>> CountPoolAsync(CancellationToken cancellationToken = default);

    // --- Issue 16, resumable provisioning (H-resume, docs/decisions/022) ---

    /// <summary>Every IMSI in state assigned with the PCID it is assigned to (the start-up reconciliation looks for half states).</summary>
    ValueTask<IReadOnlyList<ShoAssignedImsi>> ListAssignedImsisAsync(CancellationToken cancellationToken = default);
}

/// <summary>An IMSI in state assigned and its PCID (issue 16, docs/decisions/022).</summary>
public sealed record ShoAssignedImsi(string Imsi, string? Pcid);
