using System.Net;
using System.Security.Cryptography.X509Certificates;
using System.Text.RegularExpressions;
using M2MSec.Cli.Commands;
using M2MSec.Device.M2me;
using M2MSec.Device.Provisioning;
using M2MSec.NetworkFunctions.Ccif;
using M2MSec.NetworkFunctions.Console;
using M2MSec.NetworkFunctions.Hosting;
using M2MSec.Pki.Authority;
using M2MSec.Pki.Tls;
using M2MSec.Storage;
using M2MSec.Storage.Dm;
using M2MSec.Tests.Support;

namespace M2MSec.Tests.Console;

/// <summary>
/// Issue 20: every role in one process (as `serve all`, mutual TLS) with one TRE device provisioned through the 21 steps, a DM
/// server store beside them holding the device's DM account and a hostile device's report, and the web console over them.
/// </summary>
public sealed partial class ConsoleFleet : IAsyncLifetime
{
    public const string Pcid = "001900000000901";

    /// <summary>A device id (DevId) and DevInfo value a hostile device chose: markup that must come out as text.</summary>
    public const string HostileDevId = "<script>alert('devid')</script>";

    public const string HostileValue = "\"><img src=x onerror=alert(1)><script>alert('devinfo')</script>";

    public string Directory { get; } = TestKeyRing.TempDirectory("m2msec-console-");

    public NetworkFunctionFleet Fleet { get; private set; } = null!;

    public StoreOptions Store { get; private set; } = null!;

    public ConsoleHost Console { get; private set; } = null!;

    /// <summary>The DM server's store (DIR/dm), as `dm account add` and `dm job show` use it.</summary>
    public IStateStore Dm { get; private set; } = null!;

    public string? Imsi { get; private set; }

    public async ValueTask InitializeAsync()
    {
        var ct = TestContext.Current.CancellationToken;
        Store = new StoreOptions(Path.Combine(Directory, "nf"), Path.Combine(Directory, "kek.json"));
        Fleet = await NetworkFunctionCatalog.StartAllAsync(Store, createKeyRing: true, cancellationToken: ct);
        var device = M2meDevice.Create(Path.Combine(Directory, "dev"), Path.Combine(Directory, "fuses"), Pcid, M2meKind.Tre, platformKey: KeyAlgorithm.EcP256);
        using (var http = Fleet.AdminClient("ccif", TimeSpan.FromSeconds(30)))
            CcifCommand.Inject(device, await new CcifClient(http).ManufactureAsync(CcifCommand.Request(device, KeyAlgorithm.EcP256, null), ct), null);
        using (var provisioning = new M2meProvisioning(device, new ProvisioningEndpoints(Fleet["vno"].DeviceAddress!, Fleet["drf"].DeviceAddress!),
            new McimDownloadOptions { PollInterval = TimeSpan.FromMilliseconds(50), Deadline = TimeSpan.FromSeconds(60) }))
        {
            await provisioning.RunAsync((_, _) => { }, ct);
            Imsi = provisioning.Download!.Imsi;
        }
        Dm = await (Store with { DataDirectory = Path.Combine(Store.DataDirectory, "dm") }).OpenAsync(cancellationToken: ct);
        var now = DateTimeOffset.UtcNow;
        foreach (var dev in new[] { Pcid, HostileDevId })
            await Dm.Dm.AddAccountAsync(new DmAccount(dev, "m2msec", "user", "client-secret"u8.ToArray(), "server-secret"u8.ToArray(), "md5", "md5", now), ct);
        await Dm.Dm.KeepDevInfoAsync(HostileDevId, [("./DevInfo/Mod", HostileValue)], now, ct);
        await Dm.Audit.AppendAsync("device", "dm.session", HostileDevId, HostileValue, ct);
        Console = (await ConsoleSetup.StartForFleetAsync(Fleet, Store, ct))!;
    }

    public async ValueTask DisposeAsync()
    {
        await Console.DisposeAsync();
        await Dm.DisposeAsync();
        await Fleet.DisposeAsync();
        System.IO.Directory.Delete(Directory, true);
    }

    /// <summary>A browser-like client: checks the console's certificate against the operator root, keeps cookies, follows no redirect.</summary>
    public HttpClient Browser(X509Certificate2? clientCertificate = null, CookieContainer? cookies = null)
    {
        var handler = new SocketsHttpHandler
        {
            AllowAutoRedirect = false,
            CookieContainer = cookies ?? new CookieContainer(),
            UseCookies = true,
            SslOptions =
            {
                RemoteCertificateValidationCallback = ProfileChainValidator.ServerCallback(Fleet.Hierarchy!.Root, [Fleet.Hierarchy.Issuing]),
                ClientCertificates = clientCertificate is null ? null : [clientCertificate],
                LocalCertificateSelectionCallback = clientCertificate is null ? null : (_, _, _, _, _) => clientCertificate,
            },
        };
        return new HttpClient(handler) { BaseAddress = Console.Address, Timeout = TimeSpan.FromSeconds(60) };
    }

    /// <summary>The administrator's certificate `serve all` writes (admin.crt, admin.key).</summary>
    public X509Certificate2 AdminCertificate() =>
        X509Certificate2.CreateFromPemFile(Path.Combine(Store.DataDirectory, "admin.crt"), Path.Combine(Store.DataDirectory, "admin.key"));

    /// <summary>A certificate of the operator hierarchy that is not an administrator's: the MTC server's (role mtc-server).</summary>
    public X509Certificate2 MtcServerCertificate() =>
        X509Certificate2.CreateFromPemFile(Path.Combine(Store.DataDirectory, "mtc-server.crt"), Path.Combine(Store.DataDirectory, "mtc-server.key"));

    /// <summary>A client logged in with a fresh one-time token.</summary>
    public async Task<HttpClient> LoggedInAsync(CancellationToken ct)
    {
        var browser = Browser();
        var token = Console.NewLoginToken();
        using var response = await PostFormAsync(browser, "/login", "/login", new() { ["token"] = token }, ct);
        Assert.Equal(HttpStatusCode.SeeOther, response.StatusCode);
        return browser;
    }

    /// <summary>The anti-forgery field of the form on <paramref name="page"/>, as a browser would submit it.</summary>
    public static async Task<string> AntiforgeryAsync(HttpClient browser, string page, CancellationToken ct)
    {
        var html = await browser.GetStringAsync(page, ct);
        return AntiforgeryField().Match(html) is { Success: true } m ? WebUtility.HtmlDecode(m.Groups[1].Value) : throw new InvalidOperationException($"{page}: no anti-forgery field");
    }

    /// <summary>Submits a form of <paramref name="page"/> (with its anti-forgery field) to <paramref name="action"/>.</summary>
    public static async Task<HttpResponseMessage> PostFormAsync(HttpClient browser, string page, string action, Dictionary<string, string> fields, CancellationToken ct)
    {
        fields[ConsolePagesField] = await AntiforgeryAsync(browser, page, ct);
        return await browser.PostAsync(action, new FormUrlEncodedContent(fields), ct);
    }

    public const string ConsolePagesField = "__console_af";

    [GeneratedRegex("name=\"__console_af\" value=\"([^\"]+)\"")]
    private static partial Regex AntiforgeryField();
}
