using System.Text.Json;
using M2MSec.Tests.Support;

namespace M2MSec.Tests.Cli;

/// <summary>`m2msec bench dm --json`: every figure present, and the resumed measurement really resumed (OpenSSL says so).</summary>
[Collection(TlsSessionCacheCollection.Name)]
public sealed class BenchDmCliTests
{
    [Fact]
    public async Task BenchDm_ReportsFullResumedAndKeptSessions_AgainstBothBounds()
    {
        var (code, stdout, stderr) = await CliRunner.RunAsync("bench", "dm", "--seconds", "1", "--devices", "2", "--json");
        Assert.True(code == 0, stderr);
        var json = JsonDocument.Parse(stdout).RootElement;
        foreach (var field in new[] { "sessions_per_s_new_connection", "cpu_ms_per_session_new_connection", "sessions_per_s_resumed", "cpu_ms_per_session_resumed",
            "sessions_per_s_kept_connection", "cpu_ms_per_session_kept_connection", "tls_handshakes_per_s", "tls_resumed_handshakes_per_s",
            "ratio_to_bound", "ratio_resumed_to_bound" })
            Assert.True(json.GetProperty(field).GetDouble() > 0, field);
        Assert.Equal(2, json.GetProperty("devices").GetInt32());
        Assert.Equal(Environment.ProcessorCount, json.GetProperty("cores").GetInt32());
        Assert.StartsWith("openssl", json.GetProperty("resumption_check").GetString(), StringComparison.Ordinal);
        Assert.Equal(0, json.GetProperty("resumed_share_full").GetDouble());
        Assert.True(json.GetProperty("resumed_share_sessions").GetDouble() > 0.5, stdout);
        Assert.True(json.GetProperty("resumed_share_bare").GetDouble() > 0.5, stdout);
    }
}
