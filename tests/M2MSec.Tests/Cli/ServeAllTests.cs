using System.Net.Sockets;
using System.Text.Json;
using M2MSec.Tests.Support;

namespace M2MSec.Tests.Cli;

/// <summary>
/// Issue 14 item 12: `serve all` runs every role, dm and scp81 included, and lists every listener in
/// endpoints.json; `serve all --no-tls` starts in a fresh directory, without `pki init`.
/// </summary>
public sealed class ServeAllTests
{
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task ServeAll_RunsDmAndScp81Too_AndListsThem_NoTlsNeedsNoPkiInit_MissingRoleThreat(bool noTls)
    {
        var dir = Path.Combine(Path.GetTempPath(), "m2msec-serveall-" + Guid.NewGuid().ToString("N"));
        var ct = TestContext.Current.CancellationToken;
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        using var output = new SyncWriter();
        string[] args = ["serve", "all", "--data", dir, "--kek-file", dir + ".kek.json", .. noTls ? new[] { "--no-tls" } : []];
        var run = M2MSec.Cli.M2MSecCli.RunAsync(args, output, output, cts.Token);
        try
        {
            for (var i = 0; i < 300 && !run.IsCompleted && !output.ToString().Contains("scp81 listening on", StringComparison.Ordinal); i++)
                await Task.Delay(100, ct);
            Assert.False(run.IsCompleted, output.ToString());
            var map = JsonSerializer.Deserialize<Dictionary<string, string>>(await File.ReadAllTextAsync(Path.Combine(dir, "endpoints.json"), ct))!;
            foreach (var role in new[] { "hss", "smsc", "ota", "ocsp", "dm", "scp81" })
                Assert.True(map.ContainsKey(role), role + " missing from endpoints.json: " + string.Join(", ", map.Keys));
            Assert.Equal(!noTls, map.ContainsKey("ocsp-admin"));
            var dm = new Uri(map["dm"]);
            Assert.Equal("/dm", dm.AbsolutePath);
            Assert.Equal(noTls ? "http" : "https", dm.Scheme);
            if (noTls)
            {
                using var http = new HttpClient();
                var health = await http.GetStringAsync(new Uri(dm, "/health"), ct);
                Assert.Contains("\"dm\"", health, StringComparison.Ordinal);
            }
            var scp81 = new Uri(map["scp81"]);
            using var tcp = new TcpClient();
            await tcp.ConnectAsync(scp81.Host, scp81.Port, ct);
        }
        finally
        {
            await cts.CancelAsync();
            Assert.Equal(0, await run);
            Directory.Delete(dir, recursive: true);
            File.Delete(dir + ".kek.json");
        }
    }
}
