using System.Collections.Concurrent;
using M2MSec.Storage.Audit;
using M2MSec.Storage.Dpf;
using M2MSec.Storage.Sho;

namespace M2MSec.Storage.InMemory;

/// <summary>In-memory SHO subscriptions and IMSI pool: for tests. Records are copied in and out, as a database would.</summary>
public sealed partial class InMemoryShoStore(IAuditLog? audit = null) : IShoStore
{
    private readonly IAuditLog? _audit = audit;

    private readonly ConcurrentDictionary<string, ShoSubscription> _subs = new(StringComparer.Ordinal);
    private readonly Lock _poolLock = new();
    private readonly SortedDictionary<string, (string State, string? Pcid)> _pool = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, byte[]> _tokens = new(StringComparer.Ordinal);

    public ValueTask SetAuthorisationTokenAsync(string pcid, byte[] token, DateTimeOffset at, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(token);
        _tokens[pcid] = (byte[])token.Clone();
        return ValueTask.CompletedTask;
    }

    public ValueTask<byte[]?> FindAuthorisationTokenAsync(string pcid, CancellationToken cancellationToken = default) =>
        ValueTask.FromResult(_tokens.TryGetValue(pcid, out var t) ? (byte[]?)t.Clone() : null);

    public ValueTask<bool> AddAsync(ShoSubscription subscription, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(subscription);
        return ValueTask.FromResult(_subs.TryAdd(subscription.Pcid, Copy(subscription)));
    }

    public ValueTask<ShoSubscription?> FindAsync(string pcid, CancellationToken cancellationToken = default) =>
        ValueTask.FromResult(_subs.TryGetValue(pcid, out var s) ? Copy(s) : null);

    public ValueTask<bool> UpdateAsync(ShoSubscription subscription, string expectedState, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(subscription);
        while (_subs.TryGetValue(subscription.Pcid, out var old) && old.State == expectedState)
        {
            if (_subs.TryUpdate(subscription.Pcid, Copy(subscription), old))
                return ValueTask.FromResult(true);
        }
        return ValueTask.FromResult(false);
    }

    /// <summary>In memory nothing survives a crash: the update, then the entry (the SQL stores write both in one transaction).</summary>
    public async ValueTask<bool> UpdateAsync(ShoSubscription subscription, string expectedState, AuditRecord audit, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(audit);
        if (!await UpdateAsync(subscription, expectedState, cancellationToken).ConfigureAwait(false))
            return false;
        await AppendAsync(audit).ConfigureAwait(false);
        return true;
    }

    private ValueTask AppendAsync(AuditRecord? record) =>
        record is null || _audit is null ? ValueTask.CompletedTask : _audit.AppendAsync(record.Actor, record.Action, record.Subject, record.Detail);

    public ValueTask<IReadOnlyList<ShoSubscriptionSummary>> ListAsync(CancellationToken cancellationToken = default) =>
        ValueTask.FromResult<IReadOnlyList<ShoSubscriptionSummary>>([.. _subs.Values.OrderBy(s => s.Pcid, StringComparer.Ordinal)
            .Select(s => new ShoSubscriptionSummary(s.Pcid, s.TreId, s.State, s.Imsi, s.Reason, s.CreatedAt, s.UpdatedAt))]);

    public ValueTask<IReadOnlyList<ShoSubscriptionSummary>> FindSummariesAsync(IReadOnlyCollection<string> pcids, CancellationToken cancellationToken = default) =>
        ValueTask.FromResult<IReadOnlyList<ShoSubscriptionSummary>>([.. pcids.Distinct(StringComparer.Ordinal).Select(_subs.GetValueOrDefault).OfType<ShoSubscription>()
            .Select(s => new ShoSubscriptionSummary(s.Pcid, s.TreId, s.State, s.Imsi, s.Reason, s.CreatedAt, s.UpdatedAt))]);

    public ValueTask<IReadOnlyDictionary<string, int>> CountByStateAsync(CancellationToken cancellationToken = default) =>
        ValueTask.FromResult<IReadOnlyDictionary<string, int>>(_subs.Values.GroupBy(s => s.State, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal));

