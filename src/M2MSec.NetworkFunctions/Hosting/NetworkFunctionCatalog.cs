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

    /// <summary>Starts every available role in this process, each on its own loopback port.</summary>
    public static async Task<IReadOnlyList<NetworkFunctionHost>> StartAllAsync(string dataDirectory, CancellationToken cancellationToken = default)
    {
        var hosts = new List<NetworkFunctionHost>();
        try
        {
            foreach (var role in Available)
            {
                TryCreate(role, out var function);
                hosts.Add(await NetworkFunctionHost.StartAsync(function, Path.Combine(dataDirectory, role), cancellationToken: cancellationToken).ConfigureAwait(false));
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
