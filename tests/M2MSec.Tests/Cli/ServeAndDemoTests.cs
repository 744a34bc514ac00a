using System.Net.Http.Json;
using System.Text.Json;
using M2MSec.NetworkFunctions.Hosting;
using M2MSec.Tests.Support;

namespace M2MSec.Tests.Cli;

/// <summary>`m2msec serve` and `m2msec demo` as users run them.</summary>
[LongRunning(21)]
public sealed class ServeAndDemoTests
{
    [Fact]
    public async Task Demo_50Devices_MixedFleet_AllComplete_FiveForcedResyncs_AllConfiguredByDm_SummaryTable()
    {
        var dir = Path.Combine(Path.GetTempPath(), "m2msec-demo-test-" + Guid.NewGuid().ToString("N"));
        try
        {
            var (code, stdout, stderr) = await CliRunner.RunAsync("demo", "--devices", "50", "--data", dir);
            Assert.True(code == 0, stdout + stderr);
            Assert.Contains("Summary", stdout);
            Assert.Equal(["50", "50", "0"], new[] { "Devices", "Completed", "Failed" }.Select(r => DemoReportTests.Row(stdout, r)[0]));
            // Every tenth device resynchronises; every UICC device is configured by OTA (every third of them by SCP81);
            // every device by DM too, every other one after a notification.
            Assert.Equal(["5", "16", "9", "50", "25"],
                new[] { "resync", "ota-verified", "scp81-verified", "dm-verified", "dm-notified" }.Select(r => DemoReportTests.Row(stdout, r)[0]));
            Assert.Contains("Fleet: 25 TRE-based M2MEs (TR 33.812), 25 UICC-based MTC devices (TR 33.868)", stdout);
            Assert.Equal(50, Directory.GetDirectories(Path.Combine(dir, "devices")).Length);
        }
        finally
        {
            DemoData.Delete(dir);
        }
    }

    [Fact]
    public async Task Demo_BadDeviceCount_Exits2()
    {
        var (code, _, stderr) = await CliRunner.RunAsync("demo", "--devices", "0");
        Assert.Equal(2, code);
        Assert.StartsWith("--devices: expected an integer from 1 to 100000, got '0'", stderr);
    }

    [Fact]
    public async Task Serve_UnknownRole_Exits2_ListingTheRoles()
    {
        var (code, _, stderr) = await CliRunner.RunAsync("serve", "nope");
        Assert.Equal(2, code);
        Assert.StartsWith("ROLE: expected one of hss", stderr);
    }

