using Prometheus;

namespace M2MSec.NetworkFunctions.Hosting;

/// <summary>
/// Device-trigger checks (TS 23.682 §5.2, TS 33.187 §5.1; issue 20): at the MTC-IWF the MTC server's authorisation for the
/// device and the serving node's answer, at the VNO the NAS security context a trigger is protected under. Each passed, or
/// dropped with a bounded reason; the device goes in the event line only.
/// </summary>
public sealed class TriggerMetrics
{
    private readonly NetworkFunctionMetrics _metrics;
    private readonly Counter _passed;
    private readonly Counter _dropped;

    public TriggerMetrics(NetworkFunctionMetrics metrics)
    {
        _metrics = metrics ?? throw new ArgumentNullException(nameof(metrics));
        _passed = metrics.Factory.CreateCounter("m2msec_trigger_checks_passed_total", "Device-trigger checks passed, by check.", ["check"]);
        _dropped = metrics.Factory.CreateCounter("m2msec_trigger_checks_dropped_total", "Device triggers dropped, by check and reason.", ["check", "reason"]);
    }

    /// <summary>A trigger for <paramref name="device"/> passed <paramref name="check"/> (authorisation, delivery, nas-context).</summary>
    public void Passed(string check, string device)
    {
        _passed.WithLabels(check).Inc();
        _metrics.Event("trigger." + check, device, "passed");
    }

    /// <summary>A trigger for <paramref name="device"/> dropped at <paramref name="check"/> for <paramref name="reason"/> (a problem type).</summary>
    public void Dropped(string check, string device, string reason)
    {
        _dropped.WithLabels(check, reason).Inc();
        _metrics.Event("trigger." + check, device, "dropped: " + reason);
    }
}
