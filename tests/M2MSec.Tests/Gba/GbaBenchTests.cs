using System.Text.Json;
using M2MSec.Tests.Support;

namespace M2MSec.Tests.Gba;

/// <summary>Issue 18: `m2msec bench gba` measures real bootstrappings over HTTP and Zn requests, with MILENAGE's share of the CPU.</summary>
public sealed class GbaBenchTests
{
    [Fact]
    public async Task BenchGba_Json_BootstrapsAndZnRequestsPerSecond_WithMilenageShare()
    {
        var (code, stdout, stderr) = await CliRunner.RunAsync("bench", "gba", "--seconds", "1", "--parallel", "1", "--json");
        Assert.True(code == 0, stderr);
        var root = JsonDocument.Parse(stdout).RootElement;
        Assert.Equal(["parallel", "bootstraps_per_s", "cpu_ms_per_bootstrap", "milenage_us", "milenage_share", "zn_requests_per_s", "cpu_ms_per_zn_request"],
            root.EnumerateObject().Select(p => p.Name));
        Assert.True(root.GetProperty("bootstraps_per_s").GetDouble() > 0);
        Assert.True(root.GetProperty("zn_requests_per_s").GetDouble() > 0);
        Assert.InRange(root.GetProperty("milenage_share").GetDouble(), 0, 1);
    }
}
