using M2MSec.NetworkFunctions.Hosting;
using M2MSec.NetworkFunctions.Hss;

namespace M2MSec.Cli.Demo;

/// <summary>The network functions of the demo, started as real HTTP services on loopback.</summary>
internal sealed class DemoEnvironment : IAsyncDisposable
{
    private readonly List<NetworkFunctionHost> _hosts = [];
    private readonly HttpClient _hssHttp;

    private DemoEnvironment(string dataDirectory, NetworkFunctionHost hss)
    {
        DataDirectory = dataDirectory;
        _hosts.Add(hss);
        _hssHttp = new HttpClient { BaseAddress = hss.Address, Timeout = TimeSpan.FromSeconds(30) };
        Hss = new HssClient(_hssHttp);
    }

    public string DataDirectory { get; }

    /// <summary>The fleet's emulated fuses and replay-protected memory, beside (never inside) the data directory.</summary>
    public string FuseDirectory => Path.TrimEndingDirectorySeparator(DataDirectory) + ".fuse";

    public IReadOnlyList<NetworkFunctionHost> Hosts => _hosts;

    public HssClient Hss { get; }

    /// <summary>
    /// Starts the functions on SQLite under <paramref name="dataDirectory"/>; the key ring is created
    /// beside it (never inside), as DIR.kek.json.
    /// </summary>
    public static async Task<DemoEnvironment> StartAsync(string dataDirectory, CancellationToken ct)
    {
        var store = new StoreOptions(Path.Combine(dataDirectory, NetworkFunctionRole.Hss), KekFileFor(dataDirectory));
        var hss = await NetworkFunctionCatalog.StartAsync(NetworkFunctionRole.Hss, store, createKeyRing: true, cancellationToken: ct);
        return new DemoEnvironment(dataDirectory, hss);
    }

    public static string KekFileFor(string dataDirectory) => Path.TrimEndingDirectorySeparator(dataDirectory) + ".kek.json";

    public async ValueTask DisposeAsync()
    {
        _hssHttp.Dispose();
        foreach (var h in _hosts)
            await h.DisposeAsync();
    }
}
