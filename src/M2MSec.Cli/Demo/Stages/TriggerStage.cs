using System.Net.Http.Json;
using System.Security.Cryptography;
using M2MSec.Device.M2me;
using M2MSec.Device.Power;
using M2MSec.Device.Provisioning;
using M2MSec.Device.Triggering;
using M2MSec.Nas.Trigger;

namespace M2MSec.Cli.Demo.Stages;

/// <summary>
/// Issue 17, device triggering (docs/decisions/025–027): for a share of the provisioned TRE fleet, the administrator grants the MTC
/// server of `serve all` the device, the MTC server asks the MTC-IWF (mutual TLS, role mtc-server) for a DM-session trigger, the
/// MTC-IWF hands it to the VNO, which protects it with the device's NAS context and pages it; the TRE checks it before any
/// connection. Then a fake network floods the device with <see cref="Flood"/> triggers: the protected device drops each at the
/// paging check, while an unprotected one (the comparison) connects for each — the battery cost of both is counted in the events,
/// with decision 026's labelled assumptions.
/// </summary>
internal sealed class TriggerStage : IDemoStage
{
    public const int Flood = 10;
    public const string TriggeredEvent = "trigger-delivered";

    /// <summary>Every fourth provisioned TRE device (TRE-based devices have even indices).</summary>
    public bool AppliesTo(DemoDevice device) => device.Kind == M2meKind.Tre && device.Index % 4 == 0;

    public string Name => "Trigger (MTC-IWF)";

    public async Task<bool> RunAsync(DemoDevice device, DemoEnvironment environment, DemoReport report, CancellationToken cancellationToken)
    {
        if (device.ProvisionedImsi is not { } imsi || device.M2me is not { } m2me)
            return Fail(device, "no MCIM attached: nothing to trigger");
        var external = $"demo-{device.Index}@mtc.example";
        using (var grant = await environment.MtcIwfAdmin.PostAsJsonAsync("authorisations", new { mtc_server = "mtc-server", device = external, imsi }, cancellationToken))
        {
            if (!grant.IsSuccessStatusCode)
                return Fail(device, $"grant: MTC-IWF answered {(int)grant.StatusCode}");
        }
        var mtc = await environment.MtcServerAsync(cancellationToken);
        using (var sent = await mtc.PostAsJsonAsync("triggers", new { device = external, action = "dm-session" }, cancellationToken))
        {
            if (!sent.IsSuccessStatusCode)
                return Fail(device, $"trigger: MTC-IWF answered {(int)sent.StatusCode}");
        }
        var context = new TreNasContextHolder(m2me.Tre);
        var battery = new BatteryMeter();
        var actions = new RecordingTriggerActions();
        using (var vno = RoProvisioningClient.Client(environment.ProvisioningEndpoints.VnoDevice, environment.OperatorRoot))
        {
            var outcomes = await ServingNetworkClient.ReceiveAsync(vno, imsi, new TriggerReceiver(context, battery), actions, cancellationToken);
            // A retried stage may find its earlier trigger too: every one must verify, and a DM session be asked for.
            if (outcomes.Count == 0 || !outcomes.All(o => o.IsAccepted) || !actions.Done.Contains("dm-session"))
                return Fail(device, $"trigger: the device did not accept it ({string.Join(", ", outcomes.Select(o => o.Code))})");
        }
        report.Event(TriggeredEvent);

        // A fake network: other PLMNs, or the right one with a MAC under a key it does not have.
        var unprotected = new BatteryMeter();
        var protectedMeter = new BatteryMeter();
        var receiver = new TriggerReceiver(context, protectedMeter);
        var open = new TriggerReceiver(context, unprotected, @protected: false);
        for (var i = 0; i < Flood; i++)
        {
            var fake = ProtectedTrigger.Protect(RandomNumberGenerator.GetBytes(16), (uint)i,
                new TriggerIndication(i % 2 == 0 ? "00201" : "00102", (uint)i, TriggerAction.DmSession, ReadOnlyMemory<byte>.Empty));
            if (receiver.Receive(fake).IsAccepted)
                return Fail(device, "a fake trigger was accepted");
            open.Receive(fake);
        }
        var p = protectedMeter.Reading;
        var u = unprotected.Reading;
        if (p.ConnectionSetups != 0)
            return Fail(device, "a fake trigger cost a radio connection");
        // Per fake trigger (decision 026's assumptions, not measurements): protected vs unprotected.
        report.Event($"fake-trigger-protected-{p.ConsumedJoules * 1000 / Flood:0.#}mJ-each");
        report.Event($"fake-trigger-unprotected-{u.ConsumedJoules * 1000 / Flood:0.#}mJ-each");
        return true;
    }

    private static bool Fail(DemoDevice device, string reason)
    {
        device.FailureReason = reason;
        return false;
    }
}
