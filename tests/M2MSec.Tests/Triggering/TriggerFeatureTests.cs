using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using M2MSec.Storage;

namespace M2MSec.Tests.Triggering;

/// <summary>
/// Issue 17, network access control by MTC feature (TR 33.868 clause 4, docs/decisions/028): the serving network refuses a trigger
/// for a subscription without the "triggering" feature, whoever asks — even an MTC server the MTC-IWF has granted the device — with
/// a typed problem, audited at the VNO and the MTC-IWF, and no NAS COUNT taken; once the operator sets the feature it goes through.
/// </summary>
public sealed class TriggerFeatureTests(TriggerFleet fixture) : IClassFixture<TriggerFleet>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task SubscriptionWithoutTriggering_Refused403FeatureNotSubscribed_Audited_NoCountTaken_FeatureAccessControlThreat()
    {
        var device = await fixture.TreDeviceAsync(Ct, triggering: false);
        var external = $"nofeature-{device.Imsi[^6..]}@mtc.example";
        await fixture.GrantAsync("mtc-f", external, device.Imsi, Ct);
        using var mtc = await fixture.MtcServerAsync("mtc-f", Ct);

        using (var response = await mtc.PostAsJsonAsync("triggers", new { device = external, action = "dm-session" }, Ct))
        {
            Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
            var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct)).RootElement;
            Assert.Equal("urn:m2msec:error:feature-not-subscribed", problem.GetProperty("type").GetString());
            Assert.StartsWith("device:", problem.GetProperty("detail").GetString());
        }
        var vnoStore = (IStateStore)fixture.Fleet["vno"].Services.GetService(typeof(IStateStore))!;
        Assert.Equal(0u, (await vnoStore.Vno.FindContextAsync(device.Imsi, Ct))!.NextDownlinkCount);
        Assert.Empty(await device.ReceiveAsync(Ct));
        Assert.Contains(await vnoStore.Audit.ReadAsync(cancellationToken: Ct), e => e.Action == "vno.trigger.refused" && e.Subject == device.Imsi);
        var iwfStore = (IStateStore)fixture.Fleet["mtc-iwf"].Services.GetService(typeof(IStateStore))!;
        Assert.Contains(await iwfStore.Audit.ReadAsync(cancellationToken: Ct), e => e.Action == "mtciwf.trigger.refused" && e.Subject == external);

        // The operator gives the subscription the feature: the same trigger now goes through and verifies on the device.
        using (var admin = fixture.Fleet.AdminClient("vno", TimeSpan.FromSeconds(30)))
        using (var set = await admin.PutAsJsonAsync($"subscribers/{device.Imsi}/mtc-features", new { features = new[] { "triggering" } }, Ct))
            Assert.True(set.IsSuccessStatusCode);
        using (var response = await mtc.PostAsJsonAsync("triggers", new { device = external, action = "dm-session" }, Ct))
            Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.True(Assert.Single(await device.ReceiveAsync(Ct)).IsAccepted);
    }
}
