using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using M2MSec.NetworkFunctions.Hosting;
using M2MSec.NetworkFunctions.Ota;
using M2MSec.NetworkFunctions.Smsc;
using M2MSec.Storage.InMemory;
using M2MSec.Tests.Support;

namespace M2MSec.Tests.Cli;

/// <summary>
/// Issue 14 item 9: `ota job add|show`, the OTA server's jobs API from the CLI (as `dm job` is), against an OTA server
/// and SMSC running in the test on loopback; the server's refusals are one line and exit 2, an absent server exit 4.
/// </summary>
public sealed class OtaJobCliTests : IAsyncLifetime
{
    private const string Iccid = "8988211000000000601";
    private readonly string _dir = Directory.CreateTempSubdirectory("m2msec-otajob-").FullName;
    private NetworkFunctionHost _smsc = null!;
    private NetworkFunctionHost _ota = null!;

    public async ValueTask InitializeAsync()
    {
        _smsc = await NetworkFunctionHost.StartAsync(new SmscFunction(), Path.Combine(_dir, "smsc"), new InMemoryStateStore());
        _ota = await NetworkFunctionHost.StartAsync(new OtaServerFunction(new OtaServerOptions(_smsc.Address)), Path.Combine(_dir, "ota"), new InMemoryStateStore());
        using var api = new HttpClient { BaseAddress = _ota.Address };
        using var r = await api.PostAsJsonAsync("cards", new AddCardRequest(Iccid, "12", "12", Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16)),
            Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16))), NetworkFunctionHost.JsonOptions);
        Assert.Equal(HttpStatusCode.Created, r.StatusCode);
    }

    public async ValueTask DisposeAsync()
    {
        await _ota.DisposeAsync();
        await _smsc.DisposeAsync();
        Directory.Delete(_dir, true);
    }

    [Fact]
    public async Task OtaJobAdd_ThenShow_ThroughTheServersJobsApi_TextAndJson_Item9()
    {
        var server = _ota.Address.ToString();
        var added = await CliRunner.RunAsync("ota", "job", "add", "--server", server, "--iccid", Iccid, "--tar", "b00001", "--apdus", "00a40004023f00", "--json");
        Assert.True(added.ExitCode == 0, added.Stderr);
        var job = JsonDocument.Parse(added.Stdout).RootElement;
        var id = job.GetProperty("id").GetString()!;
        Assert.Equal(Iccid, job.GetProperty("iccid").GetString());

        var shown = await CliRunner.RunAsync("ota", "job", "show", "--server", server, "--id", id, "--json");
        Assert.True(shown.ExitCode == 0, shown.Stderr);
        Assert.Equal(id, JsonDocument.Parse(shown.Stdout).RootElement.GetProperty("id").GetString());
        var text = await CliRunner.RunAsync("ota", "job", "show", "--server", server, "--id", id);
        Assert.Equal(0, text.ExitCode);
        Assert.Equal(id, OtaCliTests.Field(text.Stdout, "id"));

        var nas = await CliRunner.RunAsync("ota", "job", "add", "--server", server, "--iccid", Iccid, "--tar", "b00001", "--nas", "NAS_SignallingPriority=1", "--json");
        Assert.True(nas.ExitCode == 0, nas.Stderr);

        var unknown = await CliRunner.RunAsync("ota", "job", "show", "--server", server, "--id", "nope");
        Assert.Equal(2, unknown.ExitCode);
        Assert.Single(unknown.Stderr.Trim().Split('\n'));
        Assert.StartsWith("--server:", unknown.Stderr, StringComparison.Ordinal);
        Assert.Equal(2, (await CliRunner.RunAsync("ota", "job", "add", "--server", server, "--iccid", "8988211000000000999", "--tar", "b00001", "--apdus", "00")).ExitCode);
        Assert.Equal(2, (await CliRunner.RunAsync("ota", "job", "add", "--server", server, "--iccid", Iccid, "--tar", "b00001")).ExitCode); // neither --apdus nor --nas
        Assert.Equal(4, (await CliRunner.RunAsync("ota", "job", "show", "--server", $"http://127.0.0.1:{LoopbackPort.Free()}/", "--id", id)).ExitCode);
    }
}
