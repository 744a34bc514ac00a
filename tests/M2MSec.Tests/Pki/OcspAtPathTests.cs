using System.Net;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using M2MSec.Tests.Support;

namespace M2MSec.Tests.Pki;

/// <summary>
/// Issue 14 item 10: a hierarchy whose OCSP URL has a path (`pki init --ocsp-url http://HOST:PORT/ocsp`)
/// is answered there (RFC 6960 Appendix A.1: POST at the URL, GET at URL/base64), an HTTP error is
/// reported as one (not "unreachable"), and the URL can be changed for later certificates.
/// </summary>
public sealed class OcspAtPathTests : IAsyncLifetime
{
    private readonly string _dir = Directory.CreateTempSubdirectory("m2msec-ocsppath-").FullName;
    private readonly CancellationTokenSource _stop = new();
    private readonly SyncWriter _output = new();
    private Task<int>? _serve;
    private string _base = "";

    private string Data => Path.Combine(_dir, "pki");

    private string F(string name) => Path.Combine(_dir, name);

    public async ValueTask InitializeAsync()
    {
        _base = $"http://127.0.0.1:{LoopbackPort.Free()}";
        TestKeyRing.CreateIn(_dir);
        var init = await Cli("pki", "init", "--ocsp-url", _base + "/ocsp");
        Assert.True(init.ExitCode == 0, init.Stderr);
        Assert.Equal(0, (await Cli("pki", "export", "--what", "root", "--out", F("root.pem"))).ExitCode);
        Assert.Equal(0, (await Cli("pki", "export", "--what", "issuing", "--out", F("issuing.pem"))).ExitCode);
        Assert.Equal(0, (await Cli("pki", "issue", "--profile", "dm-server", "--subject", "dm.operator.example", "--out-cert", F("dm.pem"), "--out-key", F("dm.key"))).ExitCode);
        _serve = M2MSec.Cli.M2MSecCli.RunAsync(["serve", "ocsp", "--urls", _base, "--data", Data, "--kek-file", F("kek.json")], _output, _output, _stop.Token);
        for (var i = 0; i < 200 && !_output.ToString().Contains("listening on", StringComparison.Ordinal); i++)
            await Task.Delay(50);
        Assert.Contains("ocsp listening on", _output.ToString(), StringComparison.Ordinal);
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        if (_serve is not null)
            Assert.Equal(0, await _serve);
        _stop.Dispose();
        _output.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    [Fact]
    public async Task PkiCheck_OfACertificateCarryingAPathUrl_IsAnsweredThere_PostAndGet_DeadAiaUrlThreat()
    {
        // POST at the certificate's AIA URL (/ocsp): pki check follows the AIA.
        var check = await CliRunner.RunAsync("pki", "check", "--cert", F("dm.pem"), "--root", F("root.pem"), "--chain", F("issuing.pem"), "--mode", "ocsp-nonce", "--json");
        Assert.True(check.ExitCode == 0, check.Stdout + check.Stderr);
        Assert.Equal("accepted", JsonDocument.Parse(check.Stdout).RootElement.GetProperty("verdict").GetString());

        // GET at /ocsp/{base64 of the DER request} (RFC 6960 A.1), and "/" keeps answering.
        using var leaf = X509CertificateLoader.LoadCertificateFromFile(F("dm.pem"));
        using var issuer = X509CertificateLoader.LoadCertificateFromFile(F("issuing.pem"));
        var der = M2MSec.Pki.Ocsp.OcspRequestBuilder.Build(leaf, issuer, null).Der;
        using var http = new HttpClient();
        foreach (var prefix in new[] { "/ocsp/", "/" })
        {
            using var get = await http.GetAsync(new Uri(_base + prefix + Uri.EscapeDataString(Convert.ToBase64String(der))), TestContext.Current.CancellationToken);
            Assert.Equal(HttpStatusCode.OK, get.StatusCode);
            Assert.Equal("application/ocsp-response", get.Content.Headers.ContentType?.MediaType);
            var body = await get.Content.ReadAsByteArrayAsync(TestContext.Current.CancellationToken);
            Assert.Equal(0, new Org.BouncyCastle.Ocsp.OcspResp(body).Status); // successful
        }

        // The OpenSSL client at the path URL.
        if (ExternalTool.Find("openssl") is { } openssl)
        {
            var r = await ExternalTool.RunAsync(openssl, ["ocsp", "-issuer", F("issuing.pem"), "-cert", F("dm.pem"), "-url", _base + "/ocsp", "-nonce",
                "-CAfile", F("root.pem"), "-verify_other", F("issuing.pem")]);
            Assert.Contains("dm.pem: good", r.Stdout + r.Stderr, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task PkiCheck_AResponderAnsweringAnHttpError_IsReportedAsSuch_NotUnreachable()
    {
        var check = await CliRunner.RunAsync("pki", "check", "--cert", F("dm.pem"), "--root", F("root.pem"), "--chain", F("issuing.pem"), "--mode", "ocsp-nonce",
            "--ocsp-url", _base + "/elsewhere/x", "--json");
        Assert.Equal(1, check.ExitCode);
        var json = JsonDocument.Parse(check.Stdout).RootElement;
        Assert.Equal("responder-error", json.GetProperty("reason").GetString());
        var detail = json.GetProperty("detail").GetString()!;
        Assert.Contains("HTTP 405", detail, StringComparison.Ordinal);
        Assert.DoesNotContain("unreachable", detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SetOcspUrl_ChangesTheAiaOfLaterCertificatesOnly_BadUrlExit2()
    {
        var set = await Cli("pki", "set-ocsp-url", "--ocsp-url", _base + "/v2/ocsp", "--json");
        Assert.True(set.ExitCode == 0, set.Stderr);
        Assert.Equal(_base + "/v2/ocsp", JsonDocument.Parse(set.Stdout).RootElement.GetProperty("ocsp_url").GetString());
        Assert.Equal(0, (await Cli("pki", "issue", "--profile", "dm-server", "--subject", "dm2.operator.example", "--out-cert", F("dm2.pem"), "--out-key", F("dm2.key"))).ExitCode);
        Assert.Contains(_base + "/v2/ocsp", Aia(F("dm2.pem")), StringComparison.Ordinal);
        Assert.DoesNotContain("/v2/", Aia(F("dm.pem")), StringComparison.Ordinal);

        var bad = await Cli("pki", "set-ocsp-url", "--ocsp-url", "ftp://x/ocsp");
        Assert.Equal(2, bad.ExitCode);
        Assert.StartsWith("--ocsp-url:", bad.Stderr, StringComparison.Ordinal);
        var none = await Cli("pki", "set-ocsp-url", "--name", "sho", "--ocsp-url", _base + "/ocsp");
        Assert.Equal(2, none.ExitCode);
        Assert.StartsWith("--name:", none.Stderr, StringComparison.Ordinal);
    }

    private static string Aia(string pem)
    {
        using var cert = X509CertificateLoader.LoadCertificateFromFile(pem);
        return string.Concat(cert.Extensions.OfType<X509AuthorityInformationAccessExtension>().SelectMany(e => e.EnumerateOcspUris()));
    }

    private Task<(int ExitCode, string Stdout, string Stderr)> Cli(params string[] args) =>
        CliRunner.RunAsync([.. args, "--data", Data, "--kek-file", F("kek.json")]);
}
