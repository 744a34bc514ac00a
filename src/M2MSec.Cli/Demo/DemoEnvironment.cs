using M2MSec.NetworkFunctions.Hosting;
using M2MSec.NetworkFunctions.Hss;
using M2MSec.NetworkFunctions.Smsc;
using M2MSec.Storage.Security;

namespace M2MSec.Cli.Demo;

/// <summary>The network functions of the demo, started as real HTTP services on loopback.</summary>
internal sealed partial class DemoEnvironment : IAsyncDisposable
{
    private readonly NetworkFunctionFleet _fleet;
    private readonly HttpClient _hssHttp;

    private readonly HttpClient _smscHttp;

    private readonly HttpClient _servingNetworkHttp;

    private DemoEnvironment(string dataDirectory, NetworkFunctionFleet fleet, NetworkFunctionHost dm, HttpClient servingNetworkHttp)
    {
        Dm = dm;
        DataDirectory = dataDirectory;
        _fleet = fleet;
        // The demo drives the functions as their administrator, over mutual TLS.
        _hssHttp = DemoHttp.AdminClient(fleet, NetworkFunctionRole.Hss, TimeSpan.FromSeconds(30));
        Hss = new HssClient(_hssHttp);
        _servingNetworkHttp = servingNetworkHttp;
        ServingNetwork = new HssClient(servingNetworkHttp);
        _smscHttp = DemoHttp.AdminClient(fleet, NetworkFunctionRole.Smsc, TimeSpan.FromSeconds(60));
        Smsc = new SmscClient(_smscHttp);
        Ota = DemoHttp.AdminClient(fleet, NetworkFunctionRole.Ota, TimeSpan.FromSeconds(30));
        // Remote MCIM provisioning (issue 15): the factory line at the CCIF, the SHO's IMSI pool, the devices' way in.
        _ccifHttp = DemoHttp.AdminClient(fleet, "ccif", TimeSpan.FromSeconds(30));
        Ccif = new M2MSec.NetworkFunctions.Ccif.CcifClient(_ccifHttp);
        _shoHttp = DemoHttp.AdminClient(fleet, "sho", TimeSpan.FromSeconds(30));
        var ocsp = OcspUrl;
        // The devices' side of the SMSC: its device listener, the server checked against the operator root, no client certificate.
        _deviceSmscHttp = M2MSec.Device.Provisioning.RoProvisioningClient.Client(fleet[NetworkFunctionRole.Smsc].DeviceAddress!, fleet.Hierarchy!.Root);
        DeviceSmsc = new SmscClient(_deviceSmscHttp, "sms/");
        ProvisioningEndpoints = new M2MSec.Device.Provisioning.ProvisioningEndpoints(fleet["vno"].DeviceAddress!, fleet["drf"].DeviceAddress!, ocsp,
            // Blocking on purpose: the check runs inside the TLS handshake's synchronous callback.
            (url, der, _) => Task.FromResult(M2MSec.NetworkFunctions.Ocsp.OcspEndpoints.Query(ProvisioningOcspHttp, url, der)));
    }

    private readonly HttpClient _ccifHttp;

    private readonly HttpClient _deviceSmscHttp;

    /// <summary>The SMSC as devices reach it (the radio side: mobile-terminated and mobile-originated messages).</summary>
    public SmscClient DeviceSmsc { get; }

    private readonly HttpClient _shoHttp;

    private static readonly HttpClient ProvisioningOcspHttp = DemoHttp.Client(TimeSpan.FromSeconds(6));

    /// <summary>The CCIF as the factory line (an administrator) sees it.</summary>
    public M2MSec.NetworkFunctions.Ccif.CcifClient Ccif { get; }

    /// <summary>Where TRE-based devices attach (VNO) and ask the Registration Operator (DRF), and the OCSP responder they check servers with.</summary>
    public M2MSec.Device.Provisioning.ProvisioningEndpoints ProvisioningEndpoints { get; internal set; }

    /// <summary>Gives the SHO <paramref name="count"/> IMSIs for this run (a block of its own: 001 01 9…, apart from the UICC fleet's).</summary>
    public async Task AddShoImsisAsync(int count, CancellationToken ct)
    {
        if (count == 0)
            return;
        var first = $"001019{System.Security.Cryptography.RandomNumberGenerator.GetInt32(0, 9_000) * 100_000L:D9}";
        using var response = await System.Net.Http.Json.HttpClientJsonExtensions.PostAsJsonAsync(_shoHttp, "imsi-pool",
            new M2MSec.NetworkFunctions.Sho.ImsiPoolRangeRequest(first, count), NetworkFunctionHost.JsonOptions, ct);
        response.EnsureSuccessStatusCode();
    }

    public SmscClient Smsc { get; }

    /// <summary>The DPF's device listener, where a locked TRE sends its rehabilitation evidence (issue 16).</summary>
    public Uri DpfDevice => _fleet["dpf"].DeviceAddress!;

    /// <summary>The OTA server's API.</summary>
    public HttpClient Ota { get; }

    public string DataDirectory { get; }

