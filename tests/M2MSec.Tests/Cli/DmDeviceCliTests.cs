using System.Text.Json;
using M2MSec.Dm.SyncMl;
using M2MSec.NetworkFunctions.Dm;
using M2MSec.NetworkFunctions.Hosting;
using M2MSec.Storage.Dm;
using M2MSec.Tests.Dm.SyncMl;
using M2MSec.Tests.Support;

namespace M2MSec.Tests.Cli;

/// <summary>
/// Issue 13 item 11: `m2msec dm device show` gives what the device reported (the real client's package 1 DevInfo, a Generic
/// Alert) and its last session, as JSON (snake_case) and as text with device-controlled characters escaped; an unknown
/// DevId is exit 2 naming --dev-id. Issue 13 item 10: `dm job show` says an overwritten write was superseded, not DIFFERS.
/// </summary>
public sealed class DmDeviceCliTests : IDisposable
{
    private readonly string _dir = TestKeyRing.TempDirectory("m2msec-dmdevcli-");

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Data => Path.Combine(_dir, "dm");

    private string Kek => Path.Combine(_dir, "kek.json");

    private Task<(int ExitCode, string Stdout, string Stderr)> Dm(params string[] args) =>
        CliRunner.RunAsync(["dm", .. args, "--data", Data, "--kek-file", Kek]);

    /// <summary>An account for libdmclient's test device, and its recorded package 1 (with a Generic Alert added) through the server engine on that store.</summary>
    private async Task<DateTimeOffset> SeedAsync()
    {
        var added = await Dm("account", "add", "--dev-id", "DMCtest", "--server-id", "funambol", "--client-user", "funambol",
            "--client-password", "funambol", "--server-password", "srvpwd", "--client-auth", "basic");
        Assert.True(added.ExitCode == 0, added.Stderr);
        var ct = TestContext.Current.CancellationToken;
        await using var state = await new StoreOptions(Data, Kek).OpenAsync(cancellationToken: ct);
        var engine = new DmSessionEngine(state.Dm, "http://127.0.0.1:8080/funambol/dm", TimeProvider.System, new DmSessionOptions { AllowPlainHttpSessions = true });
        var package1 = SyncMlXml.Parse(SyncMlVectors.Body("session_basic/01_client_to_server.xml"));
        package1 = package1 with
        {
            Commands =
            [
                .. package1.Commands,
                new AlertCommand
                {
                    CmdId = "3", Data = "1226", Correlator = "c-7",
                    Items = [new SyncMlItem { Source = new("./FwUpdate/1"), Meta = new SyncMlMeta { Type = "org.openmobilealliance.dm.firmwareupdate.update", Format = "int", Mark = "critical" }, Data = "410\u001b[31m" }],
                },
            ],
        };
        var reply = (await engine.HandleAsync(package1, null, default, ct)).Message;
        Assert.Equal("212", reply.Commands.OfType<StatusCommand>().First().Data);
        var at = new DateTimeOffset(2026, 12, 3, 7, 30, 0, TimeSpan.Zero);
        await state.Dm.RecordSessionAsync("DMCtest", at, DmSessionOutcomes.Completed, ct);
        return at;
    }

    [Fact]
    public async Task DeviceShow_Json_GivesDevInfoGenericAlertsAndLastSession_SnakeCase()
    {
        var at = await SeedAsync();
        var show = await Dm("device", "show", "--dev-id", "DMCtest", "--json");
        Assert.True(show.ExitCode == 0, show.Stderr);
        var root = JsonDocument.Parse(show.Stdout).RootElement;
        Assert.Equal("DMCtest", root.GetProperty("dev_id").GetString());
        var info = root.GetProperty("dev_info").EnumerateArray().ToDictionary(i => i.GetProperty("uri").GetString()!, i => i.GetProperty("value").GetString());
        Assert.Equal("test manufacturer", info["./DevInfo/Man"]);
        Assert.Equal("test model", info["./DevInfo/Mod"]);
        Assert.Equal("DMCtest", info["./DevInfo/DevId"]);
        var alert = Assert.Single(root.GetProperty("generic_alerts").EnumerateArray().ToList());
        Assert.Equal("./FwUpdate/1", alert.GetProperty("source").GetString());
        Assert.Equal("org.openmobilealliance.dm.firmwareupdate.update", alert.GetProperty("type").GetString());
        Assert.Equal("int", alert.GetProperty("format").GetString());
        Assert.Equal("critical", alert.GetProperty("mark").GetString());
        Assert.Equal("c-7", alert.GetProperty("correlator").GetString());
        Assert.Equal("410\u001b[31m", alert.GetProperty("data").GetString());
        Assert.DoesNotContain('\u001b', show.Stdout); // escaped in JSON
        Assert.True(alert.TryGetProperty("received_at", out _));
        var session = root.GetProperty("last_session");
        Assert.Equal(at, session.GetProperty("at").GetDateTimeOffset());
        Assert.Equal("completed", session.GetProperty("outcome").GetString());
    }

