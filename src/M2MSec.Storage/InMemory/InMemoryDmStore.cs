using System.Collections.Concurrent;
using M2MSec.Storage.Audit;
using M2MSec.Storage.Dm;

namespace M2MSec.Storage.InMemory;

/// <summary>
/// DM accounts and jobs in memory (tests, throwaway runs). An entry given with a change goes to <paramref name="audit"/> (none when null)
/// only if the change was made, right after it; a bad entry is refused before anything changes — nothing in memory survives a crash,
/// the SQL stores write both in one transaction (decision 036).
/// </summary>
public sealed class InMemoryDmStore(TimeProvider time, IAuditLog? audit = null) : IDmStore
{
    private readonly ConcurrentDictionary<string, DmAccount> _accounts = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();
    private readonly List<DmJobRecord> _jobs = [];

    // Issue 19: every job operation looked its job up by a scan of all jobs of all devices (FindIndex), and a session
    // listed a device's jobs the same way — O(jobs) per command, a tenth of the DM server's CPU per session in `bench dm`.
    // Jobs are never removed, so a position is stable: by id, and each device's positions in insertion order.
    private readonly Dictionary<string, int> _jobIndex = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<int>> _deviceJobs = new(StringComparer.Ordinal);
    private readonly Dictionary<string, DeviceReports> _reports = new(StringComparer.Ordinal);

    // Issue 19: each device's queued jobs (positions), so a session's look-up is proportional to what it takes, not to the device's history.
    private readonly Dictionary<string, HashSet<int>> _queued = new(StringComparer.Ordinal);

    public ValueTask<bool> ReplaceAccountAsync(DmAccount account, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(account);
        while (_accounts.TryGetValue(account.DevId, out var old))
        {
            var fresh = account with { ClientPassword = (byte[])account.ClientPassword.Clone(), ServerPassword = (byte[])account.ServerPassword.Clone() };
            if (_accounts.TryUpdate(account.DevId, fresh, old))
                return ValueTask.FromResult(true);
        }
        return ValueTask.FromResult(false);
    }

    public ValueTask<bool> RemoveUnusedAccountAsync(string devId, CancellationToken cancellationToken = default)
    {
        lock (_lock)
            return ValueTask.FromResult(!_deviceJobs.ContainsKey(devId) && _accounts.TryRemove(devId, out _));
    }

    public ValueTask<bool> AddAccountAsync(DmAccount account, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(account);
        return ValueTask.FromResult(_accounts.TryAdd(account.DevId, account with
        {
            ClientPassword = (byte[])account.ClientPassword.Clone(),
            ServerPassword = (byte[])account.ServerPassword.Clone(),
        }));
    }

    public ValueTask<DmAccount?> FindAccountAsync(string devId, CancellationToken cancellationToken = default) =>
        ValueTask.FromResult(_accounts.TryGetValue(devId, out var a)
            ? a with { ClientPassword = (byte[])a.ClientPassword.Clone(), ServerPassword = (byte[])a.ServerPassword.Clone() }
            : null);

    public ValueTask<IReadOnlyList<DmAccountSummary>> ListAccountsAsync(CancellationToken cancellationToken = default) =>
        ValueTask.FromResult<IReadOnlyList<DmAccountSummary>>([.. _accounts.Values.OrderBy(a => a.DevId, StringComparer.Ordinal)
            .Select(a => new DmAccountSummary(a.DevId, a.ServerId, a.ClientUser, a.ClientAuth, a.ServerAuth, a.CreatedAt))]);

    public ValueTask<IReadOnlyList<string>> ListAccountIdsAsync(string? text, string? after, int limit, CancellationToken cancellationToken = default) =>
        ValueTask.FromResult<IReadOnlyList<string>>([.. _accounts.Keys.Where(k => string.CompareOrdinal(k, after ?? "") > 0 && (text is null || k.Contains(text, StringComparison.Ordinal)))
            .Order(StringComparer.Ordinal).Take(limit)]);

