using System.Collections.Concurrent;

namespace M2MSec.NetworkFunctions.Sho;

/// <summary>
/// Each SHO's M2MSIMMobj signing root (GET /signing-root) as a peer keeps it — the CCIF to put it into each device at manufacture
/// (trust/root/sho), the DPF to verify M2MSIMMobjs and instructions under it — for a lifetime after a fetch, per SHO. Issue 19: the
/// CCIF asked once per device; the DPF kept a root forever, so a rotated root never reached it. A rotation now reaches both within
/// the lifetime; a failed fetch (null or thrown) is not kept, the next use asks again.
/// </summary>
public sealed class ShoSigningRootCache<TRoot>(TimeProvider time, TimeSpan lifetime)
    where TRoot : class
{
    private readonly ConcurrentDictionary<string, Entry> _entries = new(StringComparer.Ordinal);

    /// <summary>The root of SHO <paramref name="shoId"/> while fresh, else <paramref name="fetch"/>'s (kept when not null).</summary>
    public async Task<TRoot?> GetAsync(string shoId, Func<CancellationToken, Task<TRoot?>> fetch, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(shoId);
        ArgumentNullException.ThrowIfNull(fetch);
        var now = time.GetUtcNow();
        if (_entries.TryGetValue(shoId, out var entry) && now < entry.ExpiresAt)
            return entry.Root;
        var root = await fetch(ct).ConfigureAwait(false);
        if (root is not null)
            _entries[shoId] = new Entry(root, now + lifetime);
        return root;
    }

    private sealed record Entry(TRoot Root, DateTimeOffset ExpiresAt);
}