    [Fact]
    public async Task DeviceShow_Text_ShowsTheSame_WithDeviceControlCharactersEscaped()
    {
        await SeedAsync();
        var show = await Dm("device", "show", "--dev-id", "DMCtest");
        Assert.True(show.ExitCode == 0, show.Stderr);
        Assert.Contains("./DevInfo/Man = test manufacturer", show.Stdout, StringComparison.Ordinal);
        Assert.Contains("last session  2026-12-03T07:30:00.0000000+00:00 completed", show.Stdout, StringComparison.Ordinal);
        Assert.Contains("source ./FwUpdate/1  type org.openmobilealliance.dm.firmwareupdate.update  format int  mark critical  correlator c-7  data 410\\u001b[31m",
            show.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain('\u001b', show.Stdout);
    }

    [Fact]
    public async Task DeviceShow_AccountWithNothingReported_SaysSo()
    {
        Assert.Equal(0, (await Dm("account", "add", "--dev-id", "quiet", "--server-id", "s", "--client-user", "u",
            "--client-password", "12345678", "--server-password", "12345678")).ExitCode);
        var json = JsonDocument.Parse((await Dm("device", "show", "--dev-id", "quiet", "--json")).Stdout).RootElement;
        Assert.Empty(json.GetProperty("dev_info").EnumerateArray());
        Assert.Empty(json.GetProperty("generic_alerts").EnumerateArray());
        Assert.Equal(JsonValueKind.Null, json.GetProperty("last_session").ValueKind);
        Assert.Contains("last session  none", (await Dm("device", "show", "--dev-id", "quiet")).Stdout, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--json")]
    [InlineData(null)]
    public async Task DeviceShow_UnknownDevId_Exit2_OneLineNamingDevId(string? json)
    {
        Assert.Equal(0, (await Dm("account", "add", "--dev-id", "known", "--server-id", "s", "--client-user", "u",
            "--client-password", "12345678", "--server-password", "12345678")).ExitCode);
        var r = await Dm(["device", "show", "--dev-id", "ghost", .. json is null ? Array.Empty<string>() : [json]]);
        Assert.Equal(2, r.ExitCode);
        Assert.StartsWith("--dev-id:", r.Stderr, StringComparison.Ordinal);
        Assert.Single(r.Stderr.Trim().Split('\n'));
        Assert.Equal("", r.Stdout);
        Assert.Equal(2, (await Dm("device", "show")).ExitCode); // --dev-id required
    }

    [Fact]
    public async Task JobShow_AnOverwrittenWrite_IsSupersededByTheLaterOne_NotDiffers()
    {
        Assert.Equal(0, (await Dm("account", "add", "--dev-id", "d1", "--server-id", "s", "--client-user", "u",
            "--client-password", "12345678", "--server-password", "12345678")).ExitCode);
        var ct = TestContext.Current.CancellationToken;
        await using (var state = await new StoreOptions(Data, Kek).OpenAsync(cancellationToken: ct))
        {
            var now = DateTimeOffset.UtcNow;
            // --add ./Ext/X=hello --replace ./Ext/X=world --verify, after a session where the device did exactly that.
            await state.Dm.AddJobAsync(new DmJobRecord("j1", "d1", "done", now, now,
            [
                new("j1", 1, "add", "./Ext/X", "hello", 200, null),
                new("j1", 2, "replace", "./Ext/X", "world", 200, null),
                new("j1", 3, "get", "./Ext/X", null, 200, "world"),
            ]), ct);
        }
        var text = await Dm("job", "show", "--dev-id", "d1");
        Assert.DoesNotContain("DIFFERS", text.Stdout, StringComparison.Ordinal);
        Assert.Contains("hello  status 200  read back: superseded by 2", text.Stdout, StringComparison.Ordinal);
        Assert.Contains("world  status 200  read back: equal", text.Stdout, StringComparison.Ordinal);
        var commands = JsonDocument.Parse((await Dm("job", "show", "--dev-id", "d1", "--json")).Stdout).RootElement.GetProperty("jobs")[0].GetProperty("commands");
        Assert.Equal(JsonValueKind.Null, commands[0].GetProperty("verified").ValueKind);
        Assert.Equal(2, commands[0].GetProperty("superseded_by").GetInt32());
        Assert.True(commands[1].GetProperty("verified").GetBoolean());
    }
}
