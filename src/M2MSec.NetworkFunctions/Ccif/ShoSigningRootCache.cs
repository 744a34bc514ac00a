namespace M2MSec.NetworkFunctions.Ccif;

/// <summary>
/// The SHO's M2MSIMMobj signing root as the CCIF puts it into each device at manufacture (trust/root/sho), kept for
/// <see cref="CcifOptions.ShoSigningRootLifetime"/> after a fetch. Issue 19: the CCIF asked the SHO once per device (half a
/// request per device of the demo) for a root that changes only when the SHO rotates it; a rotation now reaches new devices
/// within the lifetime. A failed fetch is not kept: the next manufacture asks again.
/// </summary>
public sealed class ShoSigningRootCache(TimeProvider time, CcifOptions options)
{
    private volatile Entry? _entry;

    /// <summary>The cached root (DER) while fresh, else <paramref name="fetch"/>'s (kept when not null).</summary>
    public async Task<byte[]?> GetAsync(Func<CancellationToken, Task<byte[]?>> fetch, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(fetch);
        var now = time.GetUtcNow();
        if (_entry is { } entry && now < entry.ExpiresAt)
            return entry.Root;
        var root = await fetch(ct).ConfigureAwait(false);
        if (root is not null)
            _entry = new Entry(root, now + options.ShoSigningRootLifetime);
        return root;
    }

    private sealed record Entry(byte[] Root, DateTimeOffset ExpiresAt);
}