    /// <summary>
    /// The fleet's emulated fuses and replay-protected memory: where `device show` finds them ($M2MSEC_FUSE_DIR, else the
    /// per-user default of <see cref="Internal.CliDefaults"/>), never inside the data directory.
    /// </summary>
    public string FuseDirectory { get; } = Internal.CliDefaults.FuseDirectory(null).Path;

    public IReadOnlyList<NetworkFunctionHost> Hosts => [.. _fleet.Hosts, Dm];

    /// <summary>The OMA DM server: device-facing HTTPS with a dm-server certificate of the operator hierarchy.</summary>
    public NetworkFunctionHost Dm { get; }

    /// <summary>The operator root devices are given at manufacture (trust/root/dm in the TRE).</summary>
    public System.Security.Cryptography.X509Certificates.X509Certificate2 OperatorRoot => _fleet.Hierarchy!.Root;

    /// <summary>Where devices ask about the DM server's certificate (OCSP with a nonce).</summary>
    public Uri OcspUrl => _fleet[NetworkFunctionRole.Ocsp].Address;

    /// <summary>Whether the functions talk mutual TLS (the default).</summary>
    public bool MutualTls => _fleet.AdminTls is not null;

    /// <summary>The HSS as the administrator sees it: subscriber provisioning.</summary>
    public HssClient Hss { get; }

    /// <summary>The HSS as the serving network (role vno) sees it: authentication vectors, CK/IK included (docs/decisions/012).</summary>
    public HssClient ServingNetwork { get; }

    /// <summary>
    /// Starts the functions on SQLite under <paramref name="dataDirectory"/>, their secrets under the key ring every
    /// other command uses by default ($M2MSEC_KEK_FILE, else the per-user one), so that the demo's state can be
    /// inspected afterwards with `device show`, `dm job show` and `audit show` (see <see cref="PrepareLocations"/>).
    /// </summary>
    public static async Task<DemoEnvironment> StartAsync(string dataDirectory, CancellationToken ct)
    {
        var store = new StoreOptions(dataDirectory, KeyRing.ResolvePath(Internal.CliDefaults.KekFile(null).Path, dataDirectory));
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
            // Issue 20: the DM server's /metrics on a mutual-TLS admin listener of its own, never on the devices' listener.
            var dm = await NetworkFunctionHost.StartAsync(new M2MSec.NetworkFunctions.Dm.DmFunction(new M2MSec.NetworkFunctions.Dm.DmFunctionOptions()),
                dmStore.DataDirectory, state, "https://127.0.0.1:0", tls: tls, cancellationToken: ct, adminTls: await fleet.IdentityForAsync(NetworkFunctionRole.Dm, ct));
            // The demo plays the serving network in the AKA stage: a network function of role vno.
            var servingNetwork = await fleet.ClientAsAsync("vno", NetworkFunctionRole.Hss, TimeSpan.FromSeconds(30), ct);
            return new DemoEnvironment(dataDirectory, fleet, dm, servingNetwork);
        }
        catch
        {
            await fleet.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// Before the run: the key ring and the fuse directory the demo shares with the other commands — a named key ring
    /// must exist (exit 2 naming --kek-file), the per-user ones are made on first use with one line on stderr.
    /// </summary>
    public static void PrepareLocations(string dataDirectory, TextWriter error)
    {
        var (kek, namedKek) = Internal.CliDefaults.KekFile(null);
        try
        {
            KeyRing.ResolvePath(kek, dataDirectory);
        }
        catch (M2MSec.Storage.StoreException e)
        {
            throw Internal.CliExitException.Bad(e.Message);
        }
        if (namedKek)
            Internal.CliDefaults.OpenNamedKeyRing(kek);
        else
            Internal.CliDefaults.EnsureDefaultKeyRing(error);
        var (fuse, namedFuse) = Internal.CliDefaults.FuseDirectory(null);
        var full = Path.TrimEndingDirectorySeparator(Path.GetFullPath(dataDirectory)) + Path.DirectorySeparatorChar;
        if ((Path.TrimEndingDirectorySeparator(fuse) + Path.DirectorySeparatorChar).StartsWith(full, StringComparison.Ordinal))
            throw Internal.CliExitException.Bad($"--data: {dataDirectory} holds the fuse directory {fuse}; keep device fuses apart from the data");
        if (namedFuse)
            Internal.CliPaths.Guard("--fuse-dir", fuse, () => Directory.CreateDirectory(fuse));
        else
            Internal.CliDefaults.EnsureDefaultFuseDirectory(error);
    }

    public async ValueTask DisposeAsync()
    {
        _hssHttp.Dispose();
        _ccifHttp.Dispose();
        _deviceSmscHttp.Dispose();
        _shoHttp.Dispose();
        DisposeAdmins();
        _servingNetworkHttp.Dispose();
        _smscHttp.Dispose();
        Ota.Dispose();
        // Stop in reverse order: a function's clients (the OTA server's long poll) go before their servers.
        await Dm.DisposeAsync();
        await _fleet.DisposeAsync();
    }
}
