using System.Security.Cryptography;
using M2MSec.Device.Power;
using M2MSec.Device.Triggering;
using M2MSec.Nas.Trigger;

namespace M2MSec.Cli.Demo.Stages;

/// <summary>
/// Issue 17 (seed 002 §5.1.2, docs/decisions/025–026): a fake network floods each triggered device with <see cref="Flood"/> triggers —
/// other PLMNs, or the right PLMN with a MAC under a key it guessed. The protected device (its TRE checks PLMN and MAC) drops each at the
/// paging check; the unprotected device of the comparison connects for each. The report's battery table (and <c>--json</c>'s
/// <c>battery</c>) shows the cost per fake trigger of both, under decision 026's labelled assumptions.
/// </summary>
internal sealed class FakeTriggerFloodStage : IDemoStage
{
    public const int Flood = 10;

    public string Name => "Fake triggers (battery)";

    /// <summary>The devices the trigger stage woke.</summary>
    public bool AppliesTo(DemoDevice device) => new TriggerStage().AppliesTo(device);

    public Task<bool> RunAsync(DemoDevice device, DemoEnvironment environment, DemoReport report, CancellationToken cancellationToken)
    {
        if (device.M2me is not { } m2me)
            return Task.FromResult(Fail(device, "no TRE"));
        var context = new TreNasContextHolder(m2me.Tre);
        var protectedMeter = new BatteryMeter();
        var unprotected = new BatteryMeter();
        var receiver = new TriggerReceiver(context, protectedMeter);
        var open = new TriggerReceiver(context, unprotected, @protected: false);
        var before = context.LastDownlinkCount;
        for (var i = 0; i < Flood; i++)
        {
            var fake = ProtectedTrigger.Protect(RandomNumberGenerator.GetBytes(16), (uint)i,
                new TriggerIndication(i % 2 == 0 ? "00201" : context.AttachedPlmn, (uint)i, TriggerAction.DmSession, ReadOnlyMemory<byte>.Empty));
            if (receiver.Receive(fake).IsAccepted)
                return Task.FromResult(Fail(device, "a fake trigger was accepted"));
            open.Receive(fake);
        }
        var p = protectedMeter.Reading;
        if (p.ConnectionSetups != 0 || context.LastDownlinkCount != before)
            return Task.FromResult(Fail(device, "a fake trigger cost a radio connection or moved the COUNT"));
        report.Findings.FakeTriggerFlood(Flood, p, unprotected.Reading);
        return Task.FromResult(true);
    }

    private static bool Fail(DemoDevice device, string reason)
    {
        device.FailureReason = reason;
        return false;
    }
}
