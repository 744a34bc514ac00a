using M2MSec.Storage.Audit;

namespace M2MSec.Storage.Sho;

/// <summary>
/// A subscription the SHO builds for one M2ME (TR 33.812 §5.1.3.6.2 steps 12–21): the registration (PCID, TRE, PfC,
/// registration nonce from M2MMobj), the SHO's request nonce to the PVA, and once the verdict was valid the IMSI with K and
/// OPc (secrets: wrapped at rest with the key ring, like every K/OPc). <see cref="State"/>: <c>validating</c> → <c>downloading</c>
/// → <c>active</c> (→ <c>releasing</c> → <c>moved</c> after a change of subscription, issue 16; <see cref="InstructionSequence"/> the last
/// life-cycle instruction's sequence for this (TRE, IMSI)), or <c>refused</c> (the PVA judged the platform invalid) / <c>failed</c> (the download or install failed).
/// </summary>
public sealed record ShoSubscription(
    string Pcid, string TreId, byte[] PfcAttestation, byte[] PfcEncryption, byte[] RegistrationNonce, byte[] ShoNonce, string? ValidationId,
    string State, string? Imsi, byte[]? K, byte[]? Opc, string? Reason, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt,
    ulong InstructionSequence = 0, string? Challenge = null, string? Verdict = null, byte[]? M2MSimMobj = null)
{
    public const string Validating = "validating";
    public const string Downloading = "downloading";
    public const string Active = "active";
    public const string Refused = "refused";
    public const string Failed = "failed";

    /// <summary>Issue 16: the RO told this SHO the device moved to another SHO; its disable and delete instructions are on their way.</summary>
    public const string Releasing = "releasing";

    /// <summary>Issue 16: the TRE confirmed the delete; the IMSI is retired in this SHO's HSS.</summary>
    public const string Moved = "moved";

    /// <summary>Issue 16: a refused or failed subscription for which a new change was asked: the device's next registration replaces it.</summary>
    public const string Superseded = "superseded";

    /// <summary>Issue 16: ended without holding the device — a new attempt for the same device may replace it (docs/decisions/021).</summary>
    public static bool MayBeAskedAgain(string state) => state is Refused or Failed or Moved or Superseded;

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

    /// <summary>
    /// <see cref="UpdateAsync(ShoSubscription, string, CancellationToken)"/> that appends <paramref name="audit"/> in the same transaction: a
    /// change is never committed without its entry, nor an entry without its change (issue 16, a SIGKILL between the two).
    /// </summary>
    ValueTask<bool> UpdateAsync(ShoSubscription subscription, string expectedState, AuditRecord audit, CancellationToken cancellationToken = default);

    /// <summary>Every subscription, by PCID, without keys.</summary>
    ValueTask<IReadOnlyList<ShoSubscriptionSummary>> ListAsync(CancellationToken cancellationToken = default);

    /// <summary>Issue 20 (the console's funnel): the subscriptions of those of <paramref name="pcids"/> that have one, without keys, in one query.</summary>
    ValueTask<IReadOnlyList<ShoSubscriptionSummary>> FindSummariesAsync(IReadOnlyCollection<string> pcids, CancellationToken cancellationToken = default);

    /// <summary>Issue 20 (the console's live view): how many subscriptions are in each state (one GROUP BY).</summary>
    ValueTask<IReadOnlyDictionary<string, int>> CountByStateAsync(CancellationToken cancellationToken = default);

    /// <summary>Issue 20 (the console's stage filter): at most <paramref name="limit"/> PCIDs after <paramref name="after"/>, by PCID, whose subscription is in <paramref name="state"/>.</summary>
    ValueTask<IReadOnlyList<string>> ListPcidsAsync(string state, string? after, int limit, CancellationToken cancellationToken = default);

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
    // --- Issue 16, change of subscription (H-change) ---

    /// <summary>Moves an IMSI from active to retired (its MCIM was deleted after a change of subscription); false if it was not active.</summary>
    ValueTask<bool> RetireImsiAsync(string imsi, CancellationToken cancellationToken = default);

    // ---- Bulk preparation (issue 16, H-prepare; schema v19; docs/decisions/023) ----
    // A prepared MCIM's IMSI is in the pool state `prepared` (bound to its PCID) from its reservation until it is released
    // (→ assigned, in the same transaction that moves the subscription to downloading) or discarded/expired (→ free).

    /// <summary>
    /// For each preparation in order, reserves the lowest free IMSI for its PCID (free → prepared) and records it in state
    /// <c>sealing</c> (its <c>Imsi</c>, <c>McimObject</c>, K and OPc are ignored) — all in one transaction. A PCID that already has a
    /// preparation gets <see cref="ShoPreparationReservation.Exists"/>; once the pool is exhausted the rest get
    /// <see cref="ShoPreparationReservation.Exhausted"/>.
    /// </summary>
    ValueTask<IReadOnlyList<ShoPreparationReservation>> ReservePreparationsAsync(IReadOnlyList<ShoPreparedMcim> preparations, CancellationToken cancellationToken = default);

    /// <summary>Stores each sealed MCIM object with its K and OPc (all wrapped) and moves its preparation sealing → prepared, in one transaction; how many moved.</summary>
    ValueTask<int> CompletePreparationsAsync(IReadOnlyList<ShoSealedPreparation> sealedMcims, CancellationToken cancellationToken = default);

    /// <summary>The PCID's preparation with its secrets, or null.</summary>
    ValueTask<ShoPreparedMcim?> FindPreparedAsync(string pcid, CancellationToken cancellationToken = default);

    /// <summary>Every preparation, by PCID, without the sealed object or keys.</summary>
    ValueTask<IReadOnlyList<ShoPreparedSummary>> ListPreparedAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// Releases the PCID's prepared MCIM into <paramref name="downloading"/> (its IMSI, K, OPc) in one transaction: the preparation
    /// (state prepared, for that IMSI, not expired at <paramref name="now"/>) is deleted, its IMSI goes prepared → assigned and the
    /// subscription <paramref name="expectedState"/> → downloading, and <paramref name="audit"/> is appended. False, changing nothing, when
    /// any of these does not hold.
    /// </summary>
    ValueTask<bool> ReleasePreparedAsync(ShoSubscription downloading, string expectedState, DateTimeOffset now, AuditRecord? audit = null,
        CancellationToken cancellationToken = default);

    /// <summary>
    /// Destroys the PCID's preparation (any state) — only one expired at <paramref name="expiredAt"/> when given — and frees its IMSI
    /// (prepared → free: its K/OPc never left the SHO). False when there was none.
    /// </summary>
    ValueTask<bool> DiscardPreparedAsync(string pcid, DateTimeOffset? expiredAt = null, CancellationToken cancellationToken = default);

    /// <summary>
    /// The PCIDs (at most <paramref name="limit"/>) whose preparation expired at <paramref name="now"/>, or is still <c>sealing</c> and
    /// was started before <paramref name="sealingStartedBefore"/> (a preparation interrupted by a crash).
    /// </summary>
    ValueTask<IReadOnlyList<string>> ListStalePreparationsAsync(DateTimeOffset now, DateTimeOffset sealingStartedBefore, int limit,
        CancellationToken cancellationToken = default);
}

