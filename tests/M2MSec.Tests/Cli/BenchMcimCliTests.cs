using System.Text.Json;
using M2MSec.Tests.Support;

namespace M2MSec.Tests.Cli;

/// <summary>Issue 15, item 5: `m2msec bench mcim --json` reports seals/opens per second against the public-key bound for both key types; issue 16: prepared against on demand, bulk on all cores against one.</summary>
public sealed class BenchMcimCliTests
{
    [Fact]
    public async Task BenchMcim_ReportsSealsAndOpensAgainstTheBound_ForEcAndRsa()
    {
        var (code, stdout, stderr) = await CliRunner.RunAsync("bench", "mcim", "--seconds", "1", "--json");
        Assert.True(code == 0, stderr);
        var json = JsonDocument.Parse(stdout).RootElement;
        foreach (var key in new[] { "ec_p256", "rsa_2048" })
        {
            var k = json.GetProperty(key);
            foreach (var field in new[] { "seals_per_s", "seal_bound_per_s", "seal_ratio_to_bound", "opens_per_s", "open_bound_per_s", "open_ratio_to_bound" })
                Assert.True(k.GetProperty(field).GetDouble() > 0, $"{key}.{field}");
        }
        Assert.Equal("aes-cbc-hmac-sha1", json.GetProperty("suite").GetString());
        // Issue 16: a prepared MCIM against sealing on demand (verdict → signed M2MSIMMobj), and bulk sealing on all cores against one.
        foreach (var key in new[] { "ec_p256", "rsa_2048" })
        {
            var p = json.GetProperty("prepared_vs_on_demand").GetProperty(key);
            Assert.True(p.GetProperty("on_demand_us").GetDouble() > 0 && p.GetProperty("prepared_us").GetDouble() > 0, key);
            Assert.Equal(Math.Round(p.GetProperty("on_demand_us").GetDouble() / p.GetProperty("prepared_us").GetDouble(), 2), p.GetProperty("speedup").GetDouble(), 0.05);
        }
        var bulk = json.GetProperty("bulk_preparation");
        Assert.True(bulk.GetProperty("one_core_seals_per_s").GetDouble() > 0 && bulk.GetProperty("all_cores_seals_per_s").GetDouble() > 0);
        Assert.Equal(Environment.ProcessorCount, bulk.GetProperty("cores").GetInt32());
        Assert.Equal(Environment.ProcessorCount, json.GetProperty("cores").GetInt32());
        var bad = await CliRunner.RunAsync("bench", "mcim", "--suite", "des");
        Assert.Equal(2, bad.ExitCode);
        Assert.Contains("--suite", bad.Stderr, StringComparison.Ordinal);
    }
}
