using System.Text.Json;
using M2MSec.Device.Dm;
using M2MSec.Dm.Auth;
using M2MSec.Dm.Notification;
using M2MSec.NetworkFunctions.Hosting;
using M2MSec.NetworkFunctions.Smsc;
using M2MSec.Storage.InMemory;
using M2MSec.Tests.Support;

namespace M2MSec.Tests.Cli;

/// <summary>`m2msec dm notify` and `dm job add --verify`: options, JSON names, exit codes; the notification verifies with the account.</summary>
public sealed class DmNotifyCliTests : IDisposable
{
    private readonly string _dir = TestKeyRing.TempDirectory("m2msec-dmnotify-");

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private Task<(int ExitCode, string Stdout, string Stderr)> Dm(params string[] args) =>
        CliRunner.RunAsync(["dm", .. args, "--data", Path.Combine(_dir, "dm"), "--kek-file", Path.Combine(_dir, "kek.json")]);

    private async Task AccountAsync() => Assert.Equal(0, (await Dm("account", "add", "--dev-id", "dev-1", "--server-id", "m2msec-dm", "--client-user", "dev-1",
        "--client-password", "client-secret", "--server-password", "server-secret")).ExitCode);

    [Fact]
    public async Task Notify_Json_Package0VerifiesWithTheServerPassword_AndTheTpdusCarryIt()
    {
        await AccountAsync();
        var r = await Dm("notify", "--dev-id", "dev-1", "--ui-mode", "informative", "--json");
        Assert.True(r.ExitCode == 0, r.Stderr);
        var root = JsonDocument.Parse(r.Stdout).RootElement;
        Assert.Equal("m2msec-dm", root.GetProperty("server_id").GetString());
        Assert.Equal("informative", root.GetProperty("ui_mode").GetString());
        Assert.Equal("dev-1", root.GetProperty("to").GetString());
        Assert.False(root.GetProperty("submitted").GetBoolean());
        var package0 = Convert.FromHexString(root.GetProperty("package0").GetString()!);
        // First contact: the device has not given the server a nonce yet (empty nonce).
        Assert.True(DmNotificationCodec.VerifyDigest(package0, new DmCredentials("m2msec-dm", "server-secret"u8.ToArray()), DmNonce.Empty));
        Assert.True(DmNotificationCodec.TryDecode(package0, out var n, out _));
        Assert.Equal(DmUiMode.Informative, n.UiMode);
        Assert.Equal(root.GetProperty("session_id").GetString(), n.SyncMlSessionId);
        var tpdus = root.GetProperty("tpdus").EnumerateArray().Select(t => Convert.FromHexString(t.GetString()!)).ToList();
        Assert.Equal(package0, DmPushReceiver.Package0(tpdus, out _));
    }

    [Fact]
    public async Task Notify_SubmitsToTheSmsc()
    {
        await AccountAsync();
        await using var smsc = await NetworkFunctionHost.StartAsync(new SmscFunction(), Path.Combine(_dir, "smsc"), new InMemoryStateStore(), "http://127.0.0.1:0");
        var r = await Dm("notify", "--dev-id", "dev-1", "--smsc", smsc.Address.ToString(), "--to", "491700000001");
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Contains("submitted to 491700000001 in 1 SMS", r.Stdout, StringComparison.Ordinal);
        using var http = new HttpClient { BaseAddress = smsc.Address };
        var delivered = Assert.Single(await new SmscClient(http).DeliverAsync("491700000001", 1, TestContext.Current.CancellationToken));
        Assert.NotNull(DmPushReceiver.Package0([.. delivered.Tpdus!.Select(Convert.FromHexString)], out _));
    }

    [Theory]
    [InlineData("--dev-id", "ghost")]
    [InlineData("--ui-mode", "loud")]
    [InlineData("--from", "+49")]
    [InlineData("--smsc", "not a url")]
    [InlineData("--cert", "a.pem")]
    public async Task Notify_BadArguments_Exit2_OneLine(string option, string value)
    {
        await AccountAsync();
        string[] args = option == "--dev-id" ? ["notify", option, value] : ["notify", "--dev-id", "dev-1", option, value];
        var r = await Dm(args);
        Assert.Equal(2, r.ExitCode);
        Assert.Single(r.Stderr.Trim().Split('\n'));
        Assert.StartsWith(option == "--cert" ? "--cert/--key/--trust-root" : option, r.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task JobAddVerify_QueuesTheReadBack_AndShowReportsIt()
    {
        await AccountAsync();
        Assert.Equal(0, (await Dm("job", "add", "--dev-id", "dev-1", "--replace", "./NASConfig/NAS_SignallingPriority=1", "--replace", "./NASConfig/AttachWithIMSI=0", "--verify")).ExitCode);
        var show = JsonDocument.Parse((await Dm("job", "show", "--dev-id", "dev-1", "--json")).Stdout).RootElement;
        var commands = show.GetProperty("jobs")[0].GetProperty("commands").EnumerateArray().ToList();
        Assert.Equal(["replace", "replace", "get", "get"], commands.Select(c => c.GetProperty("verb").GetString()));
        Assert.Equal("./NASConfig/AttachWithIMSI", commands[3].GetProperty("uri").GetString());
        Assert.All(commands, c => Assert.Equal(JsonValueKind.Null, c.GetProperty("verified").ValueKind)); // nothing ran yet
    }
}