    [Theory]
    [InlineData("dm", "--staple-root", "--staple: needs --cert and --key")]
    [InlineData("hss", "--staple-root", "--path/--staple: only for dm")]
    [InlineData("dm", "--cert", "missing.pem does not exist")]
    public async Task ServeStapleRoot_BadUse_Exits2_OneLine(string role, string first, string expected)
    {
        var dir = Directory.CreateTempSubdirectory("m2msec-staple-cli-").FullName;
        try
        {
            var pem = Path.Combine(dir, "x.pem");
            var keyPem = Path.Combine(dir, "x.key");
            using (var key = System.Security.Cryptography.ECDsa.Create(System.Security.Cryptography.ECCurve.NamedCurves.nistP256))
            {
                var request = new System.Security.Cryptography.X509Certificates.CertificateRequest("CN=localhost", key, System.Security.Cryptography.HashAlgorithmName.SHA256);
                using var cert = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-1), DateTimeOffset.UtcNow.AddDays(1));
                await File.WriteAllTextAsync(pem, cert.ExportCertificatePem(), TestContext.Current.CancellationToken);
                await File.WriteAllTextAsync(keyPem, key.ExportPkcs8PrivateKeyPem(), TestContext.Current.CancellationToken);
            }
            string[] args = first == "--cert"
                ? ["serve", role, "--cert", pem, "--key", keyPem, "--staple-root", Path.Combine(dir, "missing.pem"), "--data", Path.Combine(dir, "d"), "--kek-file", Path.Combine(dir, "k.json")]
                : ["serve", role, "--staple-root", pem, "--data", Path.Combine(dir, "d"), "--kek-file", Path.Combine(dir, "k.json")];
            var (code, _, stderr) = await CliRunner.RunAsync(args);
            Assert.Equal(2, code);
            Assert.Single(stderr.Trim().Split('\n'));
            Assert.Contains(expected, stderr, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    /// <summary>Issue 13 item 1: `serve dm --allow-plain-http-sessions` says once, at start, that session tokens travel in clear; other roles refuse the option.</summary>
    [Fact]
    public async Task ServeDm_AllowPlainHttpSessions_WarnsOnceAtStart_OnlyForDm()
    {
        var dir = Directory.CreateTempSubdirectory("m2msec-serve-plain-").FullName;
        TestKeyRing.CreateIn(dir, "k.json");
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        using var output = new SyncWriter();
        var run = M2MSec.Cli.M2MSecCli.RunAsync(["serve", "dm", "--urls", $"http://127.0.0.1:{LoopbackPort.Free()}", "--allow-plain-http-sessions", "--session-idle", "60",
            "--data", Path.Combine(dir, "d"), "--kek-file", Path.Combine(dir, "k.json")], output, output, cts.Token);
        try
        {
            for (var i = 0; i < 600 && !run.IsCompleted && !output.ToString().Contains("listening on", StringComparison.Ordinal); i++)
                await Task.Delay(100, TestContext.Current.CancellationToken);
            var text = output.ToString();
            Assert.Contains("dm listening on http://", text, StringComparison.Ordinal);
            Assert.Single(text.Split('\n'), l => l.StartsWith("warning: dm lets basic and md5 accounts hold sessions over plain HTTP", StringComparison.Ordinal));
        }
        finally
        {
            await cts.CancelAsync();
            Assert.Equal(0, await run);
            Directory.Delete(dir, true);
        }
        var (code, _, stderr) = await CliRunner.RunAsync("serve", "hss", "--allow-plain-http-sessions");
        Assert.Equal(2, code);
        Assert.Contains("--allow-plain-http-sessions/--session-idle: only for dm", stderr, StringComparison.Ordinal);
    }

    /// <summary>Issue 13 item 18: endpoints.json lists every listener, the OCSP admin URL included (and dm, scp81: issue 14 item 12).</summary>
    [Fact]
    public async Task ServeAll_WritesEndpointsJson_WithEveryListenerIncludingOcspAdmin_AndStopsOnCancel()
    {
        var dir = Path.Combine(Path.GetTempPath(), "m2msec-serve-test-" + Guid.NewGuid().ToString("N"));
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        using var output = new SyncWriter();
        TestKeyRing.CreateIn(Path.GetTempPath(), Path.GetFileName(dir) + ".kek.json");
        var run = M2MSec.Cli.M2MSecCli.RunAsync(["serve", "all", "--data", dir, "--kek-file", dir + ".kek.json"], output, output, cts.Token);
        try
        {
            var endpoints = Path.Combine(dir, "endpoints.json");
            // Up to 60 s: 17 functions start on a loaded CI machine (10 s was too short there); a run that ended has failed.
            for (var i = 0; i < 600 && !run.IsCompleted && !output.ToString().Contains("listening on", StringComparison.Ordinal); i++)
                await Task.Delay(100, TestContext.Current.CancellationToken);
            Assert.False(run.IsCompleted, output.ToString());
            var map = JsonSerializer.Deserialize<Dictionary<string, string>>(await File.ReadAllTextAsync(endpoints, TestContext.Current.CancellationToken))!;
            var ct = TestContext.Current.CancellationToken;
            var hss = new Uri(map["hss"]);
            Assert.Equal("https", hss.Scheme);

            // The administrator's credentials serve all wrote: mutual TLS, admin API allowed.
            var admin = NetworkFunctionTls.Load(Path.Combine(dir, "admin.crt"), Path.Combine(dir, "admin.key"), Path.Combine(dir, "chain.pem"), Path.Combine(dir, "root.pem"));
            using (var http = admin.CreateClient(hss, TimeSpan.FromSeconds(10)))
            {
                var health = await http.GetFromJsonAsync<JsonElement>("health", ct);
                Assert.Equal("up", health.GetProperty("status").GetString());
                var added = await http.PostAsJsonAsync("subscribers", new { imsi = "001010000000901", k = new string('1', 32), opc = new string('2', 32) }, ct);
                Assert.Equal(System.Net.HttpStatusCode.Created, added.StatusCode);
            }

            // No client certificate: no TLS session at all.
            using (var anonymous = new HttpClient(new SocketsHttpHandler { SslOptions = { RemoteCertificateValidationCallback = (_, _, _, _) => true } }))
                await Assert.ThrowsAsync<HttpRequestException>(() => anonymous.GetAsync(new Uri(hss, "health"), ct));

            // A certificate of the operator hierarchy that does not name an administrator: 403 on admin APIs.
            var pkiData = Path.Combine(dir, "ocsp");
            var issued = await CliRunner.RunAsync("pki", "issue", "--data", pkiData, "--kek-file", dir + ".kek.json", "--profile", "nf", "--role", "smsc", "--subject", "intruder",
                "--san", "127.0.0.1", "--out-cert", Path.Combine(dir, "intruder.crt"), "--out-key", Path.Combine(dir, "intruder.key"));
            Assert.Equal(0, issued.ExitCode);
            var other = NetworkFunctionTls.Load(Path.Combine(dir, "intruder.crt"), Path.Combine(dir, "intruder.key"), Path.Combine(dir, "chain.pem"), Path.Combine(dir, "root.pem"));
            using (var http = other.CreateClient(hss, TimeSpan.FromSeconds(10)))
            {
                Assert.True((await http.GetAsync("health", ct)).IsSuccessStatusCode);
                var refused = await http.PostAsJsonAsync("subscribers", new { imsi = "001010000000902", k = new string('1', 32), opc = new string('2', 32) }, ct);
                Assert.Equal(System.Net.HttpStatusCode.Forbidden, refused.StatusCode);
            }

            // OCSP stays public HTTP; its admin side is mutual TLS, and listed.
            Assert.Equal("http", new Uri(map["ocsp"]).Scheme);
            var ocspAdmin = new Uri(map["ocsp-admin"]);
            Assert.Equal("https", ocspAdmin.Scheme);
            // Issue 15: every role of remote provisioning too; vno, drf, dpf and smsc with their device listeners.
            // Issue 16: the second SHO and its HSS, by instance name. Issue 17: the MTC-IWF, and the MTC server's credentials beside.
            Assert.True(File.Exists(Path.Combine(dir, "mtc-server.crt")) && File.Exists(Path.Combine(dir, "mtc-server.key")));
            // Issue 20: the DM server's mutual-TLS admin listener (its /metrics), dm-admin. Issue 18: the BSF with its device listener (Ub),
            // the MTC server as NAF with its Ua (PSK-TLS) listener. Issue 20: the web console, the OTA role's own SCP81 listener (ota-scp81).
            Assert.Equal(["bsf", "bsf-device", "ccif", "console", "dm", "dm-admin", "dpf", "dpf-device", "drf", "drf-device", "hss", "hss-b", "icf", "mtc-iwf", "naf", "naf-ua", "ocsp", "ocsp-admin",
                "ota", "ota-scp81", "pva", "scp81", "sho", "sho-b", "smsc", "smsc-device", "vno", "vno-device"],
                map.Keys.Order(StringComparer.Ordinal));
            using (var http = admin.CreateClient(ocspAdmin, TimeSpan.FromSeconds(10)))
                Assert.Equal(System.Net.HttpStatusCode.NotFound, (await http.PostAsJsonAsync("admin/revocations", new { serial = "01", reason = "superseded" }, ct)).StatusCode);
        }
        finally
        {
            await cts.CancelAsync();
            var exit = await run;
            var said = output.ToString();
            Assert.True(exit == 0, said[Math.Max(0, said.Length - 4000)..]);
            Directory.Delete(dir, true);
            File.Delete(dir + ".kek.json");
            File.Delete(dir + ".kek.stores.json");
        }
        Assert.Contains("stopped", output.ToString());
    }

    [Fact]
    public async Task ServeHss_AsAProcess_PrintsAddress_AndStopsCleanlyOnSigterm()
    {
        using var serve = ServeProcess.Start("hss", "m2msec-serve-test-");
        var p = serve.Process;
        var line = await p.StandardOutput.ReadLineAsync(TestContext.Current.CancellationToken);
        Assert.NotNull(line);
        Assert.Matches(@"^hss listening on http://127\.0\.0\.1:\d+/ \(data: .*; state: sqlite:", line);
        var url = line!.Split(' ')[3];
        using var http = new HttpClient();
        Assert.True((await http.GetAsync(new Uri(new Uri(url), "health"), TestContext.Current.CancellationToken)).IsSuccessStatusCode);

        await serve.SignalAsync("TERM", TestContext.Current.CancellationToken);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        await p.WaitForExitAsync(timeout.Token);
        Assert.Equal(0, p.ExitCode);
    }

    /// <summary>
    /// `serve scp81` has no generic host to wait on: before it took the signals itself, SIGTERM killed it (exit 143, no "stopped")
    /// and SIGINT too — unlike every other role, which stops cleanly with exit 0 (docs/cli.md).
    /// </summary>
    [Theory]
    [InlineData("TERM")]
    [InlineData("INT")]
    public async Task ServeScp81_AsAProcess_StopsCleanlyOnSignal_Exit0_DefeatsKilledMidService(string signal)
    {
        var ct = TestContext.Current.CancellationToken;
        using var serve = ServeProcess.Start("scp81", "m2msec-serve-scp81-");
        var p = serve.Process;
        var line = await p.StandardOutput.ReadLineAsync(ct);
        Assert.Matches(@"^scp81 listening on https://127\.0\.0\.1:\d+/ \(PSK-TLS 1\.2; data: ", line);
        await serve.SignalAsync(signal, ct);
        var rest = await p.StandardOutput.ReadToEndAsync(ct);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(20));
        await p.WaitForExitAsync(timeout.Token);
        Assert.True(p.ExitCode == 0, $"exit {p.ExitCode}: {rest} {await p.StandardError.ReadToEndAsync(ct)}");
        Assert.Equal("stopped", rest.Trim());
    }
}
