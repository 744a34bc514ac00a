using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using M2MSec.Tests.Support;
using OpenQA.Selenium;
using OpenQA.Selenium.Chrome;
using OpenQA.Selenium.Support.UI;

namespace M2MSec.Tests.Browser;

/// <summary>
/// Issue 20: Debian's chromium, headless, driven through Debian's chromedriver by Selenium.WebDriver (never Selenium Manager:
/// both paths are given). Each instance has a throwaway HOME whose NSS database ($HOME/.pki/nssdb, made with certutil) holds
/// what the browser trusts — the operator's root, when given — and the administrator's certificate and key (PKCS#12 through
/// pk12util), when given. Never --ignore-certificate-errors: the browser checks the console's certificate as it would any site's.
/// The client certificate is chosen by the AutoSelectCertificateForUrls policy, written for this browser into Debian
/// chromium's managed-policy directory and removed when the browser is disposed (there is no per-profile managed policy
/// on Linux). Tests run as root (hence --no-sandbox); one instance is shared by a test class to keep the suite quick.
/// </summary>
internal sealed class ChromiumBrowser : IDisposable
{
    /// <summary>Debian chromium reads managed policies from here (/etc/chromium/policies/managed/*.json).</summary>
    public const string ManagedPolicyDirectory = "/etc/chromium/policies/managed";

    private const int WindowWidth = 1280;
    private const int WindowHeight = 900;

    private readonly ChromeDriverService _service;
    private readonly string? _policyFile;

    private ChromiumBrowser(string home, ChromeDriverService service, ChromeDriver driver, string? policyFile)
    {
        Home = home;
        _service = service;
        Driver = driver;
        _policyFile = policyFile;
    }

    /// <summary>The throwaway HOME (NSS database, chromium's user data).</summary>
    public string Home { get; }

    public ChromeDriver Driver { get; }

    /// <summary>The tools a browser test needs, each found or the test skipped (failed under M2MSEC_REQUIRE_TOOLS=1).</summary>
    public static (string Chromium, string ChromeDriver, string CertUtil, string Pk12Util) RequireTools() => (
        ExternalTool.Require("chromium", "Debian package chromium"),
        ExternalTool.Require("chromedriver", "Debian package chromium-driver"),
        ExternalTool.Require("certutil", "Debian package libnss3-tools"),
        ExternalTool.Require("pk12util", "Debian package libnss3-tools"));

    /// <summary>
    /// Starts a browser trusting <paramref name="trustedRoot"/> (none: it trusts no private root at all) and holding
    /// <paramref name="clientCertificate"/> (with its private key and <paramref name="clientChain"/>) chosen automatically for
    /// <paramref name="autoSelectOrigin"/> (e.g. https://127.0.0.1:PORT).
    /// </summary>
    public static async Task<ChromiumBrowser> StartAsync(X509Certificate2? trustedRoot, X509Certificate2? clientCertificate = null,
        X509Certificate2Collection? clientChain = null, Uri? autoSelectOrigin = null)
    {
        var tools = RequireTools();
        var home = Directory.CreateTempSubdirectory("m2msec-browser-").FullName;
        var nssdb = Path.Combine(home, ".pki", "nssdb");
        Directory.CreateDirectory(nssdb);
        var db = "sql:" + nssdb;
        await Run(tools.CertUtil, ["-N", "-d", db, "--empty-password"]);
        if (trustedRoot is not null)
        {
            var rootPem = Path.Combine(home, "root.pem");
            await File.WriteAllTextAsync(rootPem, trustedRoot.ExportCertificatePem() + "\n");
            // "C,,": a CA trusted to issue server certificates (TLS), nothing else.
            await Run(tools.CertUtil, ["-A", "-d", db, "-n", "M2MSec operator root", "-t", "C,,", "-i", rootPem]);
        }
        string? policyFile = null;
        if (clientCertificate is not null)
        {
            ArgumentNullException.ThrowIfNull(autoSelectOrigin);
            await ImportClientCertificateAsync(tools.Pk12Util, db, home, clientCertificate, clientChain);
            policyFile = WriteAutoSelectPolicy(autoSelectOrigin, clientCertificate);
        }

        var service = ChromeDriverService.CreateDefaultService(Path.GetDirectoryName(tools.ChromeDriver)!, Path.GetFileName(tools.ChromeDriver));
        service.HideCommandPromptWindow = true;
        service.SuppressInitialDiagnosticInformation = true;
        // chromium inherits chromedriver's environment: its NSS database is $HOME/.pki/nssdb of this throwaway HOME.
        service.DriverProcessStarting += (_, e) =>
        {
            e.DriverServiceProcessStartInfo.Environment["HOME"] = home;
            e.DriverServiceProcessStartInfo.Environment["XDG_CONFIG_HOME"] = Path.Combine(home, ".config");
            e.DriverServiceProcessStartInfo.Environment["XDG_CACHE_HOME"] = Path.Combine(home, ".cache");
        };
        var options = new ChromeOptions { BinaryLocation = tools.Chromium, AcceptInsecureCertificates = false };
        options.AddArguments("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--no-first-run",
            "--no-default-browser-check", "--password-store=basic", "--disable-extensions", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", $"--window-size={WindowWidth},{WindowHeight}",
            "--user-data-dir=" + Path.Combine(home, "chromium"));
        try
        {
            var driver = new ChromeDriver(service, options, TimeSpan.FromSeconds(60));
            driver.Manage().Timeouts().PageLoad = TimeSpan.FromSeconds(30);
            return new ChromiumBrowser(home, service, driver, policyFile);
        }
        catch
        {
            service.Dispose();
            Remove(policyFile, home);
            throw;
        }
    }