    public ValueTask<IReadOnlyList<string>> ListPcidsAsync(string state, string? after, int limit, CancellationToken cancellationToken = default) =>
        ValueTask.FromResult<IReadOnlyList<string>>([.. _subs.Values.Where(x => x.State == state && string.CompareOrdinal(x.Pcid, after ?? "") > 0).Select(x => x.Pcid)
            .Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).Take(limit)]);

    public ValueTask<int> AddPoolAsync(IReadOnlyList<string> imsis, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(imsis);
        lock (_poolLock)
            return ValueTask.FromResult(imsis.Count(i => _pool.TryAdd(i, ("free", null))));
    }

    public ValueTask<string?> AllocateImsiAsync(string pcid, CancellationToken cancellationToken = default)
    {
        lock (_poolLock)
        {
            var mine = _pool.FirstOrDefault(p => p.Value.State == "assigned" && p.Value.Pcid == pcid).Key;
            if (mine is not null)
                return ValueTask.FromResult<string?>(mine);
            var free = _pool.FirstOrDefault(p => p.Value.State == "free").Key;
            if (free is not null)
                _pool[free] = ("assigned", pcid);
            return ValueTask.FromResult(free);
        }
    }

    public ValueTask<bool> SetImsiStateAsync(string imsi, string state, CancellationToken cancellationToken = default)
    {
        lock (_poolLock)
        {
            if (!_pool.TryGetValue(imsi, out var e) || e.State != "assigned")
                return ValueTask.FromResult(false);
            _pool[imsi] = (state, e.Pcid);
            return ValueTask.FromResult(true);
        }
    }

    public ValueTask<bool> RetireImsiAsync(string imsi, CancellationToken cancellationToken = default)
    {
        lock (_poolLock)
        {
            if (!_pool.TryGetValue(imsi, out var e) || e.State != "active")
                return ValueTask.FromResult(false);
            _pool[imsi] = ("retired", e.Pcid);
            return ValueTask.FromResult(true);
        }
    }

    public ValueTask<IReadOnlyDictionary<string, int>> CountPoolAsync(CancellationToken cancellationToken = default)
    {
        lock (_poolLock)
            return ValueTask.FromResult<IReadOnlyDictionary<string, int>>(_pool.Values.GroupBy(v => v.State).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal));
    }

    public ValueTask<IReadOnlyList<ShoAssignedImsi>> ListAssignedImsisAsync(CancellationToken cancellationToken = default)
    {
        lock (_poolLock)
            return ValueTask.FromResult<IReadOnlyList<ShoAssignedImsi>>([.. _pool.Where(p => p.Value.State == "assigned").Select(p => new ShoAssignedImsi(p.Key, p.Value.Pcid))]);
    }

    private static ShoSubscription Copy(ShoSubscription s) => s with { K = (byte[]?)s.K?.Clone(), Opc = (byte[]?)s.Opc?.Clone(), M2MSimMobj = (byte[]?)s.M2MSimMobj?.Clone() };
}

/// <summary>In-memory DPF provisioning records: for tests. An entry given with a move goes to <paramref name="log"/> (none when null) right after it.</summary>
public sealed class InMemoryDpfStore(IAuditLog? log = null) : IDpfStore
{
    private readonly ConcurrentDictionary<string, DpfProvisioning> _records = new(StringComparer.Ordinal);

    public ValueTask<bool> AddAsync(DpfProvisioning provisioning, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(provisioning);
        return ValueTask.FromResult(_records.TryAdd(provisioning.Pcid, provisioning));
    }

    public ValueTask<DpfProvisioning?> FindAsync(string pcid, CancellationToken cancellationToken = default) =>
        ValueTask.FromResult(_records.GetValueOrDefault(pcid));

    public ValueTask<bool> UpdateAsync(DpfProvisioning provisioning, string expectedState, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(provisioning);
        while (_records.TryGetValue(provisioning.Pcid, out var old) && old.State == expectedState)
        {
            if (_records.TryUpdate(provisioning.Pcid, provisioning, old))
                return ValueTask.FromResult(true);
        }
        return ValueTask.FromResult(false);
    }

