using System.Collections.Concurrent;
using M2MSec.Aka;
using M2MSec.Storage.Hss;

namespace M2MSec.Storage.InMemory;

/// <summary>In-memory HSS store: for tests; state is lost on exit.</summary>
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
        ArgumentNullException.ThrowIfNull(scheme);
        if (!_entries.TryGetValue(imsi, out var e))
            return ValueTask.FromResult<ulong[]?>(null);
        lock (e)
        {
            if (e.SeqHe + (ulong)count > scheme.MaxSeq)
                throw new InvalidOperationException("SEQ_HE is exhausted; the subscription needs a new key.");
            var sqns = new ulong[count];
            for (var i = 0; i < count; i++)
                sqns[i] = HeSqnGenerator.Next(scheme, ref e.SeqHe, ref e.IndHe);
            return ValueTask.FromResult<ulong[]?>(sqns);
        }
    }

    public ValueTask<bool> ResynchroniseAsync(string imsi, ulong sqnMs, SqnScheme scheme, CancellationToken cancellationToken = default)
    {
        if (!_entries.TryGetValue(imsi, out var e))
            return ValueTask.FromResult(false);
        lock (e)
            return ValueTask.FromResult(HeSqnGenerator.Resynchronise(scheme, sqnMs, ref e.SeqHe));
    }

    public ValueTask<bool> RemoveAsync(string imsi, CancellationToken cancellationToken = default) => ValueTask.FromResult(_entries.TryRemove(imsi, out _));

    private sealed class Entry(HssSubscriber subscriber)
    {
        public HssSubscriber Subscriber { get; } = subscriber;
        public ulong SeqHe;
        public int IndHe;
    }
}
