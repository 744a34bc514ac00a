using M2MSec.Storage.Audit;
using M2MSec.Storage.Sho;

namespace M2MSec.Storage.InMemory;

/// <summary>In-memory prepared MCIMs (issue 16): under the pool's lock, so a preparation and its IMSI always move together.</summary>
public sealed partial class InMemoryShoStore
{
    private readonly Dictionary<string, ShoPreparedMcim> _prepared = new(StringComparer.Ordinal);

    public ValueTask<IReadOnlyList<ShoPreparationReservation>> ReservePreparationsAsync(IReadOnlyList<ShoPreparedMcim> preparations,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(preparations);
        lock (_poolLock)
            return ValueTask.FromResult<IReadOnlyList<ShoPreparationReservation>>([.. preparations.Select(ReserveOne)]);
    }

    private ShoPreparationReservation ReserveOne(ShoPreparedMcim preparation)
    {
        if (_prepared.ContainsKey(preparation.Pcid))
            return ShoPreparationReservation.Exists;
        var free = _pool.FirstOrDefault(p => p.Value.State == "free").Key;
        if (free is null)
            return ShoPreparationReservation.Exhausted;
        _pool[free] = ("prepared", preparation.Pcid);
        _prepared[preparation.Pcid] = CopyPrepared(preparation with { Imsi = free, State = ShoPreparedMcim.Sealing, McimObject = null, K = null, Opc = null });
        return new ShoPreparationReservation(free, false);
    }

    public ValueTask<int> CompletePreparationsAsync(IReadOnlyList<ShoSealedPreparation> sealedMcims, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(sealedMcims);
        lock (_poolLock)
        {
            var moved = 0;
            foreach (var m in sealedMcims)
            {
                if (!_prepared.TryGetValue(m.Pcid, out var p) || p.State != ShoPreparedMcim.Sealing)
                    continue;
                _prepared[m.Pcid] = CopyPrepared(p with { State = ShoPreparedMcim.Prepared, McimObject = m.McimObject, K = m.K, Opc = m.Opc });
                moved++;
            }
            return ValueTask.FromResult(moved);
        }
    }

    public ValueTask<ShoPreparedMcim?> FindPreparedAsync(string pcid, CancellationToken cancellationToken = default)
    {
        lock (_poolLock)
            return ValueTask.FromResult(_prepared.TryGetValue(pcid, out var p) ? CopyPrepared(p) : null);
    }

    public ValueTask<IReadOnlyList<ShoPreparedSummary>> ListPreparedAsync(CancellationToken cancellationToken = default)
    {
        lock (_poolLock)
        {
            return ValueTask.FromResult<IReadOnlyList<ShoPreparedSummary>>([.. _prepared.Values.OrderBy(p => p.Pcid, StringComparer.Ordinal)
                .Select(p => new ShoPreparedSummary(p.Pcid, p.TreId, p.State, p.Imsi, p.CreatedAt, p.ExpiresAt))]);
        }
    }

    public async ValueTask<bool> ReleasePreparedAsync(ShoSubscription downloading, string expectedState, DateTimeOffset now, AuditRecord? audit = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(downloading);
        lock (_poolLock)
        {
            if (!_prepared.TryGetValue(downloading.Pcid, out var p) || p.State != ShoPreparedMcim.Prepared || p.Imsi != downloading.Imsi || p.ExpiresAt <= now
                || !_pool.TryGetValue(p.Imsi, out var e) || e.State != "prepared" || e.Pcid != p.Pcid
                || !_subs.TryGetValue(downloading.Pcid, out var old) || old.State != expectedState || !_subs.TryUpdate(downloading.Pcid, Copy(downloading), old))
                return false;
            _prepared.Remove(p.Pcid);
            _pool[p.Imsi] = ("assigned", p.Pcid);
        }
        await AppendAsync(audit).ConfigureAwait(false);
        return true;
    }

    public ValueTask<bool> DiscardPreparedAsync(string pcid, DateTimeOffset? expiredAt = null, CancellationToken cancellationToken = default)
    {
        lock (_poolLock)
        {
            if (!_prepared.TryGetValue(pcid, out var p) || expiredAt is { } at && p.ExpiresAt > at)
                return ValueTask.FromResult(false);
            _prepared.Remove(pcid);
            if (_pool.TryGetValue(p.Imsi, out var e) && e.State == "prepared")
                _pool[p.Imsi] = ("free", null);
            return ValueTask.FromResult(true);
        }
    }

    public ValueTask<IReadOnlyList<string>> ListStalePreparationsAsync(DateTimeOffset now, DateTimeOffset sealingStartedBefore, int limit,
        CancellationToken cancellationToken = default)
    {
        lock (_poolLock)
        {
            return ValueTask.FromResult<IReadOnlyList<string>>([.. _prepared.Values
                .Where(p => p.ExpiresAt <= now || p.State == ShoPreparedMcim.Sealing && p.CreatedAt < sealingStartedBefore)
                .OrderBy(p => p.ExpiresAt).ThenBy(p => p.Pcid, StringComparer.Ordinal).Take(limit).Select(p => p.Pcid)]);
        }
    }

    private static ShoPreparedMcim CopyPrepared(ShoPreparedMcim p) =>
        p with { McimObject = (byte[]?)p.McimObject?.Clone(), K = (byte[]?)p.K?.Clone(), Opc = (byte[]?)p.Opc?.Clone() };
}
