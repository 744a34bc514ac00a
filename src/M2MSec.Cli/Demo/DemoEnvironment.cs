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

    private DemoEnvironment(string dataDirectory, NetworkFunctionFleet fleet, NetworkFunctionHost dm)
    {
        Dm = dm;
        DataDirectory = dataDirectory;
        _fleet = fleet;
        // The demo drives the functions as their administrator, over mutual TLS.
        _hssHttp = DemoHttp.AdminClient(fleet, NetworkFunctionRole.Hss, TimeSpan.FromSeconds(30));
        Hss = new HssClient(_hssHttp);
        _smscHttp = DemoHttp.AdminClient(fleet, NetworkFunctionRole.Smsc, TimeSpan.FromSeconds(60));
        Smsc = new SmscClient(_smscHttp);
        Ota = DemoHttp.AdminClient(fleet, NetworkFunctionRole.Ota, TimeSpan.FromSeconds(30));
    }

    public SmscClient Smsc { get; }

    /// <summary>The OTA server's API.</summary>
    public HttpClient Ota { get; }

    public string DataDirectory { get; }

    /// <summary>The fleet's emulated fuses and replay-protected memory, beside (never inside) the data directory.</summary>
    public string FuseDirectory => Path.TrimEndingDirectorySeparator(DataDirectory) + ".fuse";

    public IReadOnlyList<NetworkFunctionHost> Hosts => [.. _fleet.Hosts, Dm];

    /// <summary>The OMA DM server: device-facing HTTPS with a dm-server certificate of the operator hierarchy.</summary>
    public NetworkFunctionHost Dm { get; }

    /// <summary>The operator root devices are given at manufacture (trust/root/dm in the TRE).</summary>
    public System.Security.Cryptography.X509Certificates.X509Certificate2 OperatorRoot => _fleet.Hierarchy!.Root;

    /// <summary>Where devices ask about the DM server's certificate (OCSP with a nonce).</summary>
    public Uri OcspUrl => _fleet[NetworkFunctionRole.Ocsp].Address;

    /// <summary>Whether the functions talk mutual TLS (the default).</summary>
    public bool MutualTls => _fleet.AdminTls is not null;

    public HssClient Hss { get; }

    /// <summary>
    /// Starts the functions on SQLite under <paramref name="dataDirectory"/>; the key ring is created
    /// beside it (never inside), as DIR.kek.json.
    /// </summary>
    public static async Task<DemoEnvironment> StartAsync(string dataDirectory, CancellationToken ct)
    {
        var store = new StoreOptions(dataDirectory, KekFileFor(dataDirectory));
        var fleet = await NetworkFunctionCatalog.StartAllAsync(store, createKeyRing: true, cancellationToken: ct);
        try
        {
            var hierarchy = fleet.Hierarchy!;
            var subject = new M2MSec.Pki.Authority.CertificateSubject("localhost", ["127.0.0.1", "localhost"]);
            var cert = await hierarchy.IssueAsync(M2MSec.Pki.Authority.CertificateProfile.DmServer, subject, cancellationToken: ct);
            var tls = NetworkFunctionTls.ServerOnly(new M2MSec.Pki.Tls.RenewingCertificate(cert,
                c => hierarchy.IssueAsync(M2MSec.Pki.Authority.CertificateProfile.DmServer, subject, cancellationToken: c), TimeProvider.System, TimeSpan.FromHours(1)),
                [hierarchy.Issuing]);
            var dmStore = store with { DataDirectory = Path.Combine(dataDirectory, NetworkFunctionRole.Dm) };
            var state = await dmStore.OpenAsync(createKeyRing: true, cancellationToken: ct);
            var dm = await NetworkFunctionHost.StartAsync(new M2MSec.NetworkFunctions.Dm.DmFunction(new M2MSec.NetworkFunctions.Dm.DmFunctionOptions()),
                dmStore.DataDirectory, state, "https://127.0.0.1:0", tls: tls, cancellationToken: ct);
            return new DemoEnvironment(dataDirectory, fleet, dm);
        }
        catch
        {
            await fleet.DisposeAsync();
            throw;
        }
    }

    public static string KekFileFor(string dataDirectory) => Path.TrimEndingDirectorySeparator(dataDirectory) + ".kek.json";

    public async ValueTask DisposeAsync()
    {
        _hssHttp.Dispose();
        _smscHttp.Dispose();
        Ota.Dispose();
        // Stop in reverse order: a function's clients (the OTA server's long poll) go before their servers.
        await Dm.DisposeAsync();
        await _fleet.DisposeAsync();
    }
}
