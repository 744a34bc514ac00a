using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using M2MSec.Pki.Tls;
using M2MSec.Pki.Validation;
using M2MSec.Tests.Pki.Tls;
using M2MSec.Tests.Support;

namespace M2MSec.Tests.Pki;

/// <summary>
/// The operator's view: `pki init|issue|export|revoke|check` and `serve ocsp` as processes script
/// them, with the OpenSSL CLI on the other side (as OCSP client, as OCSP responder, as a TLS
/// server stapling our responder's answer).
/// </summary>
public sealed class PkiCliTests : IAsyncLifetime
{
    private readonly string _dir = TestKeyRing.TempDirectory("m2msec-pkicli-");
    private readonly CancellationTokenSource _stop = new();
    private readonly SyncWriter _output = new();
    private Task<int>? _serve;
    private string _url = "";

    private string Data => Path.Combine(_dir, "pki");

    private string Kek => Path.Combine(_dir, "kek.json");

    private string F(string name) => Path.Combine(_dir, name);

    public async ValueTask InitializeAsync()
    {
        var port = LoopbackPort.Free();
        _url = $"http://127.0.0.1:{port}/";
        var init = await Cli("pki", "init", "--ocsp-url", _url);
        Assert.True(init.ExitCode == 0, init.Stderr);
        Assert.Equal(0, (await Cli("pki", "export", "--what", "root", "--out", F("root.pem"))).ExitCode);
        Assert.Equal(0, (await Cli("pki", "export", "--what", "issuing", "--out", F("issuing.pem"))).ExitCode);
        _serve = M2MSec.Cli.M2MSecCli.RunAsync(["serve", "ocsp", "--urls", _url.TrimEnd('/'), "--data", Data, "--kek-file", Kek], _output, _output, _stop.Token);
        for (var i = 0; i < 300 && !_output.ToString().Contains("listening on", StringComparison.Ordinal); i++)
            await Task.Delay(50);
        Assert.Contains("ocsp listening on " + _url, _output.ToString(), StringComparison.Ordinal);
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
    public async Task OpenSslClient_SeesGood_ThenRevoked_ThenUnknown_AndPkiCheckAgrees()
    {
        var openssl = ExternalTool.Require("openssl", "Debian package openssl");
        var issued = await Cli("pki", "issue", "--profile", "dm-server", "--subject", "dm.operator.example", "--out-cert", F("dm.pem"), "--out-key", F("dm.key"));
        Assert.True(issued.ExitCode == 0, issued.Stderr);
        Assert.Equal("-rw-------", ModeOf(F("dm.key")));
        var serial = Field(issued.Stdout, "serial");

        var good = await OcspAsync(openssl, F("dm.pem"));
        Assert.Contains("Response verify OK", good, StringComparison.Ordinal);
        Assert.Contains("dm.pem: good", good, StringComparison.Ordinal);
        var check = await CliRunner.RunAsync("pki", "check", "--cert", F("dm.pem"), "--root", F("root.pem"), "--chain", F("issuing.pem"), "--mode", "ocsp-nonce", "--json");
        Assert.Equal(0, check.ExitCode);
        var json = JsonDocument.Parse(check.Stdout).RootElement;
        Assert.Equal("accepted", json.GetProperty("verdict").GetString());
        Assert.Equal(serial, json.GetProperty("serial").GetString());

        var revoked = await Cli("pki", "revoke", "--serial", serial.ToUpperInvariant(), "--reason", "keyCompromise");
        Assert.True(revoked.ExitCode == 0, revoked.Stderr);
        Assert.Equal(2, (await Cli("pki", "revoke", "--serial", serial, "--reason", "superseded")).ExitCode);
        var now = await OcspAsync(openssl, F("dm.pem"));
        Assert.Contains("dm.pem: revoked", now, StringComparison.Ordinal);
        Assert.Contains("Reason: keyCompromise", now, StringComparison.Ordinal);
        check = await CliRunner.RunAsync("pki", "check", "--cert", F("dm.pem"), "--root", F("root.pem"), "--chain", F("issuing.pem"), "--mode", "ocsp-nonce", "--json");
        Assert.Equal(1, check.ExitCode);
        Assert.Equal("revoked", JsonDocument.Parse(check.Stdout).RootElement.GetProperty("reason").GetString());

        // A serial the issuing CA never issued.
        var unknown = await ExternalTool.RunAsync(openssl, ["ocsp", "-issuer", F("issuing.pem"), "-serial", "0x7e57", "-url", _url, "-nonce",
            "-CAfile", F("root.pem"), "-verify_other", F("issuing.pem")]);
        Assert.Contains("unknown", unknown.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task OpenSslAsResponder_AnswersOurRequest_AndTheCheckerJudgesIt()
    {
        var openssl = ExternalTool.Require("openssl", "Debian package openssl");
        Assert.Equal(0, (await Cli("pki", "issue", "--profile", "dm-server", "--subject", "dm.operator.example", "--out-cert", F("dm.pem"), "--out-key", F("dm.key"))).ExitCode);
        Assert.Equal(0, (await Cli("pki", "export", "--what", "ocsp", "--out", F("signer.pem"))).ExitCode);
        // The delegated signer's key stays in the store; openssl signs with its own delegate issued for this test.
        var signer = await Cli("pki", "issue", "--profile", "ocsp", "--subject", "openssl responder", "--out-cert", F("osigner.pem"), "--out-key", F("osigner.key"));
        Assert.Equal(0, signer.ExitCode);
        using var leaf = X509CertificateLoader.LoadCertificateFromFile(F("dm.pem"));
        var expiry = leaf.NotAfter.ToUniversalTime().ToString("yyMMddHHmmss'Z'", System.Globalization.CultureInfo.InvariantCulture);
        await File.WriteAllTextAsync(F("index.txt"), $"V\t{expiry}\t\t{leaf.SerialNumber.TrimStart('0')}\tunknown\t/CN=dm.operator.example\n", TestContext.Current.CancellationToken);

        async Task<byte[]> OpenSslResponder(Uri _, byte[] request, CancellationToken ct)
        {
            await File.WriteAllBytesAsync(F("req.der"), request, ct);
            var r = await ExternalTool.RunAsync(openssl, ["ocsp", "-index", F("index.txt"), "-rsigner", F("osigner.pem"), "-rkey", F("osigner.key"),
                "-CA", F("issuing.pem"), "-reqin", F("req.der"), "-respout", F("resp.der"), "-nmin", "5"]);
            Assert.True(r.ExitCode == 0, r.Stderr);
            return await File.ReadAllBytesAsync(F("resp.der"), ct);
        }

        using var root = X509CertificateLoader.LoadCertificateFromFile(F("root.pem"));
        using var issuing = X509CertificateLoader.LoadCertificateFromFile(F("issuing.pem"));
        var checker = new ServerCertificateChecker(root, new HostTrustedClock(TimeProvider.System), null, OpenSslResponder);
        var verdict = await checker.CheckAsync(CheckMode.OcspNonce, leaf, [issuing]);
        Assert.True(verdict.Accepted, verdict.Detail);

        await File.WriteAllTextAsync(F("index.txt"),
            $"R\t{expiry}\t{DateTime.UtcNow.AddMinutes(-1):yyMMddHHmmss'Z'},superseded\t{leaf.SerialNumber.TrimStart('0')}\tunknown\t/CN=dm.operator.example\n", TestContext.Current.CancellationToken);
        Assert.Equal(RefusalReason.Revoked, (await checker.CheckAsync(CheckMode.OcspNonce, leaf, [issuing])).Reason);
    }

    [Theory]
    [InlineData("-tls1_2")]
    [InlineData("-tls1_3")]
    public async Task StapledMode_DeviceTlsClient_ReadsOpenSslsStapleOfOurResponder(string version)
    {
        var openssl = ExternalTool.Require("openssl", "Debian package openssl");
        Assert.Equal(0, (await Cli("pki", "issue", "--profile", "dm-server", "--subject", "localhost", "--out-cert", F("dm.pem"), "--out-key", F("dm.key"))).ExitCode);
        // The staple: what our responder says (no nonce: a staple is shared by every client).
        var fetched = await ExternalTool.RunAsync(openssl, ["ocsp", "-issuer", F("issuing.pem"), "-cert", F("dm.pem"), "-url", _url, "-no_nonce", "-respout", F("staple.der"),
            "-CAfile", F("root.pem"), "-verify_other", F("issuing.pem")]);
        Assert.True(fetched.ExitCode == 0, fetched.Stdout + fetched.Stderr);
        await File.WriteAllTextAsync(F("server-chain.pem"), await File.ReadAllTextAsync(F("issuing.pem"), TestContext.Current.CancellationToken), TestContext.Current.CancellationToken);
        using var server = await OpenSsl.StartServerAsync(openssl, "-cert", F("dm.pem"), "-key", F("dm.key"), "-cert_chain", F("server-chain.pem"),
            "-status_file", F("staple.der"), version);

        using var root = X509CertificateLoader.LoadCertificateFromFile(F("root.pem"));
        var checker = new ServerCertificateChecker(root, new HostTrustedClock(TimeProvider.System));
        CertificateVerdict? verdict = null;
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(IPAddress.Loopback, server.Port, TestContext.Current.CancellationToken);
        using var connection = await Task.Run(() => ProfileTlsClient.Connect(tcp.GetStream(), "localhost", e =>
        {
            verdict = checker.CheckAsync(CheckMode.Stapled, e.Leaf, [.. e.Chain.Skip(1)], e.StapledOcspResponse).GetAwaiter().GetResult();
            return verdict.Accepted;
        })).WaitAsync(TimeSpan.FromSeconds(20), TestContext.Current.CancellationToken);
        Assert.NotNull(verdict);
        Assert.True(verdict.Accepted, verdict.Detail);
    }

    [Fact]
    public async Task DeviceDirectory_SuppliesTheTreClock_AndItsProvisionedRootIsTheOnlyOneAccepted()
    {
        string[] device = ["--data", F("device"), "--fuse-dir", F("fuse")];
        Assert.Equal(0, (await CliRunner.RunAsync(["device", "create", "--pcid", "001010123456789", .. device])).ExitCode);
        var trusted = await CliRunner.RunAsync(["device", "trust-root", "--root", F("root.pem"), .. device]);
        Assert.True(trusted.ExitCode == 0, trusted.Stderr);
        Assert.Equal(2, (await CliRunner.RunAsync(["device", "trust-root", "--root", F("root.pem"), .. device])).ExitCode); // only a rollover replaces it
        Assert.Equal(0, (await Cli("pki", "issue", "--profile", "dm-server", "--subject", "dm.operator.example", "--out-cert", F("dm.pem"), "--out-key", F("dm.key"))).ExitCode);

        var check = await CliRunner.RunAsync(["pki", "check", "--cert", F("dm.pem"), "--root", F("root.pem"), "--chain", F("issuing.pem"), "--mode", "ocsp-nonce", "--json", .. device]);
        Assert.True(check.ExitCode == 0, check.Stdout + check.Stderr);
        Assert.StartsWith("tre:TRE-", JsonDocument.Parse(check.Stdout).RootElement.GetProperty("clock").GetString(), StringComparison.Ordinal);

        Assert.Equal(0, (await Cli("pki", "export", "--what", "issuing", "--out", F("not-the-root.pem"))).ExitCode);
        var other = await CliRunner.RunAsync(["pki", "check", "--cert", F("dm.pem"), "--trust-root", F("not-the-root.pem"), "--mode", "secure-clock", .. device]);
        Assert.Equal(2, other.ExitCode);
        Assert.StartsWith("--trust-root: differs from the root provisioned", other.Stderr, StringComparison.Ordinal);
    }

    /// <summary>Issue 13 item 15: `pki issue --profile admin|nf --role ROLE`; the role is a policy OID, an nf certificate without one is refused.</summary>
    [Fact]
    public async Task PkiIssue_AdminProfile_AndNfWithRole_NfWithoutRoleExits2_RoleIsAProfileNotACn()
    {
        var admin = await Cli("pki", "issue", "--profile", "admin", "--subject", "m2msec-admin", "--out-cert", F("admin.pem"), "--out-key", F("admin.key"));
        Assert.True(admin.ExitCode == 0, admin.Stderr);
        using (var cert = X509CertificateLoader.LoadCertificateFromFile(F("admin.pem")))
            Assert.True(M2MSec.Pki.Authority.CertificateRoles.IsAdministrator(cert));
        var nf = await Cli("pki", "issue", "--profile", "nf", "--role", "vno", "--subject", "vno", "--san", "127.0.0.1", "--out-cert", F("vno.pem"), "--out-key", F("vno.key"));
        Assert.True(nf.ExitCode == 0, nf.Stderr);
        using (var cert = X509CertificateLoader.LoadCertificateFromFile(F("vno.pem")))
            Assert.Equal("vno", M2MSec.Pki.Authority.CertificateRoles.RoleOf(cert));
        var noRole = await Cli("pki", "issue", "--profile", "nf", "--subject", "hss", "--san", "127.0.0.1", "--out-cert", F("hss.pem"), "--out-key", F("hss.key"));
        Assert.Equal(2, noRole.ExitCode);
        Assert.StartsWith("--role: the nf profile needs one of hss", noRole.Stderr, StringComparison.Ordinal);
        Assert.False(File.Exists(F("hss.pem")));
        var misplaced = await Cli("pki", "issue", "--profile", "device", "--role", "hss", "--subject", "d", "--out-cert", F("d.pem"), "--out-key", F("d.key"));
        Assert.Equal(2, misplaced.ExitCode);
        Assert.False(File.Exists(F("d.pem")));
        var control = await Cli("pki", "issue", "--profile", "device", "--subject", "evil\u001b[31m\nroot", "--out-cert", F("e.pem"), "--out-key", F("e.key"));
        Assert.Equal(2, control.ExitCode);
        Assert.StartsWith("--subject: a common name of 1 to 64 printable ASCII characters", control.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("\u001b", control.Stderr, StringComparison.Ordinal);
        Assert.False(File.Exists(F("e.pem")));
    }

    [Fact]
    public async Task BadArguments_Exit2_OneLine_NothingChanged()
    {
        var bad = await Cli("pki", "issue", "--profile", "server", "--subject", "x", "--out-cert", F("a.pem"), "--out-key", F("a.key"));
        Assert.Equal(2, bad.ExitCode);
        Assert.StartsWith("--profile: expected dm-server, nf, ocsp, device, sho", bad.Stderr, StringComparison.Ordinal);
        Assert.False(File.Exists(F("a.pem")));
        Assert.Equal(2, (await Cli("pki", "revoke", "--serial", "zz", "--reason", "keyCompromise")).ExitCode);
        Assert.Equal(2, (await Cli("pki", "revoke", "--serial", "01", "--reason", "bored")).ExitCode);
        Assert.Equal(2, (await Cli("pki", "init")).ExitCode); // already initialised
        Assert.Equal(2, (await CliRunner.RunAsync("pki", "check", "--cert", F("root.pem"), "--root", F("root.pem"), "--mode", "sometimes")).ExitCode);
        Assert.Equal(2, (await CliRunner.RunAsync("pki", "check", "--cert", F("root.pem"), "--root", F("root.pem"), "--mode", "secure-clock", "--max-validity", "7 days")).ExitCode);
        var missing = await CliRunner.RunAsync("pki", "check", "--cert", F("nothing.pem"), "--root", F("root.pem"), "--mode", "secure-clock");
        Assert.Equal(2, missing.ExitCode);
        Assert.Single(missing.Stderr.Trim().Split('\n'));
    }

    private Task<(int ExitCode, string Stdout, string Stderr)> Cli(params string[] args) =>
        CliRunner.RunAsync([.. args, "--data", Data, "--kek-file", Kek]);

    private async Task<string> OcspAsync(string openssl, string cert)
    {
        var r = await ExternalTool.RunAsync(openssl, ["ocsp", "-issuer", F("issuing.pem"), "-cert", cert, "-url", _url, "-nonce",
            "-CAfile", F("root.pem"), "-verify_other", F("issuing.pem")]);
        return r.Stdout + r.Stderr;
    }

    private static string Field(string stdout, string name) =>
        stdout.Split('\n').Select(l => l.Trim()).First(l => l.StartsWith(name + " ", StringComparison.Ordinal))[name.Length..].Trim();

    private static string ModeOf(string path) => OperatingSystem.IsWindows() ? "-rw-------" :
        (File.GetUnixFileMode(path) & (UnixFileMode)0x1FF) == (UnixFileMode.UserRead | UnixFileMode.UserWrite) ? "-rw-------" : File.GetUnixFileMode(path).ToString();
}
