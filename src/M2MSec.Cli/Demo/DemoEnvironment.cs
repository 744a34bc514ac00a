using M2MSec.NetworkFunctions.Hosting;
using M2MSec.NetworkFunctions.Hss;
using M2MSec.NetworkFunctions.Smsc;

namespace M2MSec.Cli.Demo;

/// <summary>The network functions of the demo, started as real HTTP services on loopback.</summary>
internal sealed class DemoEnvironment : IAsyncDisposable
{
    private readonly List<NetworkFunctionHost> _hosts = [];
    private readonly HttpClient _hssHttp;

    private readonly HttpClient _smscHttp;

    private DemoEnvironment(string dataDirectory, NetworkFunctionHost hss, NetworkFunctionHost smsc, NetworkFunctionHost ota)
    {
        DataDirectory = dataDirectory;
        _hosts.AddRange([hss, smsc, ota]);
        _hssHttp = new HttpClient { BaseAddress = hss.Address, Timeout = TimeSpan.FromSeconds(30) };
        Hss = new HssClient(_hssHttp);
        _smscHttp = new HttpClient { BaseAddress = smsc.Address, Timeout = TimeSpan.FromSeconds(60) };
        Smsc = new SmscClient(_smscHttp);
        Ota = new HttpClient { BaseAddress = ota.Address, Timeout = TimeSpan.FromSeconds(30) };
    }

    public SmscClient Smsc { get; }

    /// <summary>The OTA server's API.</summary>
    public HttpClient Ota { get; }

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
        StoreOptions Store(string role) => new(Path.Combine(dataDirectory, role), KekFileFor(dataDirectory));
        var hss = await NetworkFunctionCatalog.StartAsync(NetworkFunctionRole.Hss, Store(NetworkFunctionRole.Hss), createKeyRing: true, cancellationToken: ct);
        var smsc = await NetworkFunctionCatalog.StartAsync(NetworkFunctionRole.Smsc, Store(NetworkFunctionRole.Smsc), createKeyRing: true, cancellationToken: ct);
        var ota = await NetworkFunctionCatalog.StartAsync(NetworkFunctionRole.Ota, Store(NetworkFunctionRole.Ota), createKeyRing: true,
            peers: new Dictionary<string, Uri> { [NetworkFunctionRole.Smsc] = smsc.Address }, cancellationToken: ct);
        return new DemoEnvironment(dataDirectory, hss, smsc, ota);
    }

    public static string KekFileFor(string dataDirectory) => Path.TrimEndingDirectorySeparator(dataDirectory) + ".kek.json";

    public async ValueTask DisposeAsync()
    {
        _hssHttp.Dispose();
        _smscHttp.Dispose();
        Ota.Dispose();
        // Stop in reverse order: a function's clients (the OTA server's long poll) go before their servers.
        for (var i = _hosts.Count - 1; i >= 0; i--)
            await _hosts[i].DisposeAsync();
    }
}