    /// <summary>In memory nothing survives a crash: a bad entry refused first, then the move, then the entry (SQL writes both in one transaction).</summary>
    public async ValueTask<bool> UpdateAsync(DpfProvisioning provisioning, string expectedState, AuditRecord audit, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(audit);
        InMemoryAudit.Check(audit);
        if (!await UpdateAsync(provisioning, expectedState, cancellationToken).ConfigureAwait(false))
            return false;
        await InMemoryAudit.AppendAsync(log, audit, cancellationToken).ConfigureAwait(false);
        return true;
    }

    public ValueTask<IReadOnlyList<DpfProvisioning>> ListAsync(CancellationToken cancellationToken = default) =>
        ValueTask.FromResult<IReadOnlyList<DpfProvisioning>>([.. _records.Values.OrderBy(r => r.Pcid, StringComparer.Ordinal)]);

    public ValueTask<IReadOnlyList<DpfProvisioning>> ListAwaitingReportAsync(int limit, CancellationToken cancellationToken = default) =>
        ValueTask.FromResult<IReadOnlyList<DpfProvisioning>>([.. _records.Values.Where(DpfProvisioning.AwaitsReport).OrderBy(r => r.Pcid, StringComparer.Ordinal).Take(limit)]);

    public ValueTask<IReadOnlyList<DpfProvisioning>> ListOngoingUntouchedAsync(DateTimeOffset untouchedSince, string? afterPcid, int limit,
        CancellationToken cancellationToken = default)
    {
        // As the SQL stores: to the millisecond.
        var since = untouchedSince.ToUnixTimeMilliseconds();
        return ValueTask.FromResult<IReadOnlyList<DpfProvisioning>>([.. _records.Values
            .Where(r => r.IsOngoing && r.UpdatedAt.ToUnixTimeMilliseconds() <= since && string.CompareOrdinal(r.Pcid, afterPcid ?? "") > 0)
            .OrderBy(r => r.Pcid, StringComparer.Ordinal).Take(limit)]);
    }

    public ValueTask<IReadOnlyList<DpfProvisioning>> FindManyAsync(IReadOnlyCollection<string> pcids, CancellationToken cancellationToken = default) =>
        ValueTask.FromResult<IReadOnlyList<DpfProvisioning>>([.. pcids.Distinct(StringComparer.Ordinal).Select(_records.GetValueOrDefault).OfType<DpfProvisioning>()]);

    public ValueTask<IReadOnlyDictionary<string, int>> CountByStateAsync(CancellationToken cancellationToken = default) =>
        ValueTask.FromResult<IReadOnlyDictionary<string, int>>(_records.Values.GroupBy(r => r.State, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal));

    public ValueTask<IReadOnlyList<string>> ListPcidsAsync(string state, string? after, int limit, CancellationToken cancellationToken = default) =>
        ValueTask.FromResult<IReadOnlyList<string>>([.. _records.Values.Where(x => x.State == state && string.CompareOrdinal(x.Pcid, after ?? "") > 0).Select(x => x.Pcid)
            .Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).Take(limit)]);

    private readonly ConcurrentDictionary<string, DpfInstructionReport> _reports = new(StringComparer.Ordinal);

    public ValueTask<bool> AddInstructionReportAsync(DpfInstructionReport report, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(report);
        return ValueTask.FromResult(_reports.TryAdd(report.JobId, report));
    }

    public ValueTask<IReadOnlyList<DpfInstructionReport>> ListDueInstructionReportsAsync(DateTimeOffset now, int limit, CancellationToken cancellationToken = default) =>
        ValueTask.FromResult<IReadOnlyList<DpfInstructionReport>>([.. _reports.Values.Where(r => r.NextAt <= now).OrderBy(r => r.NextAt)
            .ThenBy(r => r.JobId, StringComparer.Ordinal).Take(limit)]);

    public ValueTask PutInstructionReportAsync(DpfInstructionReport report, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(report);
        _reports.AddOrUpdate(report.JobId, report, (_, old) => old with { Attempts = report.Attempts, NextAt = report.NextAt });
        return ValueTask.CompletedTask;
    }

    public ValueTask<bool> RemoveInstructionReportAsync(string jobId, CancellationToken cancellationToken = default) =>
        ValueTask.FromResult(_reports.TryRemove(jobId, out _));
}
