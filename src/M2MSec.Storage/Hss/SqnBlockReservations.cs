using System.Collections.Concurrent;
using System.Security.Cryptography;
using M2MSec.Aka;

namespace M2MSec.Storage.Hss;

/// <summary>
/// SQN reservation in blocks (issue 19 target 5, docs/decisions/035): the AuC reserves <see cref="BlockSize"/> SQNs of a
/// subscriber with ONE durable commit of the store's atomic counter (<see cref="IEditableHssSubscriberStore.AllocateSqnsAsync"/>:
/// an UPDATE … RETURNING, fsynced before it returns) and hands them out from memory, in order. Nothing of a block is handed out
/// before the block is durable, so after a crash or restart SEQ_HE in the store is at or past every SQN ever handed out: the
/// unused remainder of a block is skipped, never reused (TS 33.102 C.1.1.2, C.3.2: SEQ_HE only increases). Two instances on one
/// store get disjoint blocks from the atomic UPDATE. A skip is at most <see cref="BlockSize"/> − 1 per restart, far inside the
/// USIM's Δ (C.2.2; decision 001), and <see cref="BlockSize"/> ≤ L keeps vectors of two instances' blocks inside the age limit.
/// </summary>
public sealed class SqnBlockReservations
{
    /// <summary>Above this many subscribers with a block in memory all blocks are dropped (their SQNs skipped, never reused).</summary>
    private const int MaxEntries = 1 << 16;

    private readonly ConcurrentDictionary<string, Entry> _entries = new(StringComparer.Ordinal);
    private readonly byte[] _fingerprintKey = RandomNumberGenerator.GetBytes(32);

    public SqnBlockReservations(int blockSize, SqnScheme scheme)
    {
        ArgumentNullException.ThrowIfNull(scheme);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(blockSize);
        if ((ulong)blockSize > scheme.L)
            throw new ArgumentOutOfRangeException(nameof(blockSize), $"An SQN block must not exceed the age limit L = {scheme.L} (TS 33.102 C.2.2).");
        BlockSize = blockSize;
        Scheme = scheme;
    }

    public int BlockSize { get; }

    public SqnScheme Scheme { get; }

    /// <summary>
    /// <paramref name="count"/> SQNs for <paramref name="subscriber"/>, in increasing order: what remains of its block first, then
    /// from a new block reserved durably (at least <see cref="BlockSize"/>). Null if the store no longer knows the subscriber.
    /// </summary>
    public async ValueTask<ulong[]?> TakeAsync(IEditableHssSubscriberStore store, HssSubscriber subscriber, int count, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(subscriber);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(count);
        if (BlockSize == 1)
            return await store.AllocateSqnsAsync(subscriber.ImsiValue, count, Scheme, cancellationToken).ConfigureAwait(false);
        if (_entries.Count >= MaxEntries)
            _entries.Clear();
        var entry = _entries.GetOrAdd(subscriber.ImsiValue, static _ => new Entry());
        var fingerprint = Fingerprint(subscriber);
        await entry.Gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            // A block belongs to the subscription (K, OPc) it was reserved for: one retired and added again — here or through
            // another instance — starts from its own SEQ_HE, never from a block of the old one.
            if (entry.Fingerprint is null || !CryptographicOperations.FixedTimeEquals(entry.Fingerprint, fingerprint))
            {
                entry.Block.Clear();
                entry.Fingerprint = fingerprint;
            }
            var sqns = new ulong[count];
            var taken = 0;
            while (taken < count && entry.Block.TryDequeue(out var sqn))
                sqns[taken++] = sqn;
            if (taken == count)
                return sqns;
            var fresh = await ReserveAsync(store, subscriber.ImsiValue, count - taken, cancellationToken).ConfigureAwait(false);
            if (fresh is null)
            {
                entry.Block.Clear();
                return null;
            }
            for (var i = 0; i < fresh.Length; i++)
            {
                if (taken < count)
                    sqns[taken++] = fresh[i];
                else
                    entry.Block.Enqueue(fresh[i]);
            }
            return sqns;
        }
        finally
        {
            entry.Gate.Release();
        }
    }

    /// <summary>
    /// Drops the subscriber's block (its SQNs are skipped): after a resynchronisation (§6.3.5) the next vectors come from the
    /// store's SEQ_HE, past SQN_MS; after a retirement no SQN of the old subscription is handed out.
    /// </summary>
    public void Forget(string imsi) => _entries.TryRemove(imsi, out _);

    /// <summary>SQNs held in memory for the subscriber, reserved durably and not yet handed out.</summary>
    public int Held(string imsi) => _entries.TryGetValue(imsi, out var e) ? e.Block.Count : 0;

    /// <summary>One durable commit for a block; near the end of SEQ a smaller block that still covers what is needed.</summary>
    private async ValueTask<ulong[]?> ReserveAsync(IEditableHssSubscriberStore store, string imsi, int needed, CancellationToken ct)
    {
        var size = Math.Max(BlockSize, needed);
        try
        {
            return await store.AllocateSqnsAsync(imsi, size, Scheme, ct).ConfigureAwait(false);
        }
        catch (InvalidOperationException) when (size > needed)
        {
            return await store.AllocateSqnsAsync(imsi, needed, Scheme, ct).ConfigureAwait(false);
        }
    }

    private byte[] Fingerprint(HssSubscriber s)
    {
        Span<byte> both = stackalloc byte[32];
        s.K.CopyTo(both);
        s.Opc.CopyTo(both[16..]);
        var mac = HMACSHA256.HashData(_fingerprintKey, both);
        CryptographicOperations.ZeroMemory(both);
        return mac;
    }

    private sealed class Entry
    {
        public SemaphoreSlim Gate { get; } = new(1, 1);

        public Queue<ulong> Block { get; } = new();

        public byte[]? Fingerprint { get; set; }
    }
}
