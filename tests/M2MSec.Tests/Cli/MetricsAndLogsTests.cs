using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using M2MSec.Tests.Support;

namespace M2MSec.Tests.Cli;

/// <summary>
/// Issue 20, metrics and logs (docs/decisions/031): the demo's scrape of every function's /metrics matches what the demo did;
/// `serve … --log-format json` logs one line per domain event with the device and a correlation id and never key material;
/// `m2msec status` shows every service of a running `serve all`, exit 3 when one is down.
/// </summary>
[LongRunning(19)]
public sealed class MetricsAndLogsTests
{
    /// <summary>The sum of <paramref name="metric"/>'s samples carrying every one of <paramref name="labels"/> (k="v").</summary>
    internal static double Sum(string text, string metric, params string[] labels) =>
        text.Split('\n').Where(l => l.StartsWith(metric + "{", StringComparison.Ordinal) && labels.All(x => l.Contains(x, StringComparison.Ordinal)))
            .Sum(l => double.Parse(l[(l.LastIndexOf('}') + 1)..].Trim(), CultureInfo.InvariantCulture));

    [Fact]
    public async Task Demo_MetricsScrapedAfterTheRun_MatchWhatTheDemoDid_NoDeviceIdInAnyLabel()
    {
        var dir = Path.Combine(Path.GetTempPath(), "m2msec-demo-metrics-" + Guid.NewGuid().ToString("N"));
        try
        {
            var (code, stdout, stderr) = await CliRunner.RunAsync("demo", "--devices", "20", "--data", dir);
            Assert.True(code == 0, stdout + stderr);
            int Event(string name) => int.Parse(DemoReportTests.Row(stdout, name)[0], CultureInfo.InvariantCulture);
            string Scrape(string name) => File.ReadAllText(Path.Combine(dir, "metrics", name + ".prom"));

            // Provisioning: every MCIM the demo saw provisioned is one step 21 at its SHO (the move to sho-b one at sho-b).
            Assert.Equal(Event("mcim-provisioned"), Sum(Scrape("sho"), "m2msec_provisioning_steps_completed_total", "step=\"21\""));
            Assert.Equal(Event("subscription-moved"), Sum(Scrape("sho-b"), "m2msec_provisioning_steps_completed_total", "step=\"21\""));
            Assert.Equal(0, Sum(Scrape("sho"), "m2msec_provisioning_steps_failed_total"));
            Assert.True(Sum(Scrape("drf"), "m2msec_provisioning_steps_completed_total", "step=\"7-10\"") >= Event("mcim-provisioned"));
            Assert.True(Sum(Scrape("pva"), "m2msec_provisioning_steps_completed_total", "step=\"14-15\"") >= Event("mcim-provisioned"));
            // AKA: a vector for every attach (each UICC device, each provisioned TRE's first attach; PCID attaches at the ICF),
            // and exactly the demo's forced re-synchronisations.
            Assert.True(Sum(Scrape("hss"), "m2msec_aka_vectors_issued_total") >= 10 + Event("mcim-provisioned"));
            Assert.True(Sum(Scrape("icf"), "m2msec_aka_vectors_issued_total") >= Event("mcim-provisioned"));
            Assert.Equal(Event("resync"), Sum(Scrape("hss"), "m2msec_aka_resynchronisations_total", "outcome=\"done\""));
            // DM: a completed session for every device configured by DM; OTA: every verified job, SMS and SCP81, and its PoR.
            Assert.True(Sum(Scrape("dm"), "m2msec_dm_sessions_total", "outcome=\"completed\"") >= Event("dm-verified"));
            Assert.Equal(0, Sum(Scrape("dm"), "m2msec_dm_sessions_total", "outcome=\"session-expired\""));
            Assert.Equal(Event("ota-verified") + Event("scp81-verified"), Sum(Scrape("ota"), "m2msec_ota_jobs_total", "state=\"verified\""));
            Assert.True(Sum(Scrape("ota"), "m2msec_ota_por_total", "status=\"por-ok\"") >= Event("ota-verified"));
            // Triggers: each delivered one passed the MTC-IWF's authorisation and the VNO's NAS context.
            Assert.Equal(Event("trigger-delivered"), Sum(Scrape("mtc-iwf"), "m2msec_trigger_checks_passed_total", "check=\"authorisation\""));
            Assert.Equal(Event("trigger-delivered"), Sum(Scrape("vno"), "m2msec_trigger_checks_passed_total", "check=\"nas-context\""));
            // OCSP: the devices and functions asked, and every certificate was good.
            Assert.True(Sum(Scrape("ocsp"), "m2msec_ocsp_responses_total", "status=\"good\"") > 0);
            Assert.Equal(0, Sum(Scrape("ocsp"), "m2msec_ocsp_responses_total", "status=\"revoked\""));

            // No device id (IMSI, PCID) anywhere in the scrapes: labels are bounded.
            var all = string.Join("\n", Directory.GetFiles(Path.Combine(dir, "metrics")).Select(File.ReadAllText));
            foreach (var device in Directory.GetDirectories(Path.Combine(dir, "devices")).Select(Path.GetFileName))
                Assert.DoesNotContain(device!, all);
        }
        finally
        {
            DemoData.Delete(dir);
        }
    }

