using System.Text.Json;
using M2MSec.Cli.Demo;
using M2MSec.Tests.Support;
using Spectre.Console;

namespace M2MSec.Tests.Cli;

/// <summary>
/// Issue 14 item 13, the demo as a report: a summary table readable at 80 columns and when piped (one row per
/// stage instead of ever wider columns), and <c>demo --json</c> / <c>--report FILE</c> with exactly the report's fields.
/// </summary>
public sealed class DemoReportTests : IDisposable
{
    private static readonly string[] ReportFields =
        ["devices", "completed", "failures", "stages", "peak_memory_mb", "wall_seconds", "devices_per_second", "peak_memory_bytes", "cpu_seconds", "battery", "groups", "gba",
            // Issue 19: the fixed cost and the fleet bound (docs/decisions/034-fleet-bound.md).
            "fixed_cost_s", "marginal_s_per_device", "profile", "operations", "rates", "devices_per_s", "fleet_bound_seconds", "fleet_bound_devices_per_s", "ratio_to_fleet_bound",
            // Issue 19, 2026-12-04: the requests the functions answered, and one completed device's share of the run.
            "http_requests", "per_device",
            // Issue 19, decision 050: the collector and what it did, so that a figure says what produced it.
            "runtime",
            // Issue 19, 2026-12-06: each stage's cost per device, with --stage-costs only (null here; DemoStageCostsTests).
            "stage_costs"];
    /// <summary>The demo's stages in order, and how many of a 5-device fleet (3 TRE-based, 2 UICC-based) each concerns.</summary>
    private static readonly (string Name, int Done)[] Stages =
    [
        ("Manufacture ME + TRE", 5), ("HSS provisioning", 2), ("Attach with PCID", 3), ("Registration (RO)", 3), ("Validation (PVA)", 3),
        ("MCIM download+install", 3), ("Attach with MCIM", 3),
        ("AKA over HTTP", 2), ("NAS config by OTA", 2), ("NAS config by DM", 5),
        // Issue 17: every fourth device (TRE-based: devices 0 and 4) is triggered through the MTC-IWF (its DM session run by the trigger)
        // and flooded with fake triggers; every device reads a group message; every third (devices 0 and 3) is removed from the group.
        ("Trigger (MTC-IWF)", 2), ("Fake triggers (battery)", 2), ("Group message (VNO)", 5), ("Group rekey (removal)", 2),
        // Issue 18: every device bootstraps with the BSF (TRE-based GBA_ME, UICC-based GBA_U) and opens PSK-TLS with the MTC server.
        ("GBA + PSK-TLS", 5),
        // Issue 16: every tenth TRE-based device (here device 0) moves to the second SHO; the rows count moved, old deleted, old IMSI refused.
        ("Change to sho-b", 1), ("Old MCIM deleted", 1), ("Old IMSI refused", 1),
        ("Rehabilitation (PVA)", 1), ("Unknown fw: locked", 1),
    ];

    private static readonly string[] StageFields = ["name", "completed", "failed", "seconds", "per_second"];

    private readonly string _dir = Path.Combine(Path.GetTempPath(), "m2msec-demo-report-" + Guid.NewGuid().ToString("N"));

    /// <summary>Issue 14 item 13: piped, the tables fit 80 columns with nothing cut (was `Comple…`, `DM OK (notif…`).</summary>
    [Fact]
    public async Task Demo_Piped_TablesFit80Columns_NoTruncatedHeaderOrCell_UnreadableTableThreat()
    {
        var (code, stdout, stderr) = await CliRunner.RunAsync("demo", "--devices", "5", "--data", _dir);

        Assert.True(code == 0, stdout + stderr);
        Assert.DoesNotContain('…', stdout);
        var lines = stdout.Split('\n');
        // Every line fits, but the follow-up commands (whole paths, to be pasted as they are).
        Assert.All(lines.Where(l => !l.StartsWith("  m2msec ", StringComparison.Ordinal)), l => Assert.True(l.TrimEnd('\r').Length <= 80, $"{l.Length} columns: {l}"));
        // One row per stage, whole names, short headers.
        Assert.Contains(lines, l => l.StartsWith("│ Stage ", StringComparison.Ordinal) && l.Contains("│ Seconds │", StringComparison.Ordinal));
        // Of 5 devices, 3 are TRE-based (provisioning stages) and 2 UICC-based (HSS, AKA, OTA); every device is manufactured and configured by DM.
        foreach (var (stage, done) in Stages)
            Assert.Equal([done.ToString(System.Globalization.CultureInfo.InvariantCulture), "0"], Row(stdout, stage)[..2]);
        Assert.Equal("5", Row(stdout, "Completed")[0]);
        // Issue 17: the battery table (per fake trigger, assumed figures) and the group table.
        Assert.Equal(["1.5"], Row(stdout, "Protected, mJ each"));
        Assert.Equal(["401.5"], Row(stdout, "Unprotected, mJ each"));
        Assert.Equal(["assumed (decision 026)"], Row(stdout, "Figures"));
        Assert.Equal(["2"], Row(stdout, "Removed member refused"));
    }

