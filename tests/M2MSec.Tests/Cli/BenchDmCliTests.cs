using System.Text.Json;
using M2MSec.Tests.Support;

namespace M2MSec.Tests.Cli;

/// <summary>`m2msec bench dm --json`: every figure present, and the resumed measurement really resumed (OpenSSL says so).</summary>
[Collection(TlsSessionCacheCollection.Name)]
public sealed class BenchDmCliTests
{
    /// <summary>
    /// Every figure of one run (one run for both checks: a bench run is ~20 s of the suite): full, resumed and kept sessions against
    /// both bounds, and (issue 19) the server in a process of its own, so its CPU per session is the server's alone, the devices'
    /// (TLS client, SyncML client, sealed TRE writes) apart, and the device's durable writes with their fsync time on their own.
    /// </summary>
    [Fact]
    public async Task BenchDm_ReportsFullResumedAndKeptSessions_AgainstBothBounds_ServerCpuApartFromTheDevices_IssueNineteen()
    {
        var (code, stdout, stderr) = await CliRunner.RunAsync("bench", "dm", "--seconds", "1", "--devices", "2", "--warm-up", "2", "--json");
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

        foreach (var mode in new[] { "new_connection", "resumed", "kept_connection" })
        {
            var server = json.GetProperty($"server_cpu_ms_per_session_{mode}").GetDouble();
            var device = json.GetProperty($"device_cpu_ms_per_session_{mode}").GetDouble();
            Assert.True(server > 0 && device > 0, $"{mode}: {stdout}");
            Assert.Equal(json.GetProperty($"cpu_ms_per_session_{mode}").GetDouble(), server + device, 0.02);
        }
        Assert.True(json.GetProperty("server_cpu_ms_per_tls_handshake").GetDouble() > 0, stdout);
        Assert.Equal(1.0, json.GetProperty("server_bound_ms_per_session_kept_connection").GetDouble());
        Assert.True(json.GetProperty("server_ratio_to_bound_kept_connection").GetDouble() > 0, stdout);
        // One sealed TRE version per session at least (its nonces; the tree and NAS configuration with them when they change —
        // the bench's sessions apply the same job again): the sealed store and the replay-protected counter, each fsynced.
        Assert.True(json.GetProperty("device_durable_writes_per_session").GetDouble() >= 2, stdout);
        Assert.True(json.GetProperty("device_fsync_ms_per_session").GetDouble() > 0, stdout);
        // The same writes on tmpfs (/dev/shm) measured apart: as many writes, the difference in fsync time is the disk's.
        if (Directory.Exists("/dev/shm"))
        {
            // The count is the process's (DeviceDurableWrites is static) and this CLI runs inside the test process, where tests of
            // other collections write TRE files at the same time: a lower bound here, not an equality (CI saw 10.03 against 6.34).
            Assert.True(json.GetProperty("device_durable_writes_per_session_tmpfs").GetDouble() >= 2, stdout);
            Assert.True(json.GetProperty("sessions_per_s_kept_connection_tmpfs").GetDouble() > 0, stdout);
            // Full-handshake sessions with the devices on tmpfs too: the ratio to bare handshakes the server reaches without the device's disk.
            Assert.True(json.GetProperty("sessions_per_s_new_connection_tmpfs").GetDouble() > 0, stdout);
            Assert.True(json.GetProperty("server_cpu_ms_per_session_new_connection_tmpfs").GetDouble() > 0, stdout);
            Assert.True(json.GetProperty("ratio_to_bound_tmpfs").GetDouble() > 0, stdout);
        }
        Assert.Contains("the server in process", stderr, StringComparison.Ordinal);
        // The ratios' two sides interleaved in slices, so a drift of the machine weighs on both alike.
        Assert.Contains("1 round of 1.0 s each", stderr, StringComparison.Ordinal);
    }
}
