using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;
using M2MSec.Tests.Support;

namespace M2MSec.Tests.Cli;

/// <summary>`m2msec serve` and `m2msec demo` as users run them.</summary>
public sealed class ServeAndDemoTests
{
    [Fact]
    public async Task Demo_50Devices_MixedFleet_AllComplete_FiveForcedResyncs_SummaryTable()
    {
        var dir = Path.Combine(Path.GetTempPath(), "m2msec-demo-test-" + Guid.NewGuid().ToString("N"));
        try
        {
            var (code, stdout, stderr) = await CliRunner.RunAsync("demo", "--devices", "50", "--data", dir);
            Assert.True(code == 0, stdout + stderr);
            Assert.Contains("Summary", stdout);
            var row = stdout.Split('\n').First(l => l.StartsWith("│ 50 ", StringComparison.Ordinal));
            var cells = row.Split('│', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
            Assert.Equal(["50", "50", "5", "16", "9", "0"], cells[..6]);
            Assert.Contains("Fleet: 25 TRE-based M2MEs (TR 33.812), 25 UICC-based MTC devices (TR 33.868)", stdout);
            Assert.Equal(50, Directory.GetDirectories(Path.Combine(dir, "devices")).Length);
        }
        finally
        {
            if (Directory.Exists(dir))
                Directory.Delete(dir, true);
            if (Directory.Exists(dir + ".fuse"))
                Directory.Delete(dir + ".fuse", true);
            File.Delete(dir + ".kek.json");
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

    [Fact]
    public async Task ServeAll_WritesEndpointsJson_AndStopsOnCancel()
    {
        var dir = Path.Combine(Path.GetTempPath(), "m2msec-serve-test-" + Guid.NewGuid().ToString("N"));
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        using var output = new SyncWriter();
        var run = M2MSec.Cli.M2MSecCli.RunAsync(["serve", "all", "--data", dir, "--kek-file", dir + ".kek.json"], output, output, cts.Token);
        try
        {
            var endpoints = Path.Combine(dir, "endpoints.json");
            for (var i = 0; i < 100 && !output.ToString().Contains("listening on", StringComparison.Ordinal); i++)
                await Task.Delay(100, TestContext.Current.CancellationToken);
            var map = JsonSerializer.Deserialize<Dictionary<string, string>>(await File.ReadAllTextAsync(endpoints, TestContext.Current.CancellationToken))!;
            using var http = new HttpClient();
            var health = await http.GetFromJsonAsync<JsonElement>(new Uri(new Uri(map["hss"]), "health"), TestContext.Current.CancellationToken);
            Assert.Equal("up", health.GetProperty("status").GetString());
        }
        finally
        {
            await cts.CancelAsync();
            Assert.Equal(0, await run);
            Directory.Delete(dir, true);
            File.Delete(dir + ".kek.json");
        }
        Assert.Contains("stopped", output.ToString());
    }

    [Fact]
    public async Task ServeHss_AsAProcess_PrintsAddress_AndStopsCleanlyOnSigterm()
    {
        var dll = Path.Combine(AppContext.BaseDirectory, "m2msec.dll");
        var dir = Path.Combine(Path.GetTempPath(), "m2msec-serve-test-" + Guid.NewGuid().ToString("N"));
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { dll, "serve", "hss", "--data", dir, "--kek-file", dir + ".kek.json" })
            psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        try
        {
            var line = await p.StandardOutput.ReadLineAsync(TestContext.Current.CancellationToken);
            Assert.NotNull(line);
            Assert.Matches(@"^hss listening on http://127\.0\.0\.1:\d+/ \(data: .*; state: sqlite:", line);
            var url = line!.Split(' ')[3];
            using var http = new HttpClient();
            Assert.True((await http.GetAsync(new Uri(new Uri(url), "health"), TestContext.Current.CancellationToken)).IsSuccessStatusCode);

            using (var kill = Process.Start("kill", ["-TERM", p.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
                await kill.WaitForExitAsync(TestContext.Current.CancellationToken);
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
            await p.WaitForExitAsync(timeout.Token);
            Assert.Equal(0, p.ExitCode);
        }
        finally
        {
            if (!p.HasExited)
                p.Kill(true);
            if (Directory.Exists(dir))
                Directory.Delete(dir, true);
            File.Delete(dir + ".kek.json");
        }
    }
}
