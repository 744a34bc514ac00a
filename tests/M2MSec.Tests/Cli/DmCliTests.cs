using System.Text.Json;
using M2MSec.Tests.Support;

namespace M2MSec.Tests.Cli;

/// <summary>`m2msec dm account add` and `dm job add|show`: the operators' contract (options, JSON names, exit codes).</summary>
public sealed class DmCliTests : IDisposable
{
    private readonly string _dir = TestKeyRing.TempDirectory("m2msec-dmcli-");

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private Task<(int ExitCode, string Stdout, string Stderr)> Dm(params string[] args) =>
        CliRunner.RunAsync(["dm", .. args, "--data", Path.Combine(_dir, "dm"), "--kek-file", Path.Combine(_dir, "kek.json")]);

    [Fact]
    public async Task AccountJobShow_KeepCommandOrder_AndPasswordsAreNotInTheDatabase()
    {
        var added = await Dm("account", "add", "--dev-id", "DMCtest", "--server-id", "funambol", "--client-user", "funambol",
            "--client-password", "funambol", "--server-password", "srvpwd", "--client-auth", "basic", "--server-auth", "md5");
        Assert.True(added.ExitCode == 0, added.Stderr);
        Assert.Equal(2, (await Dm("account", "add", "--dev-id", "DMCtest", "--server-id", "x", "--client-user", "y",
            "--client-password", "12345678", "--server-password", "12345678")).ExitCode);

        var job = await Dm("job", "add", "--dev-id", "DMCtest", "--replace", "./NASConfig/NAS_SignallingPriority=1",
            "--get", "./NASConfig/NAS_SignallingPriority", "--add", "./DevInfo/Ext/node", "--add", "./DevInfo/Ext/leaf=v=w", "--exec", "./Ops/Reboot", "--delete", "./DevInfo/Ext/node");
        Assert.True(job.ExitCode == 0, job.Stderr);

        var show = await Dm("job", "show", "--dev-id", "DMCtest", "--json");
        Assert.Equal(0, show.ExitCode);
        var root = JsonDocument.Parse(show.Stdout).RootElement;
        Assert.Equal("DMCtest", root.GetProperty("dev_id").GetString());
        var commands = root.GetProperty("jobs")[0].GetProperty("commands").EnumerateArray().ToList();
        Assert.Equal(["replace", "get", "add", "add", "exec", "delete"], commands.Select(c => c.GetProperty("verb").GetString()));
        Assert.Equal("1", commands[0].GetProperty("value").GetString());
        Assert.Equal(JsonValueKind.Null, commands[2].GetProperty("value").ValueKind);
        Assert.Equal("v=w", commands[3].GetProperty("value").GetString());
        Assert.All(commands, c => Assert.Equal(JsonValueKind.Null, c.GetProperty("status").ValueKind));
        Assert.Equal([1, 2, 3, 4, 5, 6], commands.Select(c => c.GetProperty("seq").GetInt32()));

        var db = await File.ReadAllBytesAsync(Path.Combine(_dir, "dm", "m2msec.db"), TestContext.Current.CancellationToken);
        Assert.Equal(-1, db.AsSpan().IndexOf("srvpwd"u8));
        Assert.Equal(-1, db.AsSpan().IndexOf("funambol:"u8));
    }

    /// <summary>
    /// Issue 13 item 2 (and 12): a job whose session expired shows why and what each command became; `dm job retry`
    /// queues exactly the commands the device never acknowledged, by job or by device; bad input is exit 2.
    /// </summary>
    [Fact]
    public async Task JobRetry_QueuesTheUnacknowledgedCommands_OfASessionExpiredJob_ShowSaysWhy()
    {
        Assert.Equal(0, (await Dm("account", "add", "--dev-id", "d1", "--server-id", "s", "--client-user", "u",
            "--client-password", "12345678", "--server-password", "12345678")).ExitCode);
        Assert.Equal(0, (await Dm("job", "add", "--dev-id", "d1", "--replace", "./A=1", "--replace", "./B=2", "--get", "./C")).ExitCode);
        var id = JsonDocument.Parse((await Dm("job", "show", "--dev-id", "d1", "--json")).Stdout).RootElement.GetProperty("jobs")[0].GetProperty("id").GetString()!;
        Assert.Equal(2, (await Dm("job", "retry", "--job", id)).ExitCode); // queued, not failed
        await using (var store = await new M2MSec.NetworkFunctions.Hosting.StoreOptions(Path.Combine(_dir, "dm"), Path.Combine(_dir, "kek.json")).OpenAsync())
        {
            // What the DM server does when the device goes silent after the first message (DmSessionSecurityTests).
            Assert.True(await store.Dm.SetJobStateAsync(id, "running", ["queued"]));
            await store.Dm.MarkSentAsync(id, [1, 2]);
            Assert.True(await store.Dm.RecordResultAsync(id, 1, 200, null));
            Assert.True(await store.Dm.FailJobAsync(id, "session-expired", ["running"]));
        }
        var show = JsonDocument.Parse((await Dm("job", "show", "--dev-id", "d1", "--json")).Stdout).RootElement.GetProperty("jobs")[0];
        Assert.Equal("failed", show.GetProperty("state").GetString());
        Assert.Equal("session-expired", show.GetProperty("reason").GetString());
        Assert.Equal(["acknowledged", "unknown", "not-sent"], show.GetProperty("commands").EnumerateArray().Select(c => c.GetProperty("delivery").GetString()));
        Assert.Contains("session-expired", (await Dm("job", "show", "--dev-id", "d1")).Stdout, StringComparison.Ordinal);

        var retry = await Dm("job", "retry", "--dev-id", "d1");
        Assert.True(retry.ExitCode == 0, retry.Stderr);
        var jobs = JsonDocument.Parse((await Dm("job", "show", "--dev-id", "d1", "--json")).Stdout).RootElement.GetProperty("jobs").EnumerateArray().ToList();
        var again = Assert.Single(jobs, j => j.GetProperty("state").GetString() == "queued");
        Assert.Equal(["./B", "./C"], again.GetProperty("commands").EnumerateArray().Select(c => c.GetProperty("uri").GetString()));
        Assert.Equal([1, 2], again.GetProperty("commands").EnumerateArray().Select(c => c.GetProperty("seq").GetInt32()));

        var missing = await Dm("job", "retry", "--job", "dm-nope");
        Assert.Equal(2, missing.ExitCode);
        Assert.StartsWith("--job:", missing.Stderr, StringComparison.Ordinal);
        Assert.Equal(2, (await Dm("job", "retry")).ExitCode);
    }