    public ValueTask<IReadOnlyList<DmJobRecord>> ListRecentJobsAsync(int limit, CancellationToken cancellationToken = default)
    {
        lock (_lock)
            return ValueTask.FromResult<IReadOnlyList<DmJobRecord>>([.. _jobs.OrderByDescending(j => j.CreatedAt).ThenByDescending(j => j.Id, StringComparer.Ordinal).Take(limit)]);
    }

    public ValueTask<IReadOnlyDictionary<string, int>> CountJobsByStateAsync(CancellationToken cancellationToken = default)
    {
        lock (_lock)
            return ValueTask.FromResult<IReadOnlyDictionary<string, int>>(_jobs.GroupBy(j => j.State, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal));
    }

    public ValueTask<bool> SetServerNonceAsync(string devId, string nonce, CancellationToken cancellationToken = default)
    {
        while (_accounts.TryGetValue(devId, out var a))
        {
            if (_accounts.TryUpdate(devId, a with { ServerNonce = nonce }, a))
                return ValueTask.FromResult(true);
        }
        return ValueTask.FromResult(false);
    }

    private int IndexOf(string jobId) => _jobIndex.TryGetValue(jobId, out var i) ? i : -1;

    public ValueTask AddJobAsync(DmJobRecord job, CancellationToken cancellationToken = default) => AddJobAsync(job, null, cancellationToken);

    public async ValueTask AddJobAsync(DmJobRecord job, AuditRecord? audit, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(job);
        Check(audit);
        lock (_lock)
        {
            if (_jobIndex.ContainsKey(job.Id))
                throw new StoreException($"DM job {job.Id} exists");
            _jobIndex.Add(job.Id, _jobs.Count);
            if (!_deviceJobs.TryGetValue(job.DevId, out var positions))
                _deviceJobs.Add(job.DevId, positions = []);
            positions.Add(_jobs.Count);
            var copy = job with { Commands = [.. job.Commands] };
            _jobs.Add(copy);
            Put(_jobs.Count - 1, copy);
        }
        await AppendAsync(audit).ConfigureAwait(false);
    }

    /// <summary>Stores the job at <paramref name="i"/> and keeps its device's queued set in step (under the lock).</summary>
    private void Put(int i, DmJobRecord job)
    {
        _jobs[i] = job;
        if (!_queued.TryGetValue(job.DevId, out var queued))
            _queued.Add(job.DevId, queued = []);
        if (job.State == "queued")
            queued.Add(i);
        else
            queued.Remove(i);
    }

    private static void Check(AuditRecord? record) => InMemoryAudit.Check(record);

    private ValueTask AppendAsync(AuditRecord? record) => InMemoryAudit.AppendAsync(audit, record);

    public ValueTask<IReadOnlyList<DmJobRecord>> ListJobsAsync(string devId, CancellationToken cancellationToken = default)
    {
        lock (_lock)
            return ValueTask.FromResult<IReadOnlyList<DmJobRecord>>(_deviceJobs.TryGetValue(devId, out var positions)
                ? [.. positions.Select(i => _jobs[i]).OrderBy(j => j.CreatedAt).ThenBy(j => j.Id, StringComparer.Ordinal)]
                : []);
    }

    public ValueTask<IReadOnlyList<DmJobRecord>> ListQueuedJobsAsync(string devId, CancellationToken cancellationToken = default)
    {
        lock (_lock)
            return ValueTask.FromResult<IReadOnlyList<DmJobRecord>>(_queued.TryGetValue(devId, out var positions)
                ? [.. positions.Select(i => _jobs[i]).OrderBy(j => j.CreatedAt).ThenBy(j => j.Id, StringComparer.Ordinal)]
                : []);
    }

    public ValueTask<bool> RecordResultAsync(string jobId, int seq, int status, string? results, CancellationToken cancellationToken = default)
    {
        lock (_lock)
            return ValueTask.FromResult(RecordLocked(new DmCommandResult(jobId, seq, status, results)));
    }

