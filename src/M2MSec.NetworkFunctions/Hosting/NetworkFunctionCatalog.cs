using M2MSec.NetworkFunctions.Hss;
using M2MSec.NetworkFunctions.Ota;
using M2MSec.NetworkFunctions.Smsc;

namespace M2MSec.NetworkFunctions.Hosting;

/// <summary>The roles this build can host, by name; later roles register here.</summary>
public static class NetworkFunctionCatalog
{
    /// <summary>Each role's factory, given the addresses of the roles it talks to (its peers).</summary>
    private static readonly Dictionary<string, Func<IReadOnlyDictionary<string, Uri>, INetworkFunction>> Factories = new(StringComparer.Ordinal)
    {
        [NetworkFunctionRole.Hss] = _ => new HssFunction(),
        [NetworkFunctionRole.Smsc] = _ => new SmscFunction(),
        [NetworkFunctionRole.Ota] = peers => new OtaServerFunction(new OtaServerOptions(
            peers.TryGetValue(NetworkFunctionRole.Smsc, out var smsc) ? smsc : throw new ArgumentException("the OTA server needs the SMSC's address (--smsc URL)"))),
    };

    /// <summary>Available role names, in <see cref="NetworkFunctionRole.All"/> order.</summary>
    public static IReadOnlyList<string> Available { get; } = [.. NetworkFunctionRole.All.Where(Factories.ContainsKey)];

    public static bool TryCreate(string role, out INetworkFunction function, IReadOnlyDictionary<string, Uri>? peers = null)
    {
        if (Factories.TryGetValue(role, out var factory))
        {
            function = factory(peers ?? new Dictionary<string, Uri>());
            return true;
        }
        function = null!;
        return false;
    }

    /// <summary>Starts <paramref name="role"/> on the store <paramref name="store"/> names.</summary>
    public static async Task<NetworkFunctionHost> StartAsync(string role, StoreOptions store, string? urls = null, bool createKeyRing = false,
        IReadOnlyDictionary<string, Uri>? peers = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(store);
        if (!TryCreate(role, out var function, peers))
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
                var peers = hosts.ToDictionary(h => h.Role, h => h.Address, StringComparer.Ordinal);
                hosts.Add(await StartAsync(role, own, createKeyRing: createKeyRing, peers: peers, cancellationToken: cancellationToken).ConfigureAwait(false));
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
