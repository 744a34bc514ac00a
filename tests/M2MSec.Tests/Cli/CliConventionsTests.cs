using System.Diagnostics;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using M2MSec.Tests.Support;

namespace M2MSec.Tests.Cli;

/// <summary>
/// Issue 14 items 6 and 8: OpenSSL habits (serials with colons, --out -, sms_ud into unwrap-command, real defaults in
/// help, the nearest option for a typo) and one line per failure (an untrusted or unreachable SMSC, a busy port).
/// </summary>
public sealed class CliConventionsTests : IDisposable
{
    private readonly string _dir = TestKeyRing.TempDirectory("m2msec-cliconv-");

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string F(string name) => Path.Combine(_dir, name);

    private Task<(int ExitCode, string Stdout, string Stderr)> Pki(params string[] args) =>
        CliRunner.RunAsync(["pki", .. args, "--data", F("pki"), "--kek-file", F("kek.json")]);

    [Fact]
    public async Task Revoke_AcceptsTheSerialAsOpenSslPrintsIt_UpperCaseWithColons_Item8()
    {
        Assert.Equal(0, (await Pki("init")).ExitCode);
        var issued = await Pki("issue", "--profile", "dm-server", "--subject", "dm.example", "--out-cert", F("dm.pem"), "--out-key", F("dm.key"));
        Assert.True(issued.ExitCode == 0, issued.Stderr);
        var serial = issued.Stdout.Split('\n').Single(l => l.StartsWith("serial", StringComparison.Ordinal)).Split(' ', StringSplitOptions.RemoveEmptyEntries)[1];
        var openssl = string.Join(':', Convert.FromHexString(serial).Select(b => b.ToString("X2", System.Globalization.CultureInfo.InvariantCulture)));
        var revoked = await Pki("revoke", "--serial", openssl, "--reason", "keyCompromise");
        Assert.True(revoked.ExitCode == 0, revoked.Stderr);
        Assert.Contains($"revoked {serial}", revoked.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task OutDash_WritesPemToStdout_AndNoFileNamedDash_Item8()
    {
        var dash = Path.GetFullPath("-");
        if (File.Exists(dash))
            File.Delete(dash);
        Assert.Equal(0, (await Pki("init")).ExitCode);

        var export = await Pki("export", "--what", "root", "--out", "-");
        Assert.True(export.ExitCode == 0, export.Stderr);
        Assert.StartsWith("-----BEGIN CERTIFICATE-----", export.Stdout, StringComparison.Ordinal);
        using var root = X509Certificate2.CreateFromPem(export.Stdout);
        Assert.Contains("Root", root.Subject, StringComparison.OrdinalIgnoreCase);

        var issue = await Pki("issue", "--profile", "dm-server", "--subject", "dm.example", "--out-cert", "-", "--out-key", F("dm.key"));
        Assert.True(issue.ExitCode == 0, issue.Stderr);
        using var cert = X509Certificate2.CreateFromPem(issue.Stdout);
        Assert.Contains("CN=dm.example", cert.Subject, StringComparison.Ordinal);
        Assert.Contains(cert.SerialNumber.ToLowerInvariant().TrimStart('0'), issue.Stderr, StringComparison.Ordinal); // the summary moves to stderr

        var crl = await Pki("crl", "--out", "-");
        Assert.True(crl.ExitCode == 0, crl.Stderr);
        Assert.StartsWith("-----BEGIN X509 CRL-----", crl.Stdout, StringComparison.Ordinal);

        Assert.False(File.Exists(dash));
        Assert.False(File.Exists(Path.Combine(_dir, "-")));
    }

    [Fact]
    public async Task UnwrapCommand_TakesTheSmsUdThatWrapJsonPrints_RoundTrip_Item8()
    {
        string[] keys = ["--kic-key", "200102030405060708090a0b0c0d0e0f", "--kid-key", "201102030405060708090a0b0c0d0e0f"];
        var wrap = await CliRunner.RunAsync(["ota", "wrap", "--spi", "1621", "--kic", "22", "--kid", "22", .. keys, "--tar", "b00011", "--cntr", "0000000005",
            "--data", "80e60c00aabbccdd", "--json"]);
        Assert.True(wrap.ExitCode == 0, wrap.Stderr);
        var json = JsonDocument.Parse(wrap.Stdout).RootElement;
        foreach (var field in new[] { "sms_ud", "packet" })
        {
            var opened = await CliRunner.RunAsync(["ota", "unwrap-command", .. keys, "--packet", json.GetProperty(field).GetString()!, "--json"]);
            Assert.True(opened.ExitCode == 0, $"{field}: {opened.Stderr}");
            var p = JsonDocument.Parse(opened.Stdout).RootElement;
            Assert.Equal("80e60c00aabbccdd", p.GetProperty("data").GetString());
            Assert.Equal("b00011", p.GetProperty("tar").GetString());
        }
    }

    [Fact]
    public async Task Help_ShowsNoFalseDefault_ForDays_Item8()
    {
        var help = await CliRunner.RunAsync("pki", "issue", "--help");
        var days = help.Stdout.Split('\n').Single(l => l.TrimStart().StartsWith("--days", StringComparison.Ordinal));
        Assert.DoesNotContain("default 0", days, StringComparison.Ordinal);
        Assert.DoesNotContain("[default: 0]", days, StringComparison.Ordinal);
        Assert.Contains("the profile's", days, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--dev-idd", "--dev-id")]
    [InlineData("--jsno", "--json")]
    public async Task MistypedOption_SuggestsTheNearest_Item8(string typed, string nearest)
    {
        var run = await CliRunner.RunAsync("dm", "job", "show", "--data", _dir, typed, "x");
        Assert.Equal(2, run.ExitCode);
        Assert.Single(run.Stderr.Trim().Split('\n'));
        Assert.Contains($"did you mean {nearest}?", run.Stderr, StringComparison.Ordinal);
    }

    private async Task<string[]> DmAccountAsync()
    {
        string[] store = ["--data", F("dm"), "--kek-file", F("kek.json")];
        var add = await CliRunner.RunAsync(["dm", "account", "add", "--dev-id", "dev-1", "--server-id", "m2msec-dm", "--client-user", "dev-1",
            "--client-password", "client-secret", "--server-password", "server-secret", .. store]);
        Assert.True(add.ExitCode == 0, add.Stderr);
        return store;
    }

    /// <summary>A TLS listener with a self-signed certificate no trust root given to the CLI covers.</summary>
    private static async Task<(TcpListener Listener, Task Serving)> UntrustedHttpsAsync(CancellationToken ct)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=127.0.0.1", key, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        san.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(san.Build());
        using var ephemeral = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        var cert = X509CertificateLoader.LoadPkcs12(ephemeral.Export(X509ContentType.Pfx), null);
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var serving = Task.Run(async () =>
        {
            while (!ct.IsCancellationRequested)
            {
                using var client = await listener.AcceptTcpClientAsync(ct);
                await using var tls = new SslStream(client.GetStream());
                try
                {
                    await tls.AuthenticateAsServerAsync(new SslServerAuthenticationOptions { ServerCertificate = cert }, ct);
                }
                catch (Exception e) when (e is IOException or System.Security.Authentication.AuthenticationException)
                {
                    // The client refused our certificate: what the test wants.
                }
            }
        }, ct);
        await Task.Yield();
        return (listener, serving);
    }

    private static void WritePemIdentity(string certFile, string keyFile, string subject)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        using var cert = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        File.WriteAllText(certFile, cert.ExportCertificatePem() + "\n");
        File.WriteAllText(keyFile, key.ExportPkcs8PrivateKeyPem() + "\n");
    }

    [Fact]
    public async Task DmNotify_SmscCertificateNotCoveredByTrustRoot_Exit1_OneLine_UntrustedPeerIsARefusal_Item6()
    {
        var store = await DmAccountAsync();
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        var (listener, _) = await UntrustedHttpsAsync(cts.Token);
        try
        {
            var url = $"https://127.0.0.1:{((IPEndPoint)listener.LocalEndpoint).Port}/";
            WritePemIdentity(F("client.pem"), F("client.key"), "CN=m2msec-dm");
            WritePemIdentity(F("other-root.pem"), F("other-root.key"), "CN=Some Other Root");
            var withRoot = await CliRunner.RunAsync(["dm", "notify", "--dev-id", "dev-1", "--smsc", url, "--cert", F("client.pem"), "--key", F("client.key"),
                "--trust-root", F("other-root.pem"), .. store]);
            Assert.Equal(1, withRoot.ExitCode);
            Assert.Equal("", withRoot.Stdout);
            Assert.Single(withRoot.Stderr.Trim().Split('\n'));
            Assert.Contains("--trust-root", withRoot.Stderr, StringComparison.Ordinal);
            Assert.DoesNotContain("   at ", withRoot.Stderr, StringComparison.Ordinal);

            var noRoot = await CliRunner.RunAsync(["dm", "notify", "--dev-id", "dev-1", "--smsc", url, .. store]);
            Assert.Equal(1, noRoot.ExitCode);
            Assert.Single(noRoot.Stderr.Trim().Split('\n'));
            Assert.Contains("not trusted", noRoot.Stderr, StringComparison.Ordinal);
            Assert.DoesNotContain("   at ", noRoot.Stderr, StringComparison.Ordinal);
        }
        finally
        {
            await cts.CancelAsync();
            listener.Stop();
        }
    }

    [Fact]
    public async Task DmNotify_UnreachableSmsc_Exit4_OneLine_Item6()
    {
        var store = await DmAccountAsync();
        var run = await CliRunner.RunAsync(["dm", "notify", "--dev-id", "dev-1", "--smsc", $"https://127.0.0.1:{LoopbackPort.Free()}/", .. store]);
        Assert.Equal(4, run.ExitCode);
        Assert.Single(run.Stderr.Trim().Split('\n'));
        Assert.StartsWith("--smsc: ", run.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Serve_BusyPort_PrintsOnlyOneLine_NoHostTrace_Exit4_Item6()
    {
        var busy = new TcpListener(IPAddress.Loopback, 0);
        busy.Start();
        try
        {
            var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            foreach (var a in new[] { Path.Combine(AppContext.BaseDirectory, "m2msec.dll"), "serve", "smsc", "--urls", $"http://127.0.0.1:{((IPEndPoint)busy.LocalEndpoint).Port}",
                "--data", F("smsc"), "--kek-file", F("kek.json") })
                psi.ArgumentList.Add(a);
            using var p = Process.Start(psi)!;
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
            timeout.CancelAfter(TimeSpan.FromMinutes(2));
            var stdout = p.StandardOutput.ReadToEndAsync(timeout.Token);
            var stderr = p.StandardError.ReadToEndAsync(timeout.Token);
            await p.WaitForExitAsync(timeout.Token);
            var all = (await stdout + await stderr).Trim();
            Assert.Equal(4, p.ExitCode);
            Assert.Single(all.Split('\n'));
            Assert.StartsWith("--urls: ", all, StringComparison.Ordinal);
            Assert.DoesNotContain("   at ", all, StringComparison.Ordinal);
        }
        finally
        {
            busy.Stop();
        }
    }
}
