using System.Text.Json;
using M2MSec.Tests.Support;

namespace M2MSec.Tests.Cli;

/// <summary>Issue 19: `bench hss` and `bench ocsp` print each figure beside the bound measured in the same run, and the ratio.</summary>
[LongRunning(20)]
public sealed class BenchHotPathCliTests
{
    /// <summary>Vectors over HTTP with count 1 and count 32 per request, against the store's durable-commit rate: one commit per request.</summary>
    [Fact]
    public async Task BenchHss_VectorsPerSecondCount1And32_AgainstTheDurableCommitRate_IssueNineteen()
    {
        var (code, stdout, stderr) = await CliRunner.RunAsync("bench", "hss", "--seconds", "1", "--parallel", "2", "--warm-up", "2", "--evict-mib", "4", "--json");
        Assert.True(code == 0, stderr);
        var json = JsonDocument.Parse(stdout).RootElement;
        var one = json.GetProperty("vectors_per_s_count_1").GetDouble();
        var many = json.GetProperty("vectors_per_s_count_32").GetDouble();
        var commits = json.GetProperty("durable_commits_per_s").GetDouble();
        Assert.True(one > 0 && many > 0 && commits > 0, stdout);
        Assert.Equal(Math.Round(one / commits, 3), json.GetProperty("ratio_to_commit_bound_count_1").GetDouble(), 0.002);
        Assert.Equal(json.GetProperty("requests_per_s_count_32").GetDouble() * 32, many, 2.0); // both rounded to 0.1
        Assert.True(json.GetProperty("batching_gain").GetDouble() > 0, stdout);
        Assert.Equal("sqlite", json.GetProperty("store").GetString());
        Assert.Equal(2, json.GetProperty("parallel").GetInt32());
        // Issue 19: SQN blocks (decision 035) — the AuC in process with blocks of 1 and of 32 against the store's own SQN commit.
        Assert.Equal(32, json.GetProperty("sqn_block_size").GetInt32());
        var storeCommits = json.GetProperty("store_sqn_commits_per_s").GetDouble();
        Assert.True(storeCommits > 0 && json.GetProperty("auc_vectors_per_s_count_1_block_32").GetDouble() > 0, stdout);
        Assert.Equal(Math.Round(json.GetProperty("auc_vectors_per_s_count_1_block_1").GetDouble() / storeCommits, 3),
            json.GetProperty("auc_ratio_to_store_commit_bound_block_1").GetDouble(), 0.01);
        // `--evict-mib`: the same request with cold caches, the touch that cooled them measured alone and taken off.
        Assert.Equal(4, json.GetProperty("evict_mib").GetInt32());
        var warm = json.GetProperty("cpu_ms_per_request_count_1_warm").GetDouble();
        var cold = json.GetProperty("cpu_ms_per_request_count_1_cold").GetDouble();
        Assert.True(warm > 0 && cold >= 0 && json.GetProperty("cpu_ms_eviction_alone").GetDouble() > 0, stdout);
        Assert.Equal(cold / warm, json.GetProperty("cold_to_warm_cpu_ratio").GetDouble(), 0.05);
    }

    /// <summary>
    /// `bench hss --evict-mib` is 0 (off) to 256 MiB per request loop and 2,048 MiB over all loops (`--parallel`): anything else is a bad
    /// argument, exit 2 naming the option, before a buffer is allocated.
    /// </summary>
    [Theory]
    [InlineData("-1", "4")]
    [InlineData("257", "1")]
    [InlineData("lots", "4")]
    [InlineData("256", "9")]
    public async Task BenchHss_EvictMibOutOfRange_Exit2NamingTheOption(string value, string parallel)
    {
        var (code, _, stderr) = await CliRunner.RunAsync("bench", "hss", "--evict-mib", value, "--parallel", parallel);
        Assert.Equal(2, code);
        Assert.Contains("--evict-mib", stderr, StringComparison.Ordinal);
    }

    /// <summary>OCSP over HTTP against the serial composition of the HTTP floor and the in-process responder, same run.</summary>
    [Fact]
    public async Task BenchOcsp_ShowsTheSerialCompositionOfFloorAndResponder_AndTheRatioToIt_IssueNineteen()
    {
        var (code, stdout, stderr) = await CliRunner.RunAsync("bench", "ocsp", "--seconds", "1", "--clients", "2", "--warm-up", "2", "--json");
        Assert.True(code == 0, stderr);
        var json = JsonDocument.Parse(stdout).RootElement;
        var floor = json.GetProperty("http_floor_per_s").GetDouble();
        var inProcess = json.GetProperty("in_process_per_s").GetDouble();
        var composition = json.GetProperty("serial_composition_per_s").GetDouble();
        Assert.Equal(Math.Round(1 / (1 / floor + 1 / inProcess)), composition, 1.0);
        Assert.Equal(Math.Round(json.GetProperty("requests_per_s").GetDouble() / composition, 3), json.GetProperty("ratio_to_composition").GetDouble(), 0.002);
        Assert.True(json.GetProperty("ratio_to_bound").GetDouble() > 0, stdout); // the signature bound still shown
        Assert.Equal(0.8, json.GetProperty("composition_target_ratio").GetDouble());
    }

    /// <summary>`--warm-up` is bounded (1–120 s): 0 or a word is a bad argument, exit 2 naming the option.</summary>
    [Theory]
    [InlineData("hss", "0")]
    [InlineData("ocsp", "121")]
    [InlineData("hss", "soon")]
    [InlineData("dm", "0")]
    public async Task BenchWarmUp_OutOfRange_Exit2NamingTheOption(string bench, string value)
    {
        var (code, _, stderr) = await CliRunner.RunAsync("bench", bench, "--warm-up", value);
        Assert.Equal(2, code);
        Assert.Contains("--warm-up", stderr, StringComparison.Ordinal);
    }
}
