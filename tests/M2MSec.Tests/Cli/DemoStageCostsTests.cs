using System.Text.Json;
using M2MSec.Tests.Support;

namespace M2MSec.Tests.Cli;

/// <summary>
/// Issue 19 ("show where the time goes for one device of the demo"): `demo --stage-costs` runs one device at a time and reports, per stage,
/// what one device cost the process — CPU and wall milliseconds, the fleet bound's operations, the HTTP requests the functions answered by
/// route and status — over the devices after the warm-up third of the fleet. The meters it reads are the process's: run alone, so that
/// another test's functions answering requests or signing beside it do not land in a stage's row (a CI run counted two `POST /subscribers`
/// per device in the HSS stage, one of them another test's).
/// </summary>
[Collection(ProcessWideMetersCollection.Name)]
public sealed class DemoStageCostsTests : IDisposable
{
    private static readonly string[] RowFields = ["stage", "devices", "cpu_ms", "jit_ms", "wall_ms", "http_requests", "operations", "requests"];

    private readonly string _dir = Path.Combine(Path.GetTempPath(), "m2msec-demo-costs-" + Guid.NewGuid().ToString("N"));

    [Fact]
    public async Task Demo_StageCosts_OneDeviceAtATime_EachStagesCostPerDevice_ByRouteAndOperation_UnexplainedFleetCostThreat()
    {
        var (code, stdout, stderr) = await CliRunner.RunAsync("demo", "--devices", "6", "--stage-costs", "--json", "--data", _dir);

        Assert.True(code == 0, stdout + stderr);
        using var json = JsonDocument.Parse(stdout);
        var root = json.RootElement;
        var rows = root.GetProperty("stage_costs").EnumerateArray().ToDictionary(r => r.GetProperty("stage").GetString()!);
        Assert.All(rows.Values, r => Assert.Equal(RowFields, r.EnumerateObject().Select(p => p.Name)));
        // Devices 0 and 1 warm up; 2–5 are measured: every one is manufactured, two are TRE-based (even), two UICC-based (odd).
        Assert.Equal(4, rows["Manufacture ME + TRE"].GetProperty("devices").GetInt32());
        Assert.Equal(2, rows["Registration (RO)"].GetProperty("devices").GetInt32());
        Assert.Equal(2, rows["HSS provisioning"].GetProperty("devices").GetInt32());
        // Known answers of the flows: a UICC-based device's subscriber is added to the HSS by one request, which commits.
        var hss = rows["HSS provisioning"];
        Assert.Equal(1.0, hss.GetProperty("requests").GetProperty("POST /subscribers 201").GetDouble());
        Assert.Equal(1.0, hss.GetProperty("http_requests").GetDouble());
        Assert.True(hss.GetProperty("operations").GetProperty("durable_commit").GetDouble() >= 1);
        // Registration carries the DPF's DM session (decision 038): OMA DM messages, signatures, commits, the device's TRE records.
        var registration = rows["Registration (RO)"];
        Assert.True(registration.GetProperty("requests").GetProperty("POST /dm 200").GetDouble() >= 2);
        foreach (var kind in new[] { "durable_commit", "ecdsa_sign", "ecdsa_verify", "x509_chain_build", "device_durable_write" })
            Assert.True(registration.GetProperty("operations").GetProperty(kind).GetDouble() > 0, kind);
        foreach (var stage in new[] { "Manufacture ME + TRE", "Registration (RO)", "NAS config by DM", "GBA + PSK-TLS" })
        {
            Assert.True(rows[stage].GetProperty("cpu_ms").GetDouble() > 0, stage);
            Assert.True(rows[stage].GetProperty("wall_ms").GetDouble() > 0, stage);
        }
        // A row's requests add up to its total, and the measured rows never count more than the run's functions answered.
        foreach (var row in rows.Values)
        {
            Assert.Equal(row.GetProperty("http_requests").GetDouble(), row.GetProperty("requests").EnumerateObject().Sum(r => r.Value.GetDouble()), 0.05);
            Assert.All(row.GetProperty("requests").EnumerateObject(), r => Assert.Matches(@"^[A-Z]+ \S.* \d{3}$", r.Name));
        }
        // The JIT's share: never negative, and two thirds into a 6-device run something is still being compiled in some stage.
        Assert.All(rows.Values, r => Assert.True(r.GetProperty("jit_ms").GetDouble() >= 0));
        Assert.Contains(rows.Values, r => r.GetProperty("jit_ms").GetDouble() > 0);
        var measured = rows.Values.Sum(r => r.GetProperty("http_requests").GetDouble() * r.GetProperty("devices").GetInt32());
        Assert.InRange(measured, 20, root.GetProperty("http_requests").GetInt64());
        Assert.Equal(6, root.GetProperty("completed").GetInt32());
    }

    /// <summary>Costs are attributable only with one device in flight: more is refused before anything is created.</summary>
    [Fact]
    public async Task Demo_StageCosts_WithConcurrency_Exits2_CreatesNothing_MisattributedCostThreat()
    {
        var (code, stdout, stderr) = await CliRunner.RunAsync("demo", "--devices", "3", "--stage-costs", "--concurrency", "8", "--data", _dir);

        Assert.Equal(2, code);
        Assert.Contains("--stage-costs", stderr, StringComparison.Ordinal);
        Assert.Empty(stdout);
        Assert.False(Directory.Exists(_dir));
    }

    public void Dispose() => DemoData.Delete(_dir);
}

/// <summary>Tests that read the process's meters (ASP.NET Core's, <c>OperationMeter</c>) and assert exact counts run alone.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ProcessWideMetersCollection
{
    public const string Name = "Process-wide meters";
}
