using M2MSec.NetworkFunctions.Hss;

namespace M2MSec.NetworkFunctions.Hosting;

/// <summary>The roles this build can host, by name; later roles register here.</summary>
public static class NetworkFunctionCatalog
{
    private static readonly Dictionary<string, Func<INetworkFunction>> Factories = new(StringComparer.Ordinal)
    {
        [NetworkFunctionRole.Hss] = () => new HssFunction(),
    };

    /// <summary>Available role names, in <see cref="NetworkFunctionRole.All"/> order.</summary>
    public static IReadOnlyList<string> Available { get; } = [.. NetworkFunctionRole.All.Where(Factories.ContainsKey)];

    public static bool TryCreate(string role, out INetworkFunction function)
    {
        if (Factories.TryGetValue(role, out var factory))
        {
            function = factory();
            return true;
        }
        function = null!;
        return false;
    }

    /// <summary>Starts <paramref name="role"/> on the store <paramref name="store"/> names.</summary>
    public static async Task<NetworkFunctionHost> StartAsync(string role, StoreOptions store, string? urls = null, bool createKeyRing = false, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(store);
        if (!TryCreate(role, out var function))
            throw new ArgumentException($"Unknown role '{role}'.", nameof(role));
        var state = await store.OpenAsync(createKeyRing: createKeyRing, cancellationToken: cancellationToken).ConfigureAwait(false);
        try
        {
            return await NetworkFunctionHost.StartAsync(function, store.DataDirectory, state, urls, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await state.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Starts every available role in this process, each on its own loopback port and in its own subdirectory.</summary>
    public static async Task<IReadOnlyList<NetworkFunctionHost>> StartAllAsync(StoreOptions store, bool createKeyRing = false, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(store);
        var hosts = new List<NetworkFunctionHost>();
        try
        {
            foreach (var role in Available)
            {
                var own = store with { DataDirectory = Path.Combine(store.DataDirectory, role) };
                hosts.Add(await StartAsync(role, own, createKeyRing: createKeyRing, cancellationToken: cancellationToken).ConfigureAwait(false));
            }
            return hosts;
        }
        catch
        {
            foreach (var h in hosts)
                await h.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }
}