    public ValueTask<int> RecordResultsAsync(IReadOnlyList<DmCommandResult> results, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(results);
        lock (_lock)
            return ValueTask.FromResult(results.Count(RecordLocked));
    }

    private bool RecordLocked(DmCommandResult result)
    {
        var i = IndexOf(result.JobId);
        if (i < 0)
            return false;
        var commands = _jobs[i].Commands.ToList();
        var c = commands.FindIndex(x => x.Seq == result.Seq);
        if (c < 0 || commands[c].Status is not null)
            return false;
        commands[c] = commands[c] with { Status = result.Status, Results = result.Results };
        _jobs[i] = _jobs[i] with { Commands = commands };
        return true;
    }

    public ValueTask<bool> SetJobStateAsync(string jobId, string state, IReadOnlyList<string> from, CancellationToken cancellationToken = default) =>
        SetJobStateAsync(jobId, state, from, null, cancellationToken);

    public ValueTask<bool> SetJobStateAsync(string jobId, string state, IReadOnlyList<string> from, AuditRecord? audit, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(from);
        return MoveAsync(jobId, from, j => j with { State = state, UpdatedAt = time.GetUtcNow() }, audit);
    }

    /// <summary>Moves a job in one of <paramref name="from"/>; then its entry.</summary>
    private async ValueTask<bool> MoveAsync(string jobId, IReadOnlyList<string> from, Func<DmJobRecord, DmJobRecord> change, AuditRecord? audit)
    {
        Check(audit);
        lock (_lock)
        {
            var i = IndexOf(jobId);
            if (i < 0 || !from.Contains(_jobs[i].State))
                return false;
            Put(i, change(_jobs[i]));
        }
        await AppendAsync(audit).ConfigureAwait(false);
        return true;
    }

    public ValueTask<bool> ReplaceClientNonceAsync(string devId, string? expected, string nonce, DateTimeOffset expiresAt, CancellationToken cancellationToken = default) =>
        ReplaceClientNonceAsync(devId, expected, nonce, expiresAt, null, null, cancellationToken);

    public async ValueTask<bool> ReplaceClientNonceAsync(string devId, string? expected, string nonce, DateTimeOffset expiresAt, string? serverNonce, AuditRecord? audit,
        CancellationToken cancellationToken = default)
    {
        Check(audit);
        while (_accounts.TryGetValue(devId, out var a))
        {
            if (a.ClientNonce != expected)
                return false;
            if (_accounts.TryUpdate(devId, a with { ClientNonce = nonce, ClientNonceExpiresAt = expiresAt, ServerNonce = serverNonce ?? a.ServerNonce }, a))
            {
                await AppendAsync(audit).ConfigureAwait(false);
                return true;
            }
        }
        return false;
    }

    public ValueTask MarkSentAsync(string jobId, IReadOnlyList<int> seqs, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(seqs);
        lock (_lock)
        {
            var i = IndexOf(jobId);
            if (i >= 0)
            {
                var now = time.GetUtcNow();
                _jobs[i] = _jobs[i] with
                {
                    UpdatedAt = now,
                    Commands = [.. _jobs[i].Commands.Select(c => seqs.Contains(c.Seq) && c.SentAt is null ? c with { SentAt = now } : c)],
                };
            }
        }
        return ValueTask.CompletedTask;
    }

    public ValueTask<bool> FailJobAsync(string jobId, string reason, IReadOnlyList<string> from, CancellationToken cancellationToken = default) =>
        FailJobAsync(jobId, reason, from, null, cancellationToken);

    public ValueTask<bool> FailJobAsync(string jobId, string reason, IReadOnlyList<string> from, AuditRecord? audit, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(from);
        return MoveAsync(jobId, from, j => j with { State = "failed", Reason = reason, UpdatedAt = time.GetUtcNow() }, audit);
    }

    public ValueTask<DmJobRecord?> FindJobAsync(string jobId, CancellationToken cancellationToken = default)
    {
        lock (_lock)
            return ValueTask.FromResult(IndexOf(jobId) is var i and >= 0 ? _jobs[i] : null);
    }

