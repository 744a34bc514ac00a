using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using M2MSec.Device.Triggering;
using M2MSec.Nas.Trigger;
using M2MSec.Storage;

namespace M2MSec.Tests.Triggering;

/// <summary>
/// Issue 17, authenticated device state reports (docs/decisions/027): detach, data-session set-up/release and the paging acknowledgement
/// are uplink NAS messages MAC'd under the device's own K_NASint with the next uplink COUNT; the VNO verifies them, refuses a replay
/// (the COUNT it accepted is stored durably, atomically) and a report made under another device's context, and audits each refusal —
/// so a forged detach can no longer make triggers queue, nor a forged acknowledgement drop a waiting trigger.
/// </summary>
public sealed class DeviceReportTests(TriggerFleet fixture) : IClassFixture<TriggerFleet>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private IStateStore VnoStore => (IStateStore)fixture.Fleet["vno"].Services.GetService(typeof(IStateStore))!;

    private async Task<(HttpStatusCode Status, string? Type)> PostAsync(string path, object body)
    {
        using var vno = fixture.VnoDevice();
        using var response = await vno.PostAsJsonAsync(path, body, Ct);
        var text = await response.Content.ReadAsStringAsync(Ct);
        return (response.StatusCode, response.IsSuccessStatusCode || text.Length == 0 ? null : JsonDocument.Parse(text).RootElement.GetProperty("type").GetString());
    }

    private async Task<string> StateAsync(string imsi) => (await VnoStore.Vno.FindContextAsync(imsi, Ct))!.State;

    [Fact]
    public async Task ForgedDetach_MacUnderAGuessedKey_OrNoMac_Refused403_StateUnchanged_Audited_ForgedStateReportThreat()
    {
        var device = await fixture.TreDeviceAsync(Ct);
        var forged = DeviceReportProtection.Protect(RandomNumberGenerator.GetBytes(16), 0, new DeviceReport(DeviceReportKind.Detach, 0));

        var (status, type) = await PostAsync("detach", new { identity = device.Imsi, nas = Convert.ToHexStringLower(forged) });
        Assert.Equal((HttpStatusCode.Forbidden, "urn:m2msec:error:report-not-authenticated"), (status, type));
        (status, type) = await PostAsync("detach", new { identity = device.Imsi });
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("idle", await StateAsync(device.Imsi));
        Assert.Contains(await VnoStore.Audit.ReadAsync(cancellationToken: Ct), e => e.Action == "vno.report.refused" && e.Subject == device.Imsi);

        // The device's own detach verifies.
        using (var vno = fixture.VnoDevice())
            await ServingNetworkClient.DetachAsync(vno, device.Imsi, device.Context, Ct);
        Assert.Equal("offline", await StateAsync(device.Imsi));
    }

    [Fact]
    public async Task ReplayedReport_Refused_TheAcceptedUplinkCountIsStored_AndTheMeKeepsItsCountAcrossARestart_ReplayedStateReportThreat()
    {
        var device = await fixture.UiccDeviceAsync(Ct);
        var open = device.Context.ProtectReport(new DeviceReport(DeviceReportKind.DataSessionOpen, 0));
        Assert.Equal(HttpStatusCode.OK, (await PostAsync("data-session", new { identity = device.Imsi, open = true, nas = Convert.ToHexStringLower(open) })).Status);
        Assert.Equal(0u, (await VnoStore.Vno.FindUplinkAsync(device.Imsi, Ct))!.LastUplinkCount);
        using (var vno = fixture.VnoDevice())
            await ServingNetworkClient.DataSessionAsync(vno, device.Imsi, open: false, device.Context, Ct);
        Assert.Equal("idle", await StateAsync(device.Imsi));

        // The recorded "open" again: refused, the state stays idle.
        var (status, type) = await PostAsync("data-session", new { identity = device.Imsi, open = true, nas = Convert.ToHexStringLower(open) });
        Assert.Equal((HttpStatusCode.Forbidden, "urn:m2msec:error:report-not-authenticated"), (status, type));
        Assert.Equal("idle", await StateAsync(device.Imsi));
        Assert.Contains(await VnoStore.Audit.ReadAsync(cancellationToken: Ct), e => e.Action == "vno.report.refused" && (e.Detail ?? "").Contains("replayed", StringComparison.Ordinal));

        // The ME restarts: its stored context continues above the COUNTs it used (2), so its next report is accepted.
        var restarted = new MeNasContextHolder(Path.Combine(device.MeDirectory!, MeNasContextHolder.FileName));
        using (var vno = fixture.VnoDevice())
            await ServingNetworkClient.DataSessionAsync(vno, device.Imsi, open: true, restarted, Ct);
        Assert.Equal(("connected", 2u), (await StateAsync(device.Imsi), (await VnoStore.Vno.FindUplinkAsync(device.Imsi, Ct))!.LastUplinkCount!.Value));
    }

    [Fact]
    public async Task ReportOfOneDevice_SentForAnother_OrOfAnotherKind_Refused_OtherDeviceReportThreat()
    {
        var a = await fixture.TreDeviceAsync(Ct);
        var b = await fixture.UiccDeviceAsync(Ct);
        var aDetach = a.Context.ProtectReport(new DeviceReport(DeviceReportKind.Detach, 0));

        Assert.Equal(HttpStatusCode.Forbidden, (await PostAsync("detach", new { identity = b.Imsi, nas = Convert.ToHexStringLower(aDetach) })).Status);
        Assert.Equal("idle", await StateAsync(b.Imsi));
        // A's detach presented as a data-session report of A: the kind is under the MAC.
        Assert.Equal(HttpStatusCode.Forbidden, (await PostAsync("data-session", new { identity = a.Imsi, open = true, nas = Convert.ToHexStringLower(aDetach) })).Status);
        Assert.Equal("idle", await StateAsync(a.Imsi));
    }

    [Fact]
    public async Task ForgedPagingAck_DoesNotDropAWaitingTrigger_ForgedAcknowledgementThreat()
    {
        var device = await fixture.TreDeviceAsync(Ct);
        var external = $"ack-{device.Imsi[^6..]}@mtc.example";
        await fixture.GrantAsync("mtc-r", external, device.Imsi, Ct);
        using (var mtc = await fixture.MtcServerAsync("mtc-r", Ct))
        using (var sent = await mtc.PostAsJsonAsync("triggers", new { device = external, action = "dm-session" }, Ct))
            Assert.Equal(HttpStatusCode.Accepted, sent.StatusCode);
        var forged = DeviceReportProtection.Protect(RandomNumberGenerator.GetBytes(16), 0, new DeviceReport(DeviceReportKind.PagingAck, 0xFFFFFF));

        var (status, _) = await PostAsync($"paging/{device.Imsi}/ack", new { count = 0xFFFFFF, nas = Convert.ToHexStringLower(forged) });

        Assert.Equal(HttpStatusCode.Forbidden, status);
        Assert.Single(await VnoStore.Vno.PendingTriggersAsync(device.Imsi, Ct));
        // The device's own acknowledgement (after checking the trigger) drops it, and its bytes count on the battery (decision 026).
        var o = Assert.Single(await device.ReceiveAsync(Ct));
        Assert.True(o.IsAccepted);
        Assert.Empty(await VnoStore.Vno.PendingTriggersAsync(device.Imsi, Ct));
        Assert.True(device.Battery.Reading.BytesSent > DeviceReportProtection.Length * 2);
    }

    /// <summary>The codec: a report verifies once, at the next COUNT; its replay, another key, a flipped bit or a wrong header do not.</summary>
    [Fact]
    public async Task BatteryFigure_ReadByAdministratorsOnly_FieldsRefusedAsProblems_InOpenApi_UnauthorisedBatteryReadThreat()
    {
        // Issue 20 (decision 033): the device's report (kind 5) through the device listener, read back at GET /battery/{imsi}.
        var device = await fixture.UiccDeviceAsync(Ct);
        var report = device.Context.ProtectReport(new DeviceReport(DeviceReportKind.Battery, 420));
        Assert.Equal(HttpStatusCode.NoContent, (await PostAsync("battery", new { identity = device.Imsi, level_permille = 420, nas = Convert.ToHexStringLower(report) })).Status);
        using var admin = fixture.Fleet.AdminClient("vno", TimeSpan.FromSeconds(30));
        var figure = await admin.GetFromJsonAsync<JsonElement>($"battery/{device.Imsi}", Ct);
        Assert.Equal(420, figure.GetProperty("level_permille").GetInt32());

        // Another role's certificate (a network function, an MTC server) reads nothing: 403.
        foreach (var role in new[] { "hss", "mtc-server" })
        {
            using var other = await fixture.Fleet.ClientAsAsync(role, "vno", TimeSpan.FromSeconds(30), Ct);
            using var refused = await other.GetAsync($"battery/{device.Imsi}", Ct);
            Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        }

        // Bad fields: RFC 9457 problem documents naming the field, nothing stored.
        foreach (var (body, type) in new (object Body, string Type)[]
        {
            (new { identity = "0010x", level_permille = 1, nas = Convert.ToHexStringLower(report) }, "bad-identity"),
            (new { identity = device.Imsi, level_permille = -1, nas = Convert.ToHexStringLower(report) }, "bad-level-permille"),
            (new { identity = device.Imsi, level_permille = 1, nas = "00" }, "bad-nas"),
        })
        {
            using var vno = fixture.VnoDevice();
            using var response = await vno.PostAsJsonAsync("battery", body, Ct);
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            Assert.Equal("urn:m2msec:error:" + type, (await response.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("type").GetString());
        }
        using (var bad = await admin.GetAsync("battery/not-an-imsi", Ct))
            Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Equal(420, (await VnoStore.Vno.FindBatteryAsync(device.Imsi, Ct))!.LevelPermille);

        var doc = await admin.GetStringAsync("openapi/v1.json", Ct);
        Assert.All(["batteryReport", "getBattery", "\"/battery/{identity}\""], name => Assert.Contains(name, doc, StringComparison.Ordinal));
    }

    [Fact]
    public void DeviceReportProtection_VerifiesOnce_RefusesReplayOtherKeyAndTampering_ReplayedStateReportThreat()
    {
        var key = RandomNumberGenerator.GetBytes(16);
        var report = new DeviceReport(DeviceReportKind.PagingAck, 7);
        var m0 = DeviceReportProtection.Protect(key, 0, report);
        var first = DeviceReportProtection.Verify(key, null, m0);
        Assert.Equal((DeviceReportVerification.Accepted, 0u), (first.Code, first.Count));
        Assert.Equal(report, first.Report);
        Assert.Equal(DeviceReportVerification.Replayed, DeviceReportProtection.Verify(key, 0, m0).Code);
        Assert.Equal(DeviceReportVerification.BadMac, DeviceReportProtection.Verify(RandomNumberGenerator.GetBytes(16), null, m0).Code);
        var tampered = (byte[])m0.Clone();
        tampered[^1] ^= 1;
        Assert.Equal(DeviceReportVerification.BadMac, DeviceReportProtection.Verify(key, null, tampered).Code);
        Assert.Equal(DeviceReportVerification.Malformed, DeviceReportProtection.Verify(key, null, m0.AsSpan(1)).Code);
        // Across the 8-bit SQN wrap: COUNT 0x100 after 0xFF.
        var m256 = DeviceReportProtection.Protect(key, 0x100, report);
        Assert.Equal((DeviceReportVerification.Accepted, 0x100u), (DeviceReportProtection.Verify(key, 0xFF, m256).Code, DeviceReportProtection.Verify(key, 0xFF, m256).Count));
    }
}
