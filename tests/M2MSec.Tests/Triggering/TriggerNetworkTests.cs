using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using M2MSec.Device.M2me;
using M2MSec.Device.Power;
using M2MSec.Device.Triggering;
using M2MSec.Nas.Trigger;
using M2MSec.NetworkFunctions.MtcIwf;

namespace M2MSec.Tests.Triggering;

/// <summary>
/// Issue 17 end to end, through the real roles over loopback and mutual TLS: an MTC server (mtc-server certificate) asks the
/// MTC-IWF, which checks its grant and hands the trigger to the VNO, which protects it with the device's EPS NAS context (K_NASint,
/// the next downlink COUNT) and delivers it by the §5.1.1 case; the device checks it (PLMN, COUNT, MAC) before any connection and
/// acts on it. The threats: an MTC server without a grant, a forged caller, a fake network, a wrong MAC, a replay.
/// </summary>
public sealed class TriggerNetworkTests(TriggerFleet fixture) : IClassFixture<TriggerFleet>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static async Task<JsonElement> TriggerAsync(HttpClient mtc, object body, HttpStatusCode expected)
    {
        using var response = await mtc.PostAsJsonAsync("triggers", body, Ct);
        var text = await response.Content.ReadAsStringAsync(Ct);
        Assert.True(expected == response.StatusCode, $"{(int)response.StatusCode}: {text}");
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    private async Task<(TriggerDevice Device, string External, HttpClient Mtc)> GrantedAsync(TriggerDevice device, string server = "mtc-a")
    {
        var external = $"sensor-{device.Imsi[^6..]}@mtc.example";
        await fixture.GrantAsync(server, external, device.Imsi, Ct);
        return (device, external, await fixture.MtcServerAsync(server, Ct));
    }

    /// <summary>§5.1.1 offline: the device detached; the trigger is queued; the device attaches again (a new context) and receives it re-protected.</summary>
    [Fact]
    public async Task OfflineDevice_TriggerQueued_DeliveredAfterItsNextAttach_StartsDmSession()
    {
        var (device, external, mtc) = await GrantedAsync(await fixture.TreDeviceAsync(Ct));
        using (mtc)
        {
            using (var vno = fixture.VnoDevice())
                await ServingNetworkClient.DetachAsync(vno, device.Imsi, device.Context, Ct);
            var accepted = await TriggerAsync(mtc, new { device = external, action = "dm-session" }, HttpStatusCode.Accepted);
            Assert.Equal("queued", accepted.GetProperty("delivery").GetString());

            await device.AttachAsync(Ct);
            var outcomes = await device.ReceiveAsync(Ct);
            var o = Assert.Single(outcomes);
            Assert.True(o.IsAccepted, o.Detail);
            Assert.Equal(("dm-session", (uint)accepted.GetProperty("reference").GetInt64()), (o.Action, o.Reference!.Value));
            Assert.Equal(["dm-session"], device.Actions.Done);
            Assert.Equal((1L, 1L, 1L), (device.Battery.Reading.WakeUps, device.Battery.Reading.PagingChecks, device.Battery.Reading.ConnectionSetups));
            // Acknowledged: the paging channel no longer offers it.
            Assert.Empty(await device.ReceiveAsync(Ct));
        }
    }

    /// <summary>§5.1.1 online without a data connection: paged, checked at the paging occasion, then the device connects for its OTA job.</summary>
    [Fact]
    public async Task IdleDevice_TriggerPaged_DeviceWakesChecksAndConnects_ForOtaJob()
    {
        var (device, external, mtc) = await GrantedAsync(await fixture.TreDeviceAsync(Ct));
        using (mtc)
        {
            var accepted = await TriggerAsync(mtc, new { device = external, action = "ota-job", ota_job = "job-7" }, HttpStatusCode.Accepted);
            Assert.Equal("paging", accepted.GetProperty("delivery").GetString());
            var o = Assert.Single(await device.ReceiveAsync(Ct));
            Assert.True(o.IsAccepted, o.Detail);
            Assert.Equal(["ota-job:job-7"], device.Actions.Done);
            Assert.Equal((1L, 1L, 1L), (device.Battery.Reading.WakeUps, device.Battery.Reading.PagingChecks, device.Battery.Reading.ConnectionSetups));
            // The TRE keeps the accepted COUNT sealed: a reboot still knows it.
            Assert.Equal(0u, M2meDevice.Open(device.Tre!.DataDirectory, fixture.Fuses).Tre.NasContext!.LastDownlinkCount);
        }
    }

    /// <summary>§5.1.1 online with a data connection: delivered directly, checked all the same, no wake-up, paging check or set-up.</summary>
    [Fact]
    public async Task ConnectedUiccDevice_TriggerDirect_PayloadToApplication_MeContextSurvivesRestart()
    {
        var (device, external, mtc) = await GrantedAsync(await fixture.UiccDeviceAsync(Ct));
        using (mtc)
        {
            using (var vno = fixture.VnoDevice())
                await ServingNetworkClient.DataSessionAsync(vno, device.Imsi, open: true, device.Context, Ct);
            var accepted = await TriggerAsync(mtc, new { device = external, action = "application-data", payload = "c0ffee" }, HttpStatusCode.Accepted);
            Assert.Equal("direct", accepted.GetProperty("delivery").GetString());
            var o = Assert.Single(await device.ReceiveAsync(Ct));
            Assert.True(o.IsAccepted, o.Detail);
            Assert.Equal(["application-data:c0ffee"], device.Actions.Done);
            Assert.Equal((0L, 0L, 0L), (device.Battery.Reading.WakeUps, device.Battery.Reading.PagingChecks, device.Battery.Reading.ConnectionSetups));
            var reloaded = new MeNasContextHolder(Path.Combine(device.MeDirectory!, MeNasContextHolder.FileName));
            Assert.Equal(("00102", (uint?)0u), (reloaded.AttachedPlmn, reloaded.LastDownlinkCount));
        }
    }

    /// <summary>An MTC server without a grant for the device is refused (403) and nothing reaches the VNO: no COUNT taken, nothing paged.</summary>
    [Fact]
    public async Task MtcServerWithoutGrant_Refused_NothingForwarded_UnauthorisedMtcServerThreat()
    {
        var (device, external, granted) = await GrantedAsync(await fixture.TreDeviceAsync(Ct));
        granted.Dispose();
        using var other = await fixture.MtcServerAsync("mtc-b", Ct);
        var problem = await TriggerAsync(other, new { device = external, action = "dm-session" }, HttpStatusCode.Forbidden);
        Assert.Equal("urn:m2msec:error:not-authorised", problem.GetProperty("type").GetString());
        Assert.StartsWith("device:", problem.GetProperty("detail").GetString());
        // A device nobody granted: the same answer (no hint whether it exists).
        problem = await TriggerAsync(other, new { device = "nobody@mtc.example", action = "dm-session" }, HttpStatusCode.Forbidden);
        Assert.Equal("urn:m2msec:error:not-authorised", problem.GetProperty("type").GetString());
        Assert.Empty(await device.ReceiveAsync(Ct));
        Assert.Null(device.Context.LastDownlinkCount);
        // The VNO's store: COUNT 0 still next — nothing was protected for it.
        var store = (M2MSec.Storage.IStateStore)fixture.Fleet["vno"].Services.GetService(typeof(M2MSec.Storage.IStateStore))!;
        Assert.Equal(0u, (await store.Vno.FindContextAsync(device.Imsi, Ct))!.NextDownlinkCount);
    }

    /// <summary>
    /// The caller is who its certificate says, never a field: a network function certificate of another role named like the granted
    /// MTC server, and the administrator, are refused at the MTC-IWF; an MTC server cannot go around the MTC-IWF to the VNO.
    /// </summary>
    [Fact]
    public async Task CallerWithoutMtcServerRole_OrBypassingTheMtcIwf_Refused_ForgedCallerThreat()
    {
        var (device, external, mtc) = await GrantedAsync(await fixture.TreDeviceAsync(Ct));
        using (mtc)
        {
            using var forged = await fixture.Fleet.ClientAsAsync("vno", MtcIwfFunction.RoleName, TimeSpan.FromSeconds(30), Ct, "mtc-a");
            var problem = await TriggerAsync(forged, new { device = external, action = "dm-session", mtc_server = "mtc-a" }, HttpStatusCode.Forbidden);
            Assert.Equal("urn:m2msec:error:role-not-entitled", problem.GetProperty("type").GetString());
            using var admin = fixture.Fleet.AdminClient(MtcIwfFunction.RoleName, TimeSpan.FromSeconds(30));
            await TriggerAsync(admin, new { device = external, action = "dm-session" }, HttpStatusCode.Forbidden);

            using var direct = await fixture.Fleet.ClientAsAsync("mtc-server", "vno", TimeSpan.FromSeconds(30), Ct, "mtc-a");
            problem = await TriggerAsync(direct, new { identity = device.Imsi, reference = 1, action = "dm-session" }, HttpStatusCode.Forbidden);
            Assert.Equal("urn:m2msec:error:role-not-entitled", problem.GetProperty("type").GetString());
            Assert.Empty(await device.ReceiveAsync(Ct));
        }
    }

    /// <summary>
    /// A fake network's triggers — another PLMN, or the right PLMN with a MAC under a key it guessed — are dropped at the paging check:
    /// each costs a wake-up and a paging check, never a connection, and the stored COUNT does not move; the unprotected device of the
    /// comparison connects for every one. Then a genuine trigger still gets through.
    /// </summary>
    [Fact]
    public async Task FakeNetworkTriggers_DroppedBeforeRadioSetUp_BatteryCostShown_FakeTriggerThreat()
    {
        var (device, external, mtc) = await GrantedAsync(await fixture.TreDeviceAsync(Ct));
        using (mtc)
        {
            const int Flood = 200;
            var fakes = Enumerable.Range(0, Flood).Select(i => ProtectedTrigger.Protect(RandomNumberGenerator.GetBytes(16), (uint)i,
                new TriggerIndication(i % 2 == 0 ? "00201" : "00102", (uint)i, TriggerAction.DmSession, ReadOnlyMemory<byte>.Empty))).ToList();
            var codes = new List<string>();
            foreach (var fake in fakes)
                codes.Add((await ServingNetworkClient.HandleAsync(device.Receiver, device.Actions, fake, "paging", Ct)).Outcome.Code);
            Assert.Equal(Flood / 2, codes.Count(c => c == TriggerVerification.WrongNetwork));
            Assert.Equal(Flood / 2, codes.Count(c => c == TriggerVerification.BadMac));
            var protectedReading = device.Battery.Reading;
            Assert.Equal((Flood, Flood, 0L), (protectedReading.WakeUps, protectedReading.PagingChecks, protectedReading.ConnectionSetups));
            Assert.Empty(device.Actions.Done);
            Assert.Null(device.Context.LastDownlinkCount);

            var unprotectedBattery = new BatteryMeter();
            var unprotected = new TriggerReceiver(device.Context, unprotectedBattery, @protected: false);
            foreach (var fake in fakes)
                unprotected.Receive(fake);
            Assert.Equal(Flood, unprotectedBattery.Reading.ConnectionSetups);
            // The figures (decision 026's labelled assumptions): ~1.5 mJ per fake protected, ~400 mJ unprotected.
            Assert.True(unprotectedBattery.Reading.ConsumedJoules > 100 * protectedReading.ConsumedJoules);
            Assert.Contains("assumption", protectedReading.Source, StringComparison.Ordinal);

            await TriggerAsync(mtc, new { device = external, action = "dm-session" }, HttpStatusCode.Accepted);
            Assert.True(Assert.Single(await device.ReceiveAsync(Ct)).IsAccepted);
            Assert.Equal(1, device.Battery.Reading.ConnectionSetups);
        }
    }

    /// <summary>
    /// A genuine trigger recorded off the air and sent again (by a fake base station, or after the device restarted) is refused as
    /// replayed at the paging check: no connection, no action — the TRE's sealed COUNT survives the reboot.
    /// </summary>
    [Fact]
    public async Task ReplayedTrigger_RefusedAtPagingCheck_EvenAfterDeviceRestart_ReplayedTriggerThreat()
    {
        var (device, external, mtc) = await GrantedAsync(await fixture.TreDeviceAsync(Ct));
        using (mtc)
        {
            await TriggerAsync(mtc, new { device = external, action = "application-data", payload = "01" }, HttpStatusCode.Accepted);
            byte[] recorded;
            using (var vno = fixture.VnoDevice())
            {
                var paging = await vno.GetFromJsonAsync<JsonElement>($"paging/{device.Imsi}", Ct);
                recorded = Convert.FromHexString(paging.GetProperty("triggers")[0].GetProperty("message").GetString()!);
            }
            Assert.True(Assert.Single(await device.ReceiveAsync(Ct)).IsAccepted);
            var before = device.Battery.Reading;

            var replay = await ServingNetworkClient.HandleAsync(device.Receiver, device.Actions, recorded, "paging", Ct);
            Assert.Equal(TriggerVerification.Replayed, replay.Outcome.Code);
            var rebooted = M2meDevice.Open(device.Tre!.DataDirectory, fixture.Fuses);
            device.Context = new TreNasContextHolder(rebooted.Tre);
            replay = await ServingNetworkClient.HandleAsync(device.Receiver, device.Actions, recorded, "paging", Ct);
            Assert.Equal(TriggerVerification.Replayed, replay.Outcome.Code);

            Assert.Equal(["application-data:01"], device.Actions.Done);
            var after = device.Battery.Reading;
            Assert.Equal((before.ConnectionSetups, before.WakeUps + 2, before.PagingChecks + 2), (after.ConnectionSetups, after.WakeUps, after.PagingChecks));
        }
    }

    /// <summary>
    /// Issue 17: the grant endpoints are the administrator's only — an MTC server (or a network function) certificate cannot grant
    /// itself a device, list or revoke grants; a malformed MTC server or device in the revoke path is named (400), nothing removed.
    /// </summary>
    [Fact]
    public async Task GrantEndpoints_RefuseOtherRoles_RevokePathFieldsValidated_UnauthorisedMtcServerThreat()
    {
        var (_, external, mtc) = await GrantedAsync(await fixture.TreDeviceAsync(Ct));
        using (mtc)
        {
            using var server = await fixture.MtcServerAsync("mtc-a", Ct);
            using var nf = await fixture.Fleet.ClientAsAsync("vno", MtcIwfFunction.RoleName, TimeSpan.FromSeconds(30), Ct);
            foreach (var caller in new[] { server, nf })
            {
                using (var post = await caller.PostAsJsonAsync("authorisations", new { mtc_server = "mtc-a", device = "other@x", imsi = "001010000000001" }, Ct))
                    Assert.Equal(HttpStatusCode.Forbidden, post.StatusCode);
                using (var list = await caller.GetAsync("authorisations", Ct))
                    Assert.Equal(HttpStatusCode.Forbidden, list.StatusCode);
                using (var revoke = await caller.DeleteAsync($"authorisations/mtc-a/{Uri.EscapeDataString(external)}", Ct))
                    Assert.Equal(HttpStatusCode.Forbidden, revoke.StatusCode);
            }
            using var admin = fixture.Fleet.AdminClient(MtcIwfFunction.RoleName, TimeSpan.FromSeconds(30));
            foreach (var (path, field) in new[] { ("authorisations/a%20b/" + Uri.EscapeDataString(external), "mtc_server"), ("authorisations/mtc-a/a%20b", "device") })
            {
                using var bad = await admin.DeleteAsync(path, Ct);
                Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
                Assert.StartsWith(field, (await bad.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("detail").GetString());
            }
            // The grant is still there: the refused calls changed nothing.
            var grants = await admin.GetStringAsync("authorisations", Ct);
            Assert.Contains(external, grants, StringComparison.Ordinal);
        }
    }

    /// <summary>Every field of the new endpoints, malformed: 400 with an RFC 9457 body whose detail names the field, and nothing changes.</summary>
    [Theory]
    [InlineData("mtc-iwf", "triggers", """{"device":"","action":"dm-session"}""", "device")]
    [InlineData("mtc-iwf", "triggers", """{"device":"a b","action":"dm-session"}""", "device")]
    [InlineData("mtc-iwf", "triggers", """{"device":"s@x","action":"reboot"}""", "action")]
    [InlineData("mtc-iwf", "triggers", """{"device":"s@x","action":"application-data","payload":"xyz"}""", "payload")]
    [InlineData("mtc-iwf", "triggers", """{"device":"s@x","action":"dm-session","payload":"00"}""", "payload")]
    [InlineData("mtc-iwf", "triggers", """{"device":"s@x","action":"ota-job"}""", "ota_job")]
    [InlineData("mtc-iwf", "triggers", """{"device":"s@x","action":"dm-session","ota_job":"j"}""", "ota_job")]
    [InlineData("mtc-iwf", "authorisations", """{"mtc_server":"","device":"s@x","imsi":"001010000000001"}""", "mtc_server")]
    [InlineData("mtc-iwf", "authorisations", """{"mtc_server":"m","device":"s@x/..","imsi":"001010000000001"}""", "device")]
    [InlineData("mtc-iwf", "authorisations", """{"mtc_server":"m","device":"s@x","imsi":"12ab"}""", "imsi")]
    [InlineData("vno", "triggers", """{"identity":"x","reference":1,"action":"dm-session"}""", "identity")]
    [InlineData("vno", "triggers", """{"identity":"001010000000001","reference":-1,"action":"dm-session"}""", "reference")]
    [InlineData("vno", "triggers", """{"identity":"001010000000001","reference":4294967296,"action":"dm-session"}""", "reference")]
    [InlineData("vno", "triggers", """{"identity":"001010000000001","reference":1,"action":"x"}""", "action")]
    [InlineData("vno", "triggers", """{"identity":"001010000000001","reference":1,"action":"application-data","payload":"0"}""", "payload")]
    [InlineData("vno", "triggers", """{"identity":"001010000000001","reference":1,"action":"ota-job"}""", "payload")]
    [InlineData("vno-device", "detach", """{"identity":"abc"}""", "identity")]
    [InlineData("vno-device", "data-session", """{"identity":"abc","open":true}""", "identity")]
    [InlineData("vno-device", "data-session", """{"identity":"001010000000001"}""", "open")]
    [InlineData("vno-device", "paging/001010000000001/ack", """{"count":16777216}""", "count")]
    [InlineData("vno-device", "paging/001010000000001/ack", """{}""", "count")]
    [InlineData("vno-device", "paging/12x/ack", """{"count":1}""", "identity")]
    public async Task MalformedField_Answers400NamingIt(string target, string path, string body, string field)
    {
        using var client = target switch
        {
            "mtc-iwf" when path == "triggers" => await fixture.MtcServerAsync("mtc-a", Ct),
            "mtc-iwf" => fixture.Fleet.AdminClient(MtcIwfFunction.RoleName, TimeSpan.FromSeconds(30)),
            "vno" => await fixture.Fleet.ClientAsAsync(MtcIwfFunction.RoleName, "vno", TimeSpan.FromSeconds(30), Ct),
            _ => fixture.VnoDevice(),
        };
        using var response = await client.PostAsync(path, new StringContent(body, System.Text.Encoding.UTF8, "application/json"), Ct);
        var text = await response.Content.ReadAsStringAsync(Ct);
        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{(int)response.StatusCode}: {text}");
        Assert.StartsWith(field, JsonDocument.Parse(text).RootElement.GetProperty("detail").GetString());
    }

    /// <summary>The paging channel and the OpenAPI documents: a malformed IMSI is named; the MTC-IWF and the VNO document the new operations.</summary>
    [Fact]
    public async Task PagingMalformedIdentity_400_AndOpenApiDocumentsTheTriggerOperations()
    {
        using (var vno = fixture.VnoDevice())
        {
            using var response = await vno.GetAsync("paging/12x", Ct);
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            Assert.StartsWith("identity", (await response.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("detail").GetString());
        }
        using var admin = fixture.Fleet.AdminClient(MtcIwfFunction.RoleName, TimeSpan.FromSeconds(30));
        var doc = await admin.GetStringAsync("openapi/v1.json", Ct);
        Assert.Contains("\"/triggers\"", doc, StringComparison.Ordinal);
        Assert.Contains("\"/authorisations\"", doc, StringComparison.Ordinal);
        Assert.Contains("triggerDevice", doc, StringComparison.Ordinal);
        using var vnoAdmin = fixture.Fleet.AdminClient("vno", TimeSpan.FromSeconds(30));
        var vnoDoc = await vnoAdmin.GetStringAsync("openapi/v1.json", Ct);
        Assert.Contains("protectTrigger", vnoDoc, StringComparison.Ordinal);
        Assert.Contains("\"/paging/{identity}\"", vnoDoc, StringComparison.Ordinal);
        // The grant operations and the groups' (issue 17, decision 028), the device listener's included.
        Assert.All(["grantTrigger", "listTriggerGrants", "revokeTriggerGrant"], name => Assert.Contains(name, doc, StringComparison.Ordinal));
        Assert.All(["createGroup", "sendGroupMessage", "groupKeyDeliveries", "groupMessages", "groupKeyAck"], name => Assert.Contains(name, vnoDoc, StringComparison.Ordinal));
    }
}
