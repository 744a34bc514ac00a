using M2MSec.NetworkFunctions.Hosting;
using M2MSec.NetworkFunctions.Hss;
using M2MSec.NetworkFunctions.Smsc;

namespace M2MSec.Cli.Demo;

/// <summary>The network functions of the demo, started as real HTTP services on loopback.</summary>
internal sealed class DemoEnvironment : IAsyncDisposable
{
    private readonly NetworkFunctionFleet _fleet;
    private readonly HttpClient _hssHttp;

    private readonly HttpClient _smscHttp;

    private DemoEnvironment(string dataDirectory, NetworkFunctionFleet fleet)
    {
        DataDirectory = dataDirectory;
        _fleet = fleet;
        // The demo drives the functions as their administrator, over mutual TLS.
        _hssHttp = fleet.AdminClient(NetworkFunctionRole.Hss, TimeSpan.FromSeconds(30));
        Hss = new HssClient(_hssHttp);
        _smscHttp = fleet.AdminClient(NetworkFunctionRole.Smsc, TimeSpan.FromSeconds(60));
        Smsc = new SmscClient(_smscHttp);
        Ota = fleet.AdminClient(NetworkFunctionRole.Ota, TimeSpan.FromSeconds(30));
    }

    public SmscClient Smsc { get; }

    /// <summary>The OTA server's API.</summary>
    public HttpClient Ota { get; }

    public string DataDirectory { get; }

    /// <summary>The fleet's emulated fuses and replay-protected memory, beside (never inside) the data directory.</summary>
    public string FuseDirectory => Path.TrimEndingDirectorySeparator(DataDirectory) + ".fuse";

    public IReadOnlyList<NetworkFunctionHost> Hosts => _fleet.Hosts;

    /// <summary>Whether the functions talk mutual TLS (the default).</summary>
    public bool MutualTls => _fleet.AdminTls is not null;

    public HssClient Hss { get; }

    /// <summary>
    /// Starts the functions on SQLite under <paramref name="dataDirectory"/>; the key ring is created
    /// beside it (never inside), as DIR.kek.json.
    /// </summary>
    public static async Task<DemoEnvironment> StartAsync(string dataDirectory, CancellationToken ct)
    {
        var fleet = await NetworkFunctionCatalog.StartAllAsync(new StoreOptions(dataDirectory, KekFileFor(dataDirectory)), createKeyRing: true, cancellationToken: ct);
        return new DemoEnvironment(dataDirectory, fleet);
    }

    public static string KekFileFor(string dataDirectory) => Path.TrimEndingDirectorySeparator(dataDirectory) + ".kek.json";

    public async ValueTask DisposeAsync()
    {
        _hssHttp.Dispose();
        _smscHttp.Dispose();
        Ota.Dispose();
        // Stop in reverse order: a function's clients (the OTA server's long poll) go before their servers.
        await _fleet.DisposeAsync();
    }
}
