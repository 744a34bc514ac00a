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
        TestKeyRing.CreateIn(Path.GetTempPath(), Path.GetFileName(dir) + ".kek.json");
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
            // Issue 20 (docs/decisions/032): the web console beside them, HTTPS only — listed and its login token printed, not with --no-tls.
            Assert.Equal(!noTls, map.ContainsKey("console"));
            Assert.Equal(!noTls, output.ToString().Contains("console login token: ", StringComparison.Ordinal));
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
            File.Delete(dir + ".kek.stores.json");
        }
    }

    /// <summary>Issue 14 item 12: `serve ROLE --help` shows that role's options, not every role's; `serve ROLE …` works as before.</summary>
    [Fact]
    public async Task ServeRoleHelp_ShowsThatRolesOptionsOnly_AndServeRoleSyntaxStillParses()
    {
        var hss = await CliRunner.RunAsync("serve", "hss", "--help");
        Assert.Equal(0, hss.ExitCode);
        Assert.Contains("--admin-subject", hss.Stdout, StringComparison.Ordinal);
        Assert.Contains("--trust-root", hss.Stdout, StringComparison.Ordinal);
        foreach (var other in new[] { "--session-idle", "--allow-plain-http-sessions", "--no-tls", "--admin-urls", "--smsc " })
            Assert.DoesNotContain(other, hss.Stdout, StringComparison.Ordinal);
        var dm = await CliRunner.RunAsync("serve", "dm", "--help");
        Assert.Equal(0, dm.ExitCode);
        Assert.Contains("--session-idle", dm.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("--admin-subject", dm.Stdout, StringComparison.Ordinal);
        var all = await CliRunner.RunAsync("serve", "all", "--help");
        Assert.Contains("--no-tls", all.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("--urls", all.Stdout, StringComparison.Ordinal);

        // The old syntax's checks stand: a dm option on hss, an unknown role, --urls on all.
        var misplaced = await CliRunner.RunAsync("serve", "hss", "--session-idle", "30");
        Assert.Equal(2, misplaced.ExitCode);
        Assert.Contains("--allow-plain-http-sessions/--session-idle: only for dm", misplaced.Stderr, StringComparison.Ordinal);
        var unknown = await CliRunner.RunAsync("serve", "hlr");
        Assert.Equal(2, unknown.ExitCode);
        Assert.Contains("ROLE: expected one of", unknown.Stderr, StringComparison.Ordinal);
        var urls = await CliRunner.RunAsync("serve", "all", "--urls", "http://127.0.0.1:1");
        Assert.Equal(2, urls.ExitCode);
        Assert.Contains("--urls: not accepted with ROLE 'all'", urls.Stderr, StringComparison.Ordinal);
    }
}