    /// <summary>Issue 14 item 13: whatever the fleet and however many stages later issues add, the tables fit 80 columns whole.</summary>
    [Fact]
    public void DemoTables_LargeFleet_LongStageNames_ManyFailures_FitIn80Columns_UnreadableTableThreat()
    {
        var summary = new DemoSummary(100_000, 99_000,
            new Dictionary<string, int> { ["connection-refused"] = 600, ["nas-config-by-dm-failed"] = 300, ["http-503"] = 100 },
            [
                DemoStageRow.Of("Manufacture ME + TRE", 100_000, 0, TimeSpan.FromSeconds(1234.5678)),
                DemoStageRow.Of("MCIM provisioning (TR 33.812 21 steps)", 99_500, 500, TimeSpan.FromSeconds(0.004)),
                DemoStageRow.Of("GBA bootstrapping over Ub (TS 33.220)", 99_400, 100, TimeSpan.FromSeconds(98_765.4)),
                DemoStageRow.Of("Device triggering via MTC-IWF (T4/Tsp)", 99_000, 400, TimeSpan.FromSeconds(12)),
            ], 12_345.6)
        {
            StageCosts =
            [
                new DemoStageCost("OMA DM configuration (OMA-TS-DM_Protocol V1.2)", 33_333, 12_345.67, 1_234.56, 98_765.43, 123.4,
                    new Dictionary<string, double> { ["durable_commit"] = 4_321.5 }, new Dictionary<string, double> { ["POST /dm 200"] = 5 }),
            ],
        };
        using var writer = new StringWriter();
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(writer),
            Ansi = AnsiSupport.No,
            ColorSystem = ColorSystemSupport.NoColors,
            Interactive = InteractionSupport.No,
        });
        console.Profile.Width = 80;

        DemoTables.Render(console, summary, [new("resync", 10_000), new("dm-verified", 99_000)], TimeSpan.FromSeconds(100_000));

        var text = writer.ToString();
        Assert.DoesNotContain('…', text);
        Assert.All(text.Split('\n'), l => Assert.True(l.TrimEnd('\r').Length <= 80, $"{l.Length} columns: {l}"));
        Assert.Equal(["100000", "0", "1234.57", "81.0"], Row(text, "Manufacture ME + TRE"));
        Assert.Equal(["99400", "100", "98765.40", "1.0"], Row(text, "GBA bootstrapping over Ub (TS")); // a long name wraps in its cell, whole
        Assert.Equal(["600"], Row(text, "connection-refused"));
        Assert.Equal(["100000.0 s"], Row(text, "Wall time"));
        Assert.Equal(["12345.7", "1234.6", "98765.4", "123.4", "4321.5"], Row(text, "OMA DM configuration"));
    }

    /// <summary>
    /// Issue 14 items 13 and 14: `demo --json` prints the report alone on standard output, with exactly the report's
    /// fields; `--report FILE` writes the same; progress goes to standard error, and nothing but progress reaches it —
    /// the network functions' logs go to a file in the data directory. Issue 16: the report also carries the wall time, the completed
    /// devices per second and the peak working set in bytes, and the rehabilitation rows (a registered update rehabilitated, an
    /// unregistered modification left locked).
    /// </summary>
    [Fact]
    public async Task Demo_Json_PrintsOnlyTheReport_WithExactlyItsFields_AndReportFileHoldsTheSame_MachineReadableReportThreat()
    {
        var file = _dir + ".report.json";
        try
        {
            var (code, stdout, stderr) = await CliRunner.RunAsync("demo", "--devices", "5", "--json", "--report", file, "--data", _dir);

            Assert.True(code == 0, stdout + stderr);
            using var json = JsonDocument.Parse(stdout); // the whole of stdout, nothing else
            var root = json.RootElement;
            Assert.Equal(ReportFields, root.EnumerateObject().Select(p => p.Name));
            Assert.Equal(5, root.GetProperty("devices").GetInt32());
            Assert.Equal(5, root.GetProperty("completed").GetInt32());
            Assert.Equal(JsonValueKind.Object, root.GetProperty("failures").ValueKind);
            Assert.Empty(root.GetProperty("failures").EnumerateObject());
            Assert.True(root.GetProperty("peak_memory_mb").GetDouble() > 10);
            // Issue 16: comparable between fleet sizes — wall time, completed devices per second, peak working set in bytes.
            Assert.True(root.GetProperty("wall_seconds").GetDouble() > 0);
            Assert.Equal(5 / root.GetProperty("wall_seconds").GetDouble(), root.GetProperty("devices_per_second").GetDouble(), 0.01);
            Assert.InRange(root.GetProperty("peak_memory_bytes").GetInt64(), 10L << 20, 64L << 30);
            Assert.True(root.GetProperty("cpu_seconds").GetDouble() > 0);
            Assert.Equal((3, 2), (root.GetProperty("gba").GetProperty("gba_me").GetInt32(), root.GetProperty("gba").GetProperty("gba_u").GetInt32()));
            AssertFleetBound(root);
            AssertRuntime(root);
            Assert.Equal(JsonValueKind.Null, root.GetProperty("stage_costs").ValueKind);
            var stages = root.GetProperty("stages").EnumerateArray().ToList();
            Assert.Equal(Stages.Select(s => s.Name), stages.Select(s => s.GetProperty("name").GetString()));
            foreach (var stage in stages)
            {
                Assert.Equal(StageFields, stage.EnumerateObject().Select(p => p.Name));
                Assert.Equal(Stages.Single(s => s.Name == stage.GetProperty("name").GetString()).Done, stage.GetProperty("completed").GetInt32());
                Assert.Equal(0, stage.GetProperty("failed").GetInt32());
                Assert.True(stage.GetProperty("seconds").GetDouble() >= 0);
                Assert.True(stage.GetProperty("per_second").GetDouble() > 0);
            }
            // Decision 038: one DM session may carry registration, validation and download; each phase's row still gets its own time.
            foreach (var phase in new[] { "Registration (RO)", "Validation (PVA)", "MCIM download+install" })
                Assert.True(stages.Single(s => s.GetProperty("name").GetString() == phase).GetProperty("seconds").GetDouble() > 0, phase);
            Assert.Equal(stdout.Trim(), (await File.ReadAllTextAsync(file, TestContext.Current.CancellationToken)).Trim());
            // Issue 17: the fake-trigger flood's battery figures, protected against unprotected (decision 026's assumptions), and the
            // fleet group: every device read its message; each removed member was refused the next one, which the remaining member read.
            var battery = root.GetProperty("battery");
            Assert.Equal(20, battery.GetProperty("fake_triggers").GetInt64());
            Assert.Equal(1.5, battery.GetProperty("protected_mj_each").GetDouble(), 3);
            Assert.Equal(401.5, battery.GetProperty("unprotected_mj_each").GetDouble(), 3);
            Assert.Equal((0L, 20L), (battery.GetProperty("protected_connection_setups").GetInt64(), battery.GetProperty("unprotected_connection_setups").GetInt64()));
            Assert.StartsWith("assumption", battery.GetProperty("source").GetString());
            var groups = root.GetProperty("groups");
            Assert.EndsWith("@mnc002.mcc001.3gppnetwork.org", groups.GetProperty("group_id").GetString());
            Assert.Equal((5, 2, 2, 2), (groups.GetProperty("members_read").GetInt32(), groups.GetProperty("rekeys").GetInt32(),
                groups.GetProperty("removed_member_refused").GetInt32(), groups.GetProperty("remaining_member_read").GetInt32()));

            // People still see progress, on stderr; no stack trace anywhere; the functions' log is in the data directory.
            Assert.Contains("NAS config by DM", stderr, StringComparison.Ordinal);
            Assert.DoesNotContain("Exception", stdout + stderr, StringComparison.Ordinal);
            Assert.DoesNotContain("   at ", stdout + stderr, StringComparison.Ordinal);
            Assert.True(File.Exists(Path.Combine(_dir, DemoLogFile.FileName)));
        }
        finally
        {
            File.Delete(file);
        }
    }

    /// <summary>
    /// Issue 19: the run measures its own fixed cost (wall − devices × steady-state marginal, with the profile it comes from) and its ratio to
    /// the fleet bound — the bare operations it counted (public-key operations, chain builds, TLS handshakes, MILENAGE runs, durable commits),
    /// each kind's rate calibrated in the same process, Σ count × cost.
    /// </summary>
    private static void AssertFleetBound(JsonElement root)
    {
        var wall = root.GetProperty("wall_seconds").GetDouble();
        var profile = root.GetProperty("profile");
        Assert.Equal(root.GetProperty("fixed_cost_s").GetDouble(), profile.GetProperty("fixed_cost_s").GetDouble(), 3);
        // Each field is rounded on its own in the report: compare within their rounding, not to a decimal place (2.5656 vs 2.5650 once).
        Assert.Equal(wall - 5 * root.GetProperty("marginal_s_per_device").GetDouble(), root.GetProperty("fixed_cost_s").GetDouble(), tolerance: 0.05);
        Assert.True(profile.GetProperty("start_s").GetDouble() > 0);
        Assert.True(root.GetProperty("marginal_s_per_device").GetDouble() > 0);
        var operations = root.GetProperty("operations");
        var rates = root.GetProperty("rates");
        // A 5-device fleet signs (certificates, OCSP answers, signed objects), verifies, agrees ECDH keys (the MCIM's ECIES), builds chains,
        // runs MILENAGE (HSS vectors, USIM and TRE AKA), commits to its stores, completes TLS handshakes with the functions, and its devices
        // write their TRE's records and replace their files (fuse, UICC image, GBA record) (2026-12-05: counted in the bound too).
        foreach (var kind in new[] { "ecdsa_sign", "ecdsa_verify", "ecdh", "x509_chain_build", "milenage", "durable_commit", "tls_handshake", "device_durable_write", "device_file_replacement" })
        {
            Assert.True(operations.GetProperty(kind).GetInt64() > 0, kind);
            Assert.True(rates.GetProperty(kind).GetDouble() > 0, kind);
        }
        var seconds = operations.EnumerateObject().Where(o => o.Value.GetInt64() > 0).Sum(o => o.Value.GetInt64() / rates.GetProperty(o.Name).GetDouble());
        Assert.Equal(seconds, root.GetProperty("fleet_bound_seconds").GetDouble(), 0.01);
        Assert.Equal(root.GetProperty("devices_per_second").GetDouble(), root.GetProperty("devices_per_s").GetDouble());
        Assert.Equal(5 / seconds, root.GetProperty("fleet_bound_devices_per_s").GetDouble(), 0.02);
        Assert.True(root.GetProperty("ratio_to_fleet_bound").GetDouble() > 0);
        // Figures derived from rounded ones: compared within a tolerance, not by rounding both (0.0654 and 0.065 straddled a rounding edge in CI).
        Assert.Equal(root.GetProperty("devices_per_s").GetDouble() / root.GetProperty("fleet_bound_devices_per_s").GetDouble(),
            root.GetProperty("ratio_to_fleet_bound").GetDouble(), 0.005);
        // Issue 19, 2026-12-04: each device talks HTTP with the functions (attach, registration, AKA, OTA, DM, groups, GBA…: dozens of requests
        // each), and per_device divides the run's totals by the 5 completed devices.
        var requests = root.GetProperty("http_requests").GetInt64();
        Assert.True(requests >= 5 * 10, $"{requests} requests");
        var perDevice = root.GetProperty("per_device");
        Assert.Equal(requests / 5.0, perDevice.GetProperty("http_requests").GetDouble(), 2);
        Assert.Equal(operations.GetProperty("durable_commit").GetInt64() / 5.0, perDevice.GetProperty("store_writes").GetDouble(), 2);
        Assert.Equal(operations.GetProperty("tls_handshake").GetInt64() / 5.0, perDevice.GetProperty("tls_handshakes").GetDouble(), 2);
        Assert.Equal((operations.GetProperty("device_durable_write").GetInt64() + operations.GetProperty("device_file_replacement").GetInt64()) / 5.0,
            perDevice.GetProperty("device_writes").GetDouble(), 2);
        Assert.Equal(root.GetProperty("cpu_seconds").GetDouble() / 5, perDevice.GetProperty("cpu_s").GetDouble(), 0.002);
    }

    /// <summary>
    /// Decision 050: the report names the collector of the process that ran it (here the test host's, whatever it is) and counts its
    /// collections and the bytes allocated — a 5-device run with seventeen functions allocates far more than a megabyte per device.
    /// </summary>
    private static void AssertRuntime(JsonElement root)
    {
        var runtime = root.GetProperty("runtime");
        Assert.Equal(["gc", "gc_concurrent", "gc_collections", "gc_pause_s", "allocated_bytes", "allocated_bytes_per_device", "jit_methods", "jit_s", "tiered_pgo"], runtime.EnumerateObject().Select(p => p.Name));
        Assert.Equal(System.Runtime.GCSettings.IsServerGC ? "server" : "workstation", runtime.GetProperty("gc").GetString());
        var collections = runtime.GetProperty("gc_collections");
        Assert.Equal(["gen0", "gen1", "gen2"], collections.EnumerateObject().Select(p => p.Name));
        Assert.True(collections.GetProperty("gen0").GetInt32() >= collections.GetProperty("gen1").GetInt32());
        Assert.True(collections.GetProperty("gen1").GetInt32() >= collections.GetProperty("gen2").GetInt32());
        Assert.True(runtime.GetProperty("gc_pause_s").GetDouble() >= 0);
        var allocated = runtime.GetProperty("allocated_bytes").GetInt64();
        Assert.True(allocated > 5L << 20, $"{allocated} bytes allocated");
        Assert.Equal(allocated / 5, runtime.GetProperty("allocated_bytes_per_device").GetInt64());
        // The JIT compiled in every run: generic code no ReadyToRun image holds, and the tiers of hot methods.
        Assert.True(runtime.GetProperty("jit_methods").GetInt64() > 1000, runtime.GetRawText());
        Assert.True(runtime.GetProperty("jit_s").GetDouble() > 0, runtime.GetRawText());
        // Decision 054: the test host runs the demo in its own process, not replaced: PGO as the host has it — off by its
        // runtimeconfig (decision 060) unless the environment says otherwise.
        var environment = Environment.GetEnvironmentVariable("DOTNET_TieredPGO");
        Assert.Equal(environment is not null && environment != "0", runtime.GetProperty("tiered_pgo").GetBoolean());
    }

    /// <summary>Issue 14 item 13: a report file in a directory that does not exist is refused before the demo runs.</summary>
    [Fact]
    public async Task Demo_ReportInMissingDirectory_Exits2_NamingReport_RunsNothing()
    {
        var (code, stdout, stderr) = await CliRunner.RunAsync("demo", "--devices", "1", "--report", Path.Combine(_dir, "no", "r.json"), "--data", _dir);

        Assert.Equal(2, code);
        Assert.StartsWith("--report: directory ", stderr, StringComparison.Ordinal);
        Assert.Empty(stdout);
        Assert.False(Directory.Exists(_dir));
    }

    /// <summary>The cells of the table row whose first cell is <paramref name="first"/>.</summary>
    internal static string[] Row(string text, string first) =>
        text.Split('\n').Select(l => l.Split('│', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
            .First(cells => cells.Length > 0 && cells[0] == first)[1..];

    public void Dispose() => DemoData.Delete(_dir);
}
