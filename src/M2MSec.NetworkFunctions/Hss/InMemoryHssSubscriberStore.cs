using System.Collections.Concurrent;
using M2MSec.Aka;

namespace M2MSec.NetworkFunctions.Hss;

/// <summary>In-memory HSS store: for tests and the demo; state is lost on exit.</summary>
public sealed class InMemoryHssSubscriberStore : IEditableHssSubscriberStore
{
    private readonly ConcurrentDictionary<string, Entry> _entries = new(StringComparer.Ordinal);

    public ValueTask<HssSubscriber?> FindAsync(string imsi, CancellationToken cancellationToken = default) =>
        ValueTask.FromResult(_entries.TryGetValue(imsi, out var e) ? e.Subscriber : null);

    public ValueTask<HssSqnState?> GetSqnStateAsync(string imsi, CancellationToken cancellationToken = default)
    {
        if (!_entries.TryGetValue(imsi, out var e))
            return ValueTask.FromResult<HssSqnState?>(null);
        lock (e)
            return ValueTask.FromResult<HssSqnState?>(new HssSqnState(e.SeqHe, e.IndHe));
    }

    public ValueTask<bool> AddAsync(HssSubscriber subscriber, ulong initialSeqHe = 0, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(subscriber);
        return ValueTask.FromResult(_entries.TryAdd(subscriber.ImsiValue, new Entry(subscriber) { SeqHe = initialSeqHe }));
    }

    public ValueTask<ulong[]?> AllocateSqnsAsync(string imsi, int count, SqnScheme scheme, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(count);
        if (!_entries.TryGetValue(imsi, out var e))
            return ValueTask.FromResult<ulong[]?>(null);
        var sqns = new ulong[count];
        lock (e)
        {
            for (var i = 0; i < count; i++)
                sqns[i] = HeSqnGenerator.Next(scheme, ref e.SeqHe, ref e.IndHe);
        }
        return ValueTask.FromResult<ulong[]?>(sqns);
    }

    public ValueTask<bool> ResynchroniseAsync(string imsi, ulong sqnMs, SqnScheme scheme, CancellationToken cancellationToken = default)
    {
        if (!_entries.TryGetValue(imsi, out var e))
            return ValueTask.FromResult(false);
        lock (e)
            return ValueTask.FromResult(HeSqnGenerator.Resynchronise(scheme, sqnMs, ref e.SeqHe));
    }

    private sealed class Entry(HssSubscriber subscriber)
    {
        public HssSubscriber Subscriber { get; } = subscriber;
        public ulong SeqHe;
        public int IndHe;
    }
}
