using M2MSec.Storage.Audit;

namespace M2MSec.Storage.Dm;

/// <summary>
/// A device's DM account on the server (OMA DM DMAcc, seen from the server): the credentials and
/// schemes device and server use towards each other. Passwords are secrets, wrapped at rest.
/// <see cref="ServerNonce"/> is the nonce the device gave the server last (NextNonce, b64), which keys
/// the server's next Cred, auth-MAC and notification digest; not a secret. <see cref="ClientNonce"/> is the
/// one challenge nonce pending for the device (b64, until <see cref="ClientNonceExpiresAt"/>): every instance
/// answers with it and checks the device's credential over it; replaced only after a successful
/// authentication or when it expires.
/// </summary>
public sealed record DmAccount(
    string DevId, string ServerId, string ClientUser, byte[] ClientPassword, byte[] ServerPassword,
    string ClientAuth, string ServerAuth, DateTimeOffset CreatedAt, string? ServerNonce = null,
    string? ClientNonce = null, DateTimeOffset? ClientNonceExpiresAt = null)
{
    /// <summary>Never the passwords.</summary>
    public override string ToString() => $"DmAccount({DevId}, server {ServerId}, user {ClientUser}, client {ClientAuth}, server {ServerAuth})";
}

/// <summary>
/// One DM command of a job: what to do on which node, when it went out, and what came back (DM status, Results data).
/// <see cref="Format"/> is the Meta Format a Replace/Add value travels with (null: chr; e.g. b64 for M2MMobj's nonce, schema v14).
/// </summary>
public sealed record DmCommandRecord(string JobId, int Seq, string Verb, string Uri, string? Value, int? Status, string? Results, DateTimeOffset? SentAt = null,
    string? Format = null)
{
    /// <summary>"acknowledged" (a status came back), "unknown" (sent, no status) or "not-sent".</summary>
    public string Delivery => Status is not null ? "acknowledged" : SentAt is not null ? "unknown" : "not-sent";
}

/// <summary>
/// A job for one device: ordered commands run in its next session. <see cref="UpdatedAt"/> is its last activity
/// (every message of the session running it touches it); <see cref="Reason"/> says why a failed job failed.
/// </summary>
public sealed record DmJobRecord(string Id, string DevId, string State, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt, IReadOnlyList<DmCommandRecord> Commands,
    string? Reason = null);

/// <summary>What `dm account list` shows of an account: never a password or a nonce.</summary>
public sealed record DmAccountSummary(string DevId, string ServerId, string ClientUser, string ClientAuth, string ServerAuth, DateTimeOffset CreatedAt);

/// <summary>A DM status (and Results data) that came back for command <see cref="Seq"/> of job <see cref="JobId"/>.</summary>
public readonly record struct DmCommandResult(string JobId, int Seq, int Status, string? Results);

/// <summary>The DM server's accounts and jobs, durable and shared by every DM server instance on the database.</summary>
public interface IDmStore
{
    /// <summary>
    /// Issue 19: runs <paramref name="body"/>'s calls on this store as one transaction — one durable commit, all or nothing — where the
    /// store has transactions (SQL); a store without them runs the calls one by one. Keep waits on other parties out of the body.
    /// </summary>
    ValueTask<T> InOneCommitAsync<T>(Func<ValueTask<T>> body, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(body);
        return body();
    }

    /// <summary>Adds an account; false if the device already has one.</summary>
    ValueTask<bool> AddAccountAsync(DmAccount account, CancellationToken cancellationToken = default);

    ValueTask<DmAccount?> FindAccountAsync(string devId, CancellationToken cancellationToken = default);

    /// <summary>Every account, by DevId, without its passwords (never unwrapped for a listing).</summary>
    ValueTask<IReadOnlyList<DmAccountSummary>> ListAccountsAsync(CancellationToken cancellationToken = default);

    /// <summary>Keeps the nonce the device just gave the server (its Chal); false if there is no such account.</summary>
    ValueTask<bool> SetServerNonceAsync(string devId, string nonce, CancellationToken cancellationToken = default);

