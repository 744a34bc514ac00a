using System.Text.Json;
using M2MSec.Device.Power;
using M2MSec.NetworkFunctions.MtcIwf;
using M2MSec.Tests.Support;

namespace M2MSec.Tests.Triggering;

/// <summary>
/// Issue 17, the CLI against the running roles: `trigger grant` (administrator), `trigger send` as the MTC server of `serve all`
/// (mtc-server.crt beside endpoints.json) with its exit codes 0/1/2/3/4, `device paging` (the TRE checks before any connection; the
/// battery kept in the device directory) and `device battery`.
/// </summary>
public sealed class TriggerCliTests(TriggerFleet fixture) : IClassFixture<TriggerFleet>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private async Task<string> EndpointsAsync(string? mtcIwf = null)
    {
        var file = Path.Combine(fixture.Fleet.DataDirectory, mtcIwf is null ? "endpoints.json" : "endpoints-down.json");
        await File.WriteAllTextAsync(file, JsonSerializer.Serialize(new Dictionary<string, string>
        {
            [MtcIwfFunction.RoleName] = mtcIwf ?? fixture.Fleet[MtcIwfFunction.RoleName].Address.ToString(),
            ["vno-device"] = fixture.Fleet["vno"].DeviceAddress!.ToString(),
        }), Ct);
        return file;
    }

    [Fact]
    public async Task TriggerSend_AsServeAllsMtcServer_ExitCodes_DevicePagingAndBattery()
    {
        var endpoints = await EndpointsAsync();
        var device = await fixture.TreDeviceAsync(Ct);
        var external = $"meter-{device.Imsi[^6..]}@mtc.example";

        // Not granted yet: refused (1), nothing forwarded.
        var (code, stdout, stderr) = await CliRunner.RunAsync("trigger", "send", "--endpoints", endpoints, "--device", external, "--dm-session");
        Assert.True(code == 1, stdout + stderr);
        (code, stdout, stderr) = await CliRunner.RunAsync("trigger", "grant", "--endpoints", endpoints, "--mtc-server", "mtc-server", "--device", external,
            "--imsi", device.Imsi, "--json");
        Assert.True(code == 0, stdout + stderr);
        Assert.Equal("cert:m2msec-admin", JsonDocument.Parse(stdout).RootElement.GetProperty("granted_by").GetString());

        (code, stdout, stderr) = await CliRunner.RunAsync("trigger", "send", "--endpoints", endpoints, "--device", external, "--payload", "AB01", "--json");
        Assert.True(code == 0, stdout + stderr);
        var sent = JsonDocument.Parse(stdout).RootElement;
        Assert.Equal(("paging", "application-data", "vno"), (sent.GetProperty("delivery").GetString(), sent.GetProperty("action").GetString(),
            sent.GetProperty("serving_node").GetString()));

        // The device at its paging occasion: the TRE checks, the battery is kept in its directory.
        var dir = device.Tre!.DataDirectory;
        (code, stdout, stderr) = await CliRunner.RunAsync("device", "paging", "--data", dir, "--fuse-dir", fixture.Fuses, "--endpoints", endpoints,
            "--imsi", device.Imsi, "--json");
        Assert.True(code == 0, stdout + stderr);
        var paged = JsonDocument.Parse(stdout).RootElement;
        Assert.Equal(["application-data:ab01"], paged.GetProperty("actions").EnumerateArray().Select(a => a.GetString()));
        Assert.Equal("00102", paged.GetProperty("attached_plmn").GetString());
        (code, stdout, stderr) = await CliRunner.RunAsync("device", "battery", "--data", dir, "--json");
        Assert.True(code == 0, stdout + stderr);
        var battery = JsonDocument.Parse(stdout).RootElement;
        Assert.Equal((1, 1, 1), (battery.GetProperty("wake_ups").GetInt64(), battery.GetProperty("paging_checks").GetInt64(),
            battery.GetProperty("connection_setups").GetInt64()));
        Assert.Contains("assumption", battery.GetProperty("source").GetString(), StringComparison.Ordinal);

        // Offline: handed over but only queued (3). The detach is MAC'd with the next uplink COUNT the TRE keeps — the one on disk, which
        // `device paging` moved forward with its acknowledgement (so the device is opened again).
        var reopened = M2MSec.Device.M2me.M2meDevice.Open(dir, fixture.Fuses);
        using (var vno = fixture.VnoDevice())
            await M2MSec.Device.Triggering.ServingNetworkClient.DetachAsync(vno, device.Imsi, new M2MSec.Device.Triggering.TreNasContextHolder(reopened.Tre), Ct);
        (code, stdout, stderr) = await CliRunner.RunAsync("trigger", "send", "--endpoints", endpoints, "--device", external, "--ota-job", "job-1");
        Assert.True(code == 3, stdout + stderr);
        Assert.Contains("queued", stdout, StringComparison.Ordinal);

        // Bad arguments (2): two actions, a malformed payload; an unreachable MTC-IWF (4).
        (code, _, stderr) = await CliRunner.RunAsync("trigger", "send", "--endpoints", endpoints, "--device", external, "--dm-session", "--payload", "00");
        Assert.Equal(2, code);
        Assert.Contains("--payload/--dm-session/--ota-job", stderr, StringComparison.Ordinal);
        (code, _, stderr) = await CliRunner.RunAsync("trigger", "send", "--endpoints", endpoints, "--device", external, "--payload", "0g");
        Assert.Equal(2, code);
        Assert.Contains("--payload", stderr, StringComparison.Ordinal);
        var down = await EndpointsAsync($"https://127.0.0.1:{LoopbackPort.Free()}/");
        (code, _, stderr) = await CliRunner.RunAsync("trigger", "send", "--endpoints", down, "--device", external, "--dm-session");
        Assert.True(code == 4, stderr);
    }

    /// <summary>Issue 17: `device paging --dm-server ID` names the option when the device has no DM account for ID (exit 2), and changes nothing.</summary>
    [Fact]
    public async Task DevicePaging_DmServerWithoutAccount_Exits2NamingTheOption()
    {
        var endpoints = await EndpointsAsync();
        var device = await fixture.TreDeviceAsync(Ct);
        var (code, stdout, stderr) = await CliRunner.RunAsync("device", "paging", "--data", device.Tre!.DataDirectory, "--fuse-dir", fixture.Fuses,
            "--endpoints", endpoints, "--imsi", device.Imsi, "--dm-server", "no-such-server");
        Assert.True(code == 2, stdout + stderr);
        Assert.Contains("--dm-server", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task DeviceBattery_ReadsTheDeviceDirectory_RefusesADirectoryWithoutDevice()
    {
        var device = await fixture.TreDeviceAsync(Ct, attach: false);
        var meter = new BatteryMeter();
        meter.Record(BatteryEvent.WakeUp);
        meter.Record(BatteryEvent.PagingCheck);
        meter.RecordSent(100);
        BatteryLog.Save(device.Tre!.DataDirectory, meter);
        var (code, stdout, stderr) = await CliRunner.RunAsync("device", "battery", "--data", device.Tre.DataDirectory);
        Assert.True(code == 0, stdout + stderr);
        Assert.Contains("bytes_sent", stdout, StringComparison.Ordinal);
        Assert.Contains("100", stdout, StringComparison.Ordinal);
        var empty = Directory.CreateTempSubdirectory("m2msec-nodev-").FullName;
        try
        {
            (code, _, stderr) = await CliRunner.RunAsync("device", "battery", "--data", empty);
            Assert.Equal(2, code);
            Assert.Contains("--data", stderr, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(empty, true);
        }
    }
}