    /// <summary>Runs `m2msec serve hss ARGS` as a process until <paramref name="drive"/> is done; returns everything it printed.</summary>
    private static async Task<string> ServeHssAsync(string[] args, Func<Uri, Task> drive)
    {
        using var serve = ServeProcess.Start("hss", "m2msec-logs-test-", args);
        var p = serve.Process;
        var first = await p.StandardOutput.ReadLineAsync(TestContext.Current.CancellationToken);
        Assert.NotNull(first);
        Assert.StartsWith("hss listening on http://", first);
        await drive(new Uri(first!.Split(' ')[3]));
        await serve.SignalAsync("TERM", TestContext.Current.CancellationToken);
        var rest = p.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        var error = p.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        await p.WaitForExitAsync(timeout.Token);
        return first + "\n" + await rest + await error;
    }

    [Fact]
    public async Task ServeJsonLog_OneLinePerDomainEvent_WithDeviceAndCorrelation_NeverKeyMaterial_SecretLeakThreat()
    {
        const string imsi = "001010000000451";
        var k = Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(16));
        var opc = Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(16));
        var secrets = new List<string> { k, opc };
        var log = await ServeHssAsync(["--log-format", "json"], async url =>
        {
            // Without TLS the admin and role APIs answer loopback callers: a subscriber, two vectors (CK, IK, XRES: secrets), a forged resync.
            using var http = new HttpClient { BaseAddress = url };
            var ct = TestContext.Current.CancellationToken;
            (await http.PostAsJsonAsync("subscribers", new { imsi, k, opc }, ct)).EnsureSuccessStatusCode();
            using var vectors = await http.PostAsJsonAsync("auth-vectors", new { imsi, count = 2 }, ct);
            vectors.EnsureSuccessStatusCode();
            foreach (var v in (await vectors.Content.ReadFromJsonAsync<JsonElement>(ct)).GetProperty("vectors").EnumerateArray())
                secrets.AddRange(new[] { "xres", "ck", "ik" }.Select(f => v.GetProperty(f).GetString()!));
            using var resync = await http.PostAsJsonAsync("auth-vectors", new { imsi, resync = new { rand = new string('a', 32), auts = new string('b', 28) } }, ct);
            Assert.Equal(System.Net.HttpStatusCode.Forbidden, resync.StatusCode);
        });

        // Nothing it logged holds the key material it handled, in any case.
        foreach (var secret in secrets)
        {
            Assert.DoesNotContain(secret, log, StringComparison.OrdinalIgnoreCase);
        }
        var events = log.Split('\n').Where(l => l.StartsWith('{')).Select(l => JsonDocument.Parse(l).RootElement)
            .Where(e => e.GetProperty("EventId").GetInt32() == 2000).Select(e => e.GetProperty("State")).ToList();
        JsonElement One(string name, string outcome) => Assert.Single(events, e => e.GetProperty("Event").GetString() == name && e.GetProperty("Outcome").GetString() == outcome);
        Assert.Equal(imsi, One("hss.subscriber.added", "added").GetProperty("Device").GetString());
        var issued = One("aka.vectors", "issued-2");
        Assert.Equal(imsi, issued.GetProperty("Device").GetString());
        Assert.Matches("^[0-9a-f]{32}$", issued.GetProperty("Correlation").GetString());
        Assert.Equal(imsi, One("aka.resync", "mac-failure").GetProperty("Device").GetString());
        Assert.Equal(3, events.Count); // one line per event: the subscriber, the vectors, the refused re-synchronisation
    }

    [Fact]
    public async Task ServeLogLevelWarning_NoDomainEventLines_BadLevelExits2()
    {
        var log = await ServeHssAsync(["--log-level", "warning"], async url =>
        {
            using var http = new HttpClient { BaseAddress = url };
            (await http.PostAsJsonAsync("subscribers", new { imsi = "001010000000452", k = new string('1', 32), opc = new string('2', 32) },
                TestContext.Current.CancellationToken)).EnsureSuccessStatusCode();
        });
        Assert.DoesNotContain("hss.subscriber.added", log);
        var (code, _, stderr) = await CliRunner.RunAsync("serve", "hss", "--log-level", "loud");
        Assert.Equal(2, code);
        Assert.StartsWith("--log-level: expected trace, debug, information, warning, error, critical, none, got 'loud'", stderr);
        (code, _, stderr) = await CliRunner.RunAsync("serve", "all", "--log-format", "xml");
        Assert.Equal(2, code);
        Assert.StartsWith("--log-format: expected text, json, got 'xml'", stderr);
    }

    [Fact]
    public async Task Status_EveryServiceUp_Exit0_OneDown_Exit3_NoFile_Exit2()
    {
        var dir = Path.Combine(Path.GetTempPath(), "m2msec-status-test-" + Guid.NewGuid().ToString("N"));
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        using var output = new SyncWriter();
        TestKeyRing.CreateIn(Path.GetTempPath(), Path.GetFileName(dir) + ".kek.json");
        var run = M2MSec.Cli.M2MSecCli.RunAsync(["serve", "all", "--data", dir, "--kek-file", dir + ".kek.json", "--log-level", "warning"], output, output, cts.Token);
        try
        {
            var endpoints = Path.Combine(dir, "endpoints.json");
            for (var i = 0; i < 600 && !output.ToString().Contains("scp81 listening on", StringComparison.Ordinal); i++)
                await Task.Delay(100, TestContext.Current.CancellationToken);
            var map = JsonSerializer.Deserialize<Dictionary<string, string>>(await File.ReadAllTextAsync(endpoints, TestContext.Current.CancellationToken))!;
            var services = map.Keys.Where(n => !n.EndsWith("-admin", StringComparison.Ordinal) && !n.EndsWith("-device", StringComparison.Ordinal)).ToList();

            var (code, stdout, stderr) = await CliRunner.RunAsync("status", "--endpoints", endpoints, "--json");
            Assert.True(code == 0, stdout + stderr);
            var status = JsonDocument.Parse(stdout).RootElement;
            Assert.Equal(services.Count, status.GetProperty("healthy").GetInt32());
            Assert.Equal(services, status.GetProperty("services").EnumerateArray().Select(s => s.GetProperty("name").GetString()!));
            foreach (var s in status.GetProperty("services").EnumerateArray().Where(s => s.GetProperty("name").GetString() is not ("scp81" or "ota-scp81" or "naf-ua" or "console"))) // PSK-TLS listeners, the web console (issue 20): up or down only
            {
                Assert.Equal("up", s.GetProperty("health").GetString());
                Assert.False(string.IsNullOrEmpty(s.GetProperty("version").GetString()), s.ToString());
                Assert.True(s.GetProperty("uptime_seconds").GetInt64() >= 0);
                Assert.True(s.GetProperty("counters").GetProperty("requests").GetDouble() >= 1, s.ToString());
            }
            Assert.All(status.GetProperty("services").EnumerateArray().Where(s => s.GetProperty("name").GetString() is "scp81" or "ota-scp81" or "naf-ua" or "console"),
                s => Assert.Equal("up", s.GetProperty("health").GetString()));
            // The DM server's figures come from its own admin listener; the OCSP responder's from its admin one.
            Assert.True(map.ContainsKey("dm-admin"));

            // One service down (its port closed): the rest still shown, exit 3.
            map["hss"] = $"https://127.0.0.1:{LoopbackPort.Free()}/";
            var down = Path.Combine(dir, "endpoints-down.json");
            await File.WriteAllTextAsync(down, JsonSerializer.Serialize(map), TestContext.Current.CancellationToken);
            (code, stdout, _) = await CliRunner.RunAsync("status", "--endpoints", down);
            Assert.Equal(3, code);
            Assert.Matches(@"(?m)^hss\s+down\s", stdout);
            Assert.Matches(@"(?m)^sho\s+up\s", stdout);
            Assert.Contains($"{services.Count - 1} of {services.Count} services up", stdout);

            (code, _, stderr) = await CliRunner.RunAsync("status", "--endpoints", Path.Combine(dir, "no-such.json"));
            Assert.Equal(2, code);
            Assert.StartsWith("--endpoints:", stderr);
        }
        finally
        {
            await cts.CancelAsync();
            await run;
            if (Directory.Exists(dir))
                Directory.Delete(dir, true);
            File.Delete(dir + ".kek.json");
            File.Delete(dir + ".kek.stores.json");
        }
    }
}