    /// <summary>Queues a job (state "queued") with its commands, atomically.</summary>
    ValueTask AddJobAsync(DmJobRecord job, CancellationToken cancellationToken = default);

    /// <summary>As <see cref="AddJobAsync(DmJobRecord, CancellationToken)"/>, with its `dm.job.add` entry in the same transaction (decision 036).</summary>
    ValueTask AddJobAsync(DmJobRecord job, AuditRecord? audit, CancellationToken cancellationToken = default);

    /// <summary>The device's jobs, oldest first, with their commands in order.</summary>
    ValueTask<IReadOnlyList<DmJobRecord>> ListJobsAsync(string devId, CancellationToken cancellationToken = default);

    /// <summary>
    /// Issue 19: the device's jobs still "queued", oldest first, with their commands — what a session takes. One query whatever
    /// the number of jobs the device ever had (<see cref="ListJobsAsync"/> reads them all, with every command).
    /// </summary>
    ValueTask<IReadOnlyList<DmJobRecord>> ListQueuedJobsAsync(string devId, CancellationToken cancellationToken = default);

    /// <summary>Records a command's DM status and Results (once: a recorded command is not overwritten).</summary>
    ValueTask<bool> RecordResultAsync(string jobId, int seq, int status, string? results, CancellationToken cancellationToken = default);

    /// <summary>
    /// Issue 19: the statuses and Results of one device message, as <see cref="RecordResultAsync"/> each, in one transaction (one commit
    /// instead of one per command). Returns how many were recorded (a command already recorded, or unknown, is skipped, not an error).
    /// </summary>
    ValueTask<int> RecordResultsAsync(IReadOnlyList<DmCommandResult> results, CancellationToken cancellationToken = default);

    /// <summary>Moves a job to <paramref name="state"/> ("running", "done", "failed") if it is in one of <paramref name="from"/>.</summary>
    ValueTask<bool> SetJobStateAsync(string jobId, string state, IReadOnlyList<string> from, CancellationToken cancellationToken = default);

    /// <summary>
    /// As <see cref="SetJobStateAsync(string, string, IReadOnlyList{string}, CancellationToken)"/>, with <paramref name="audit"/> (none when null) appended
    /// in the same transaction (decision 036): only if the job moved, and the move is undone if the entry cannot be written.
    /// </summary>
    ValueTask<bool> SetJobStateAsync(string jobId, string state, IReadOnlyList<string> from, AuditRecord? audit, CancellationToken cancellationToken = default);

    // What authenticated devices report (OMA-TS-DM_Protocol-V1_2 §8.3 DevInfo, §8.7 Generic Alert), bounded by DmDeviceReportLimits.

    /// <summary>Keeps (adds or updates) the device's ./DevInfo leaves; values cut to the limits, new leaves beyond the count ignored.</summary>
    ValueTask KeepDevInfoAsync(string devId, IReadOnlyList<(string Uri, string Value)> items, DateTimeOffset at, CancellationToken cancellationToken = default);

    /// <summary>Appends Generic Alert items (cut to the limits); only the newest <see cref="DmDeviceReportLimits.MaxAlertsPerDevice"/> are kept.</summary>
    ValueTask AddGenericAlertsAsync(string devId, IReadOnlyList<DmGenericAlertRecord> alerts, CancellationToken cancellationToken = default);

    /// <summary>Records the end of a session of the device: when, and how (<see cref="DmSessionOutcomes"/>); replaces the previous one.</summary>
    ValueTask RecordSessionAsync(string devId, DateTimeOffset at, string outcome, CancellationToken cancellationToken = default);

    /// <summary>
    /// As <see cref="RecordSessionAsync(string, DateTimeOffset, string, CancellationToken)"/>, with the session's end entry (none when null) in the
    /// same transaction (decision 036), and <paramref name="serverNonce"/> — the last nonce the device gave the server in the session, not yet
    /// stored; none when null (issue 19, docs/decisions/041).
    /// </summary>
    ValueTask RecordSessionAsync(string devId, DateTimeOffset at, string outcome, string? serverNonce, AuditRecord? audit, CancellationToken cancellationToken = default);