    /// <summary>Opens <paramref name="url"/>; a certificate the browser refuses gives its net:: error (no exception).</summary>
    public string? Open(Uri url)
    {
        try
        {
            Driver.Navigate().GoToUrl(url);
            return null;
        }
        catch (WebDriverException e)
        {
            return e.Message;
        }
    }

    /// <summary>Waits (up to <paramref name="seconds"/>) until <paramref name="until"/> holds.</summary>
    public T Wait<T>(Func<IWebDriver, T> until, int seconds = 15)
    {
        var wait = new WebDriverWait(Driver, TimeSpan.FromSeconds(seconds)) { PollingInterval = TimeSpan.FromMilliseconds(100) };
        wait.IgnoreExceptionTypes(typeof(NoSuchElementException), typeof(StaleElementReferenceException));
        return wait.Until(until);
    }

    /// <summary>The whole page as a PNG at <paramref name="path"/> (the window is resized to the page's height first).</summary>
    public void SaveScreenshot(string path, int maxHeight = 2400)
    {
        // The page's height plus what the window spends outside the viewport.
        var height = Convert.ToInt32(Driver.ExecuteScript("return Math.ceil(document.documentElement.scrollHeight + window.outerHeight - window.innerHeight);"),
            System.Globalization.CultureInfo.InvariantCulture);
        Driver.Manage().Window.Size = new System.Drawing.Size(WindowWidth, Math.Clamp(height, 400, maxHeight));
        try
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
            Driver.GetScreenshot().SaveAsFile(path);
        }
        finally
        {
            Driver.Manage().Window.Size = new System.Drawing.Size(WindowWidth, WindowHeight);
        }
    }

    private static async Task ImportClientCertificateAsync(string pk12util, string db, string home, X509Certificate2 certificate, X509Certificate2Collection? chain)
    {
        var password = Convert.ToHexString(RandomNumberGenerator.GetBytes(16));
        var bundle = new X509Certificate2Collection { certificate };
        if (chain is not null)
            bundle.AddRange(chain);
        var p12 = Path.Combine(home, "admin.p12");
        var pw = Path.Combine(home, "admin.p12.pw");
        await File.WriteAllBytesAsync(p12, bundle.ExportPkcs12(Pkcs12ExportPbeParameters.Pbes2Aes256Sha256, password)!);
        await File.WriteAllTextAsync(pw, password);
        try
        {
            await Run(pk12util, ["-i", p12, "-d", db, "-w", pw]);
        }
        finally
        {
            File.Delete(p12);
            File.Delete(pw);
        }
    }

    /// <summary>
    /// The AutoSelectCertificateForUrls policy for <paramref name="origin"/>, selecting by the certificate's subject CN and
    /// issuer CN; Debian chromium merges every *.json of the managed directory, so a uniquely named file touches nothing else.
    /// </summary>
    private static string WriteAutoSelectPolicy(Uri origin, X509Certificate2 certificate)
    {
        var rule = JsonSerializer.Serialize(new
        {
            pattern = origin.GetLeftPart(UriPartial.Authority),
            filter = new
            {
                SUBJECT = new { CN = certificate.GetNameInfo(X509NameType.SimpleName, forIssuer: false) },
                ISSUER = new { CN = certificate.GetNameInfo(X509NameType.SimpleName, forIssuer: true) },
            },
        });
        var policy = JsonSerializer.Serialize(new Dictionary<string, object> { ["AutoSelectCertificateForUrls"] = new[] { rule } });
        var path = Path.Combine(ManagedPolicyDirectory, $"m2msec-test-{Environment.ProcessId}-{Guid.NewGuid():N}.json");
        try
        {
            Directory.CreateDirectory(ManagedPolicyDirectory);
            File.WriteAllText(path, policy);
        }
        catch (UnauthorizedAccessException e)
        {
            var reason = $"cannot write chromium's managed policy in {ManagedPolicyDirectory} ({e.Message}); the certificate login test runs as root";
            if (ExternalTool.SkipsAreFailures)
                Assert.Fail(reason);
            Assert.Skip(reason);
        }
        return path;
    }

    private static async Task Run(string tool, string[] args)
    {
        var (code, stdout, stderr) = await ExternalTool.RunAsync(tool, args, timeout: TimeSpan.FromSeconds(30));
        if (code != 0)
            throw new InvalidOperationException($"{Path.GetFileName(tool)} {args[0]} failed ({code}): {stdout} {stderr}");
    }

    private static void Remove(string? policyFile, string home)
    {
        if (policyFile is not null)
            File.Delete(policyFile);
        try
        {
            Directory.Delete(home, recursive: true);
        }
        catch (IOException)
        {
            // chromium may still be writing its profile as it exits: a temporary directory.
        }
    }

    public void Dispose()
    {
        try
        {
            Driver.Quit();
        }
        finally
        {
            Driver.Dispose();
            _service.Dispose();
            Remove(_policyFile, Home);
        }
    }
}