/// <summary>
/// An MCIM the SHO sealed ahead of time (issue 16, seed 003: "prepare the (wrapped) credentials as result of the registration of the
/// devices and their respective platform credentials in advance at the SHO") for one PCID's PK_D: the PfC it was sealed to, the
/// SHA-256 of the authorisation token sealed in (null: none), the sealed object with its IMSI, K and OPc (wrapped at rest), and
/// its expiry. <see cref="State"/>: <c>sealing</c> (IMSI reserved) → <c>prepared</c>.
/// </summary>
public sealed record ShoPreparedMcim(
    string Pcid, string Imsi, string State, string TreId, byte[] PfcAttestation, byte[] PfcEncryption, byte[]? TokenSha256,
    byte[]? McimObject, byte[]? K, byte[]? Opc, DateTimeOffset CreatedAt, DateTimeOffset ExpiresAt)
{
    public const string Sealing = "sealing";
    public const string Prepared = "prepared";

    /// <summary>Never the keys or the object.</summary>
    public override string ToString() => $"ShoPreparedMcim({Pcid}, {State}, imsi {Imsi}, expires {ExpiresAt:O})";
}

/// <summary>What sealing a reserved preparation produced: the MCIM object sealed to its PK_D, and the K and OPc inside it (secrets).</summary>
public sealed record ShoSealedPreparation(string Pcid, byte[] McimObject, byte[] K, byte[] Opc)
{
    /// <summary>Never the keys.</summary>
    public override string ToString() => $"ShoSealedPreparation({Pcid})";
}

/// <summary>A preparation as listings show it (never the object, K or OPc).</summary>
public sealed record ShoPreparedSummary(string Pcid, string TreId, string State, string Imsi, DateTimeOffset CreatedAt, DateTimeOffset ExpiresAt);

/// <summary>What a reservation did: the IMSI taken, or why none (the pool is exhausted; the PCID already has a preparation).</summary>
public readonly record struct ShoPreparationReservation(string? Imsi, bool PoolExhausted)
{
    public static ShoPreparationReservation Exhausted => new(null, true);

    public static ShoPreparationReservation Exists => new(null, false);
}

/// <summary>An IMSI in state assigned and its PCID (issue 16, docs/decisions/022).</summary>
public sealed record ShoAssignedImsi(string Imsi, string? Pcid);