    /// <summary>What the device has reported (empty lists and no session when nothing yet).</summary>
    ValueTask<DmDeviceReport> GetDeviceReportAsync(string devId, CancellationToken cancellationToken = default);
    /// <summary>
    /// Replaces the device's pending challenge nonce if it is still <paramref name="expected"/> (null: none yet) —
    /// compare-and-swap, so of two instances (or a replayed credential) only one wins; false otherwise.
    /// </summary>
    ValueTask<bool> ReplaceClientNonceAsync(string devId, string? expected, string nonce, DateTimeOffset expiresAt, CancellationToken cancellationToken = default);

    /// <summary>
    /// As <see cref="ReplaceClientNonceAsync(string, string?, string, DateTimeOffset, CancellationToken)"/>, with <paramref name="audit"/> (the session's start,
    /// none when null) in the same transaction, only if the nonce was replaced (decision 036), and so <paramref name="serverNonce"/> (the nonce the
    /// authenticated message gave the server; none when null): one commit for a message's two nonces (issue 19).
    /// </summary>
    ValueTask<bool> ReplaceClientNonceAsync(string devId, string? expected, string nonce, DateTimeOffset expiresAt, string? serverNonce, AuditRecord? audit,
        CancellationToken cancellationToken = default);

    /// <summary>Marks commands as sent to the device (once) and touches the job's last activity.</summary>
    ValueTask MarkSentAsync(string jobId, IReadOnlyList<int> seqs, CancellationToken cancellationToken = default);

    /// <summary>Moves a job to "failed" with <paramref name="reason"/> if it is in one of <paramref name="from"/>.</summary>
    ValueTask<bool> FailJobAsync(string jobId, string reason, IReadOnlyList<string> from, CancellationToken cancellationToken = default);

    /// <summary>As <see cref="FailJobAsync(string, string, IReadOnlyList{string}, CancellationToken)"/>, with <paramref name="audit"/> in the same transaction (decision 036).</summary>
    ValueTask<bool> FailJobAsync(string jobId, string reason, IReadOnlyList<string> from, AuditRecord? audit, CancellationToken cancellationToken = default);

    ValueTask<DmJobRecord?> FindJobAsync(string jobId, CancellationToken cancellationToken = default);

    /// <summary>Jobs in <paramref name="state"/> whose last activity is before <paramref name="before"/> (any device), with their commands.</summary>
    ValueTask<IReadOnlyList<DmJobRecord>> ListIdleJobsAsync(string state, DateTimeOffset before, CancellationToken cancellationToken = default);

    /// <summary>Issue 20 (the console's live view): how many jobs are in each state (one GROUP BY, no job read).</summary>
    ValueTask<IReadOnlyDictionary<string, int>> CountJobsByStateAsync(CancellationToken cancellationToken = default);

    // --- Issue 16, resumable provisioning (H-resume, docs/decisions/022) ---

    /// <summary>Replaces the device's account (new passwords, nonces cleared); false if it has none.</summary>
    ValueTask<bool> ReplaceAccountAsync(DmAccount account, CancellationToken cancellationToken = default);

    /// <summary>
    /// Issue 20: removes an account no job was ever queued for (a registration undone, docs/decisions/033); false if it is unknown or
    /// has jobs (their history stays with their account).
    /// </summary>
    ValueTask<bool> RemoveUnusedAccountAsync(string devId, CancellationToken cancellationToken = default);

    // --- Issue 20, the console (docs/decisions/032): bounded queries, never a loop over every account ---

    /// <summary>Up to <paramref name="limit"/> DevIds after <paramref name="after"/> (null: from the first) containing <paramref name="text"/> (null: all), by DevId.</summary>
    ValueTask<IReadOnlyList<string>> ListAccountIdsAsync(string? text, string? after, int limit, CancellationToken cancellationToken = default);

    /// <summary>The newest <paramref name="limit"/> jobs of every device, newest first, with their commands.</summary>
    ValueTask<IReadOnlyList<DmJobRecord>> ListRecentJobsAsync(int limit, CancellationToken cancellationToken = default);
}
