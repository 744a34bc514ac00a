using M2MSec.Storage.Audit;
using M2MSec.Storage.Dm;

namespace M2MSec.Tests.Dm.Server;

/// <summary>
/// Counts store calls: a message that should touch nothing must leave both counters at zero; <see cref="ResultWrites"/> holds how many
/// statuses each <see cref="IDmStore.RecordResultsAsync"/> call carried (issue 19: one call per device message), <see cref="ServerNonceWrites"/> the
/// server nonces written on their own (not with the client nonce's replacement).
/// </summary>
internal sealed class CountingDmStore(IDmStore inner) : IDmStore
{
    public int Reads { get; private set; }
    public int Writes { get; private set; }
    public List<int> ResultWrites { get; } = [];
    public int ServerNonceWrites { get; private set; }

    public ValueTask<bool> AddAccountAsync(DmAccount account, CancellationToken cancellationToken = default) { Writes++; return inner.AddAccountAsync(account, cancellationToken); }
    public ValueTask<bool> ReplaceAccountAsync(DmAccount account, CancellationToken cancellationToken = default) { Writes++; return inner.ReplaceAccountAsync(account, cancellationToken); }
    public ValueTask<bool> RemoveUnusedAccountAsync(string devId, CancellationToken cancellationToken = default) { Writes++; return inner.RemoveUnusedAccountAsync(devId, cancellationToken); }
    public ValueTask<DmAccount?> FindAccountAsync(string devId, CancellationToken cancellationToken = default) { Reads++; return inner.FindAccountAsync(devId, cancellationToken); }
    public ValueTask<IReadOnlyList<DmAccountSummary>> ListAccountsAsync(CancellationToken cancellationToken = default) { Reads++; return inner.ListAccountsAsync(cancellationToken); }
    public ValueTask<IReadOnlyList<string>> ListAccountIdsAsync(string? text, string? after, int limit, CancellationToken cancellationToken = default) { Reads++; return inner.ListAccountIdsAsync(text, after, limit, cancellationToken); }
    public ValueTask<IReadOnlyList<DmJobRecord>> ListRecentJobsAsync(int limit, CancellationToken cancellationToken = default) { Reads++; return inner.ListRecentJobsAsync(limit, cancellationToken); }
    public ValueTask<IReadOnlyDictionary<string, int>> CountJobsByStateAsync(CancellationToken cancellationToken = default) { Reads++; return inner.CountJobsByStateAsync(cancellationToken); }
    public ValueTask<bool> SetServerNonceAsync(string devId, string nonce, CancellationToken cancellationToken = default) { Writes++; ServerNonceWrites++; return inner.SetServerNonceAsync(devId, nonce, cancellationToken); }
    public ValueTask AddJobAsync(DmJobRecord job, CancellationToken cancellationToken = default) { Writes++; return inner.AddJobAsync(job, cancellationToken); }
    public ValueTask<IReadOnlyList<DmJobRecord>> ListJobsAsync(string devId, CancellationToken cancellationToken = default) { Reads++; return inner.ListJobsAsync(devId, cancellationToken); }

    public ValueTask<IReadOnlyList<DmJobRecord>> ListQueuedJobsAsync(string devId, CancellationToken cancellationToken = default) { Reads++; return inner.ListQueuedJobsAsync(devId, cancellationToken); }
    public ValueTask<bool> RecordResultAsync(string jobId, int seq, int status, string? results, CancellationToken cancellationToken = default) { Writes++; return inner.RecordResultAsync(jobId, seq, status, results, cancellationToken); }
    public ValueTask<int> RecordResultsAsync(IReadOnlyList<DmCommandResult> results, CancellationToken cancellationToken = default) { Writes++; ResultWrites.Add(results.Count); return inner.RecordResultsAsync(results, cancellationToken); }
    public ValueTask<bool> SetJobStateAsync(string jobId, string state, IReadOnlyList<string> from, CancellationToken cancellationToken = default) { Writes++; return inner.SetJobStateAsync(jobId, state, from, cancellationToken); }
    public ValueTask<bool> ReplaceClientNonceAsync(string devId, string? expected, string nonce, DateTimeOffset expiresAt, CancellationToken cancellationToken = default) { Writes++; return inner.ReplaceClientNonceAsync(devId, expected, nonce, expiresAt, cancellationToken); }
    public ValueTask MarkSentAsync(string jobId, IReadOnlyList<int> seqs, CancellationToken cancellationToken = default) { Writes++; return inner.MarkSentAsync(jobId, seqs, cancellationToken); }
    public ValueTask<bool> FailJobAsync(string jobId, string reason, IReadOnlyList<string> from, CancellationToken cancellationToken = default) { Writes++; return inner.FailJobAsync(jobId, reason, from, cancellationToken); }
    public ValueTask<DmJobRecord?> FindJobAsync(string jobId, CancellationToken cancellationToken = default) { Reads++; return inner.FindJobAsync(jobId, cancellationToken); }
    public ValueTask<IReadOnlyList<DmJobRecord>> ListIdleJobsAsync(string state, DateTimeOffset before, CancellationToken cancellationToken = default) { Reads++; return inner.ListIdleJobsAsync(state, before, cancellationToken); }
    public ValueTask KeepDevInfoAsync(string devId, IReadOnlyList<(string Uri, string Value)> items, DateTimeOffset at, CancellationToken cancellationToken = default) { Writes++; return inner.KeepDevInfoAsync(devId, items, at, cancellationToken); }
    public ValueTask AddGenericAlertsAsync(string devId, IReadOnlyList<DmGenericAlertRecord> alerts, CancellationToken cancellationToken = default) { Writes++; return inner.AddGenericAlertsAsync(devId, alerts, cancellationToken); }
    public ValueTask RecordSessionAsync(string devId, DateTimeOffset at, string outcome, CancellationToken cancellationToken = default) { Writes++; return inner.RecordSessionAsync(devId, at, outcome, cancellationToken); }
    public ValueTask<DmDeviceReport> GetDeviceReportAsync(string devId, CancellationToken cancellationToken = default) { Reads++; return inner.GetDeviceReportAsync(devId, cancellationToken); }
    public ValueTask AddJobAsync(DmJobRecord job, AuditRecord? audit, CancellationToken cancellationToken = default) { Writes++; return inner.AddJobAsync(job, audit, cancellationToken); }
    public ValueTask<bool> SetJobStateAsync(string jobId, string state, IReadOnlyList<string> from, AuditRecord? audit, CancellationToken cancellationToken = default) { Writes++; return inner.SetJobStateAsync(jobId, state, from, audit, cancellationToken); }
    public ValueTask<bool> ReplaceClientNonceAsync(string devId, string? expected, string nonce, DateTimeOffset expiresAt, string? serverNonce, AuditRecord? audit, CancellationToken cancellationToken = default) { Writes++; return inner.ReplaceClientNonceAsync(devId, expected, nonce, expiresAt, serverNonce, audit, cancellationToken); }
    public ValueTask<bool> FailJobAsync(string jobId, string reason, IReadOnlyList<string> from, AuditRecord? audit, CancellationToken cancellationToken = default) { Writes++; return inner.FailJobAsync(jobId, reason, from, audit, cancellationToken); }
    public ValueTask RecordSessionAsync(string devId, DateTimeOffset at, string outcome, string? serverNonce, AuditRecord? audit, CancellationToken cancellationToken = default) { Writes++; return inner.RecordSessionAsync(devId, at, outcome, serverNonce, audit, cancellationToken); }
}