    public ValueTask<IReadOnlyList<DmJobRecord>> ListIdleJobsAsync(string state, DateTimeOffset before, CancellationToken cancellationToken = default)
    {
        lock (_lock)
            return ValueTask.FromResult<IReadOnlyList<DmJobRecord>>([.. _jobs.Where(j => j.State == state && j.UpdatedAt < before).OrderBy(j => j.UpdatedAt)]);
    }

    // What devices report: only for a device with an account, bounded by DmDeviceReportLimits (as the SQL store).

    public ValueTask KeepDevInfoAsync(string devId, IReadOnlyList<(string Uri, string Value)> items, DateTimeOffset at, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(items);
        lock (_lock)
        {
            if (Reports(devId) is not { } r)
                return ValueTask.CompletedTask;
            foreach (var (uri, value) in items)
            {
                var u = DmDeviceReportLimits.Bound(uri, DmDeviceReportLimits.MaxNameLength)!;
                if (r.DevInfo.ContainsKey(u) || r.DevInfo.Count < DmDeviceReportLimits.MaxDevInfoItems)
                    r.DevInfo[u] = new DmDevInfoItem(u, DmDeviceReportLimits.Bound(value, DmDeviceReportLimits.MaxValueLength)!, at);
            }
        }
        return ValueTask.CompletedTask;
    }

    public ValueTask AddGenericAlertsAsync(string devId, IReadOnlyList<DmGenericAlertRecord> alerts, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(alerts);
        lock (_lock)
        {
            if (Reports(devId) is not { } r)
                return ValueTask.CompletedTask;
            foreach (var a in alerts)
            {
                r.Alerts.Enqueue(DmDeviceReportLimits.Bound(a));
                if (r.Alerts.Count > DmDeviceReportLimits.MaxAlertsPerDevice)
                    r.Alerts.Dequeue();
            }
        }
        return ValueTask.CompletedTask;
    }

    public ValueTask RecordSessionAsync(string devId, DateTimeOffset at, string outcome, CancellationToken cancellationToken = default) =>
        RecordSessionAsync(devId, at, outcome, null, null, cancellationToken);

    public async ValueTask RecordSessionAsync(string devId, DateTimeOffset at, string outcome, string? serverNonce, AuditRecord? audit, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(outcome);
        Check(audit);
        if (serverNonce is not null)
            await SetServerNonceAsync(devId, serverNonce, cancellationToken).ConfigureAwait(false);
        lock (_lock)
        {
            if (Reports(devId) is { } r)
                r.LastSession = new DmSessionRecord(at, DmDeviceReportLimits.Bound(outcome, DmDeviceReportLimits.MaxOutcomeLength)!);
        }
        await AppendAsync(audit).ConfigureAwait(false); // as in SQL: written for a DevId without an account too
    }

    public ValueTask<DmDeviceReport> GetDeviceReportAsync(string devId, CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            return ValueTask.FromResult(_reports.TryGetValue(devId, out var r)
                ? new DmDeviceReport(devId, [.. r.DevInfo.Values.OrderBy(i => i.Uri, StringComparer.Ordinal)], [.. r.Alerts], r.LastSession)
                : new DmDeviceReport(devId, [], [], null));
        }
    }

    /// <summary>The device's reports, created on first use; null for a DevId without an account.</summary>
    private DeviceReports? Reports(string devId)
    {
        if (!_accounts.ContainsKey(devId))
            return null;
        if (!_reports.TryGetValue(devId, out var r))
            _reports[devId] = r = new DeviceReports();
        return r;
    }

    private sealed class DeviceReports
    {
        public Dictionary<string, DmDevInfoItem> DevInfo { get; } = new(StringComparer.Ordinal);
        public Queue<DmGenericAlertRecord> Alerts { get; } = new();
        public DmSessionRecord? LastSession { get; set; }
    }
}
