using System.Net;
using System.Security.Cryptography.X509Certificates;
using System.Text.RegularExpressions;
using M2MSec.Cli.Internal;
using M2MSec.NetworkFunctions.Console;
using M2MSec.NetworkFunctions.Hosting;
using M2MSec.Storage.Security;
using M2MSec.Tests.Support;
using OpenQA.Selenium;

namespace M2MSec.Tests.Browser;

/// <summary>
/// Issue 20: what the console's browser tests run against — a small demo's data (5 devices: TRE- and UICC-based, provisioned,
/// configured by DM and OTA, triggered, grouped, one moved to sho-b), its network functions started again on that data as
/// `serve all` would (so the console's actions go through running services), the console of that fleet, and one chromium
/// trusting the operator root, logged in with the one-time token. Shared by a test class (one demo, one browser).
/// </summary>
public sealed partial class ConsoleRig : IAsyncDisposable
{
    public const int Devices = 5;

    private ConsoleRig(string dir, StoreOptions store, NetworkFunctionFleet fleet, ConsoleHost console, ChromiumBrowser browser)
    {
        Directory = dir;
        Store = store;
        Fleet = fleet;
        Console = console;
        Browser = browser;
    }

    public string Directory { get; }

    public StoreOptions Store { get; }

    public NetworkFunctionFleet Fleet { get; }

    public ConsoleHost Console { get; }

    /// <summary>Trusts the operator root, holds no client certificate; logged in by token.</summary>
    internal ChromiumBrowser Browser { get; }

    /// <summary>Where the screenshots go: M2MSEC_CONSOLE_SCREENSHOTS (docs/images/refresh-console-screenshots.sh), else the rig's directory.</summary>
    public string ScreenshotDirectory => Environment.GetEnvironmentVariable("M2MSEC_CONSOLE_SCREENSHOTS") is { Length: > 0 } d ? d : Path.Combine(Directory, "screenshots");

    public Uri Url(string path) => new(Console.Address, path);

    public X509Certificate2 Root => X509CertificateLoader.LoadCertificateFromFile(Path.Combine(Directory, "root.pem"));

    internal static async Task<ConsoleRig> StartAsync()
    {
        ChromiumBrowser.RequireTools();
        var dir = Path.Combine(Path.GetTempPath(), "m2msec-console-browser-" + Guid.NewGuid().ToString("N"));
        using (var output = new StringWriter())
        using (var error = new StringWriter())
        {
            var code = await M2MSec.Cli.M2MSecCli.RunAsync(["demo", "--devices", Devices.ToString(System.Globalization.CultureInfo.InvariantCulture), "--data", dir],
                output, error, CancellationToken.None);
            if (code != 0)
                throw new InvalidOperationException($"demo exit {code}: {output}{error}");
        }
        // The demo's services stopped with it: `serve all` on its data, with the same (per-user, test-home) key ring.
        var store = new StoreOptions(dir, KeyRing.ResolvePath(CliDefaults.KekFile(null).Path, dir));
        var fleet = await NetworkFunctionCatalog.StartAllAsync(store);
        ConsoleHost? console = null;
        try
        {
            console = await ConsoleSetup.StartForFleetAsync(fleet, store, CancellationToken.None)
                ?? throw new InvalidOperationException("no console: the fleet has no operator hierarchy");
            var root = X509CertificateLoader.LoadCertificateFromFile(Path.Combine(dir, "root.pem"));
            var browser = await ChromiumBrowser.StartAsync(root);
            var rig = new ConsoleRig(dir, store, fleet, console, browser);
            rig.LogInWithToken(console.NewLoginToken());
            return rig;
        }
        catch
        {
            if (console is not null)
                await console.DisposeAsync();
            await fleet.DisposeAsync();
            throw;
        }
    }