    [Theory]
    [InlineData("--replace", "./a")]
    [InlineData("--get", "../etc/passwd")]
    [InlineData("--get", "./a//b")]
    [InlineData("--get", "NASConfig")]
    public async Task BadCommand_Exit2_OneLine_NothingQueued(string option, string value)
    {
        Assert.Equal(0, (await Dm("account", "add", "--dev-id", "d1", "--server-id", "s", "--client-user", "u",
            "--client-password", "12345678", "--server-password", "12345678")).ExitCode);
        var bad = await Dm("job", "add", "--dev-id", "d1", "--get", "./ok", option, value);
        Assert.Equal(2, bad.ExitCode);
        Assert.StartsWith(option + ":", bad.Stderr, StringComparison.Ordinal);
        Assert.Single(bad.Stderr.Trim().Split('\n'));
        var show = await Dm("job", "show", "--dev-id", "d1", "--json");
        Assert.Empty(JsonDocument.Parse(show.Stdout).RootElement.GetProperty("jobs").EnumerateArray());
    }

    [Fact]
    public async Task JobForUnknownDevice_AndBadAccountOptions_Exit2()
    {
        Assert.Equal(2, (await Dm("job", "add", "--dev-id", "ghost", "--get", "./DevInfo/Mod")).ExitCode);
        Assert.Equal(2, (await Dm("job", "add", "--dev-id", "ghost")).ExitCode);
        var auth = await Dm("account", "add", "--dev-id", "d", "--server-id", "s", "--client-user", "u", "--client-password", "12345678",
            "--server-password", "12345678", "--server-auth", "basic");
        Assert.Equal(2, auth.ExitCode);
        Assert.StartsWith("--server-auth: expected md5, hmac", auth.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task JobAddNas_ChecksTheNasModel_QueuesForEveryDevice_WithReadBack()
    {
        foreach (var d in new[] { "d1", "d2" })
        {
            Assert.Equal(0, (await Dm("account", "add", "--dev-id", d, "--server-id", "s", "--client-user", "u",
                "--client-password", "12345678", "--server-password", "12345678")).ExitCode);
        }
        var added = await Dm("job", "add", "--dev-id", "d1", "--dev-id", "d2", "--nas", "NAS_SignallingPriority=1", "--nas", "MinimumPeriodicSearchTimer=60");
        Assert.True(added.ExitCode == 0, added.Stderr);
        foreach (var d in new[] { "d1", "d2" })
        {
            var commands = JsonDocument.Parse((await Dm("job", "show", "--dev-id", d, "--json")).Stdout).RootElement.GetProperty("jobs")[0].GetProperty("commands")
                .EnumerateArray().Select(c => (c.GetProperty("verb").GetString(), c.GetProperty("uri").GetString())).ToList();
            Assert.Equal([("replace", "./NASConfig/NAS_SignallingPriority"), ("replace", "./NASConfig/MinimumPeriodicSearchTimer"),
                ("get", "./NASConfig/NAS_SignallingPriority"), ("get", "./NASConfig/MinimumPeriodicSearchTimer")], commands);
        }

        foreach (var bad in new[] { "NAS_SignallingPriority=9", "Bogus=1", "NoEquals" })
        {
            var r = await Dm("job", "add", "--dev-id", "d1", "--nas", bad);
            Assert.Equal(2, r.ExitCode);
            Assert.StartsWith("--nas:", r.Stderr, StringComparison.Ordinal);
        }
        // One device without an account: nothing is queued for any.
        Assert.Equal(2, (await Dm("job", "add", "--dev-id", "d1", "--dev-id", "ghost", "--nas", "AttachWithIMSI=1")).ExitCode);
        Assert.Single(JsonDocument.Parse((await Dm("job", "show", "--dev-id", "d1", "--json")).Stdout).RootElement.GetProperty("jobs").EnumerateArray());
    }
}