    /// <summary>The login page, the token typed in, the form sent: the fleet page with the actor named.</summary>
    private void LogInWithToken(string token)
    {
        var error = Browser.Open(Url("/login"));
        if (error is not null)
            throw new InvalidOperationException("the console did not load: " + error);
        Screenshot("login");
        Browser.Driver.FindElement(By.Id("token")).SendKeys(token);
        Browser.Driver.FindElement(By.Id("login-submit")).Click();
        Browser.Wait(d => d.FindElement(By.Id("who")).Text == "token");
    }

    /// <summary>Saves the page as docs/images' console-NAME.png (or in the rig's directory).</summary>
    public void Screenshot(string name) => Browser.SaveScreenshot(Path.Combine(ScreenshotDirectory, $"console-{name}.png"));

    /// <summary>Goes to <paramref name="path"/> and waits for the page's main element.</summary>
    public IWebElement Go(string path)
    {
        Browser.Driver.Navigate().GoToUrl(Url(path));
        return Browser.Wait(d => d.FindElement(By.Id("page")));
    }

    /// <summary>An HTTP client outside the browser that trusts the operator root (the console's certificate), with its own cookie jar.</summary>
    public HttpClient Client(CookieContainer? cookies = null)
    {
        var root = Root;
        var issuing = X509CertificateLoader.LoadCertificateFromFile(Path.Combine(Directory, "chain.pem"));
        var handler = new SocketsHttpHandler
        {
            CookieContainer = cookies ?? new CookieContainer(),
            AllowAutoRedirect = false,
            SslOptions =
            {
                RemoteCertificateValidationCallback = (_, certificate, _, _) =>
                {
                    if (certificate is null)
                        return false;
                    using var chain = new X509Chain();
                    chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
                    chain.ChainPolicy.CustomTrustStore.Add(root);
                    chain.ChainPolicy.ExtraStore.Add(issuing);
                    chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
                    chain.ChainPolicy.DisableCertificateDownloads = true;
                    return chain.Build(X509CertificateLoader.LoadCertificate(certificate.GetRawCertData()));
                },
            },
        };
        return new HttpClient(handler) { BaseAddress = Console.Address, Timeout = TimeSpan.FromSeconds(30) };
    }

    /// <summary>The anti-forgery field's value in a page the console served.</summary>
    public static string AntiforgeryToken(string html) =>
        AntiforgeryPattern().Match(html) is { Success: true } m ? WebUtility.HtmlDecode(m.Groups[1].Value) : throw new InvalidOperationException("no anti-forgery field in the page");

    [GeneratedRegex("name=\"" + ConsolePagesField + "\" value=\"([^\"]+)\"")]
    private static partial Regex AntiforgeryPattern();

    private const string ConsolePagesField = "__console_af";

    public async ValueTask DisposeAsync()
    {
        Browser.Dispose();
        await Console.DisposeAsync();
        await Fleet.DisposeAsync();
        foreach (var path in new[] { Directory, Directory + ".fuse" })
        {
            try
            {
                if (System.IO.Directory.Exists(path))
                    System.IO.Directory.Delete(path, true);
            }
            catch (IOException)
            {
                // A temporary directory.
            }
        }
        File.Delete(Directory + ".kek.json");
    }
}

/// <summary>Starts the <see cref="ConsoleRig"/> on first use (so that a test without chromium skips instead of failing the fixture).</summary>
public sealed class ConsoleRigFixture : IAsyncDisposable
{
    private readonly Lazy<Task<ConsoleRig>> _rig = new(ConsoleRig.StartAsync);

    public async Task<ConsoleRig> GetAsync()
    {
        ChromiumBrowser.RequireTools();
        return await _rig.Value;
    }

    public async ValueTask DisposeAsync()
    {
        if (_rig.IsValueCreated && _rig.Value.IsCompletedSuccessfully)
            await _rig.Value.Result.DisposeAsync();
    }
}

/// <summary>The browser test classes run one after the other: the managed-policy directory is the machine's, shared by every chromium.</summary>
[CollectionDefinition(Name)]
[LongRunning(42)]
public sealed class ChromiumCollection
{
    public const string Name = "chromium";
}
