using Prometheus;

namespace M2MSec.NetworkFunctions.Hosting;

/// <summary>
/// Remote MCIM provisioning steps (TR 33.812 §5.1.3.5.3, the 21 steps of docs/provisioning.md) completed and failed at the
/// DRF, DPF, SHO and PVA (issue 20). The roles report the audit actions they append; <see cref="Steps"/> maps each to its
/// step and, for a failure, a bounded reason — one table, so the labels stay few and the names stay the audit log's.
/// </summary>
public sealed class ProvisioningMetrics
{
    /// <summary>Audit action → (steps of the table in docs/provisioning.md, null when completed or the failure's reason).</summary>
    private static readonly Dictionary<string, (string Step, string? Failure)> Steps = new(StringComparer.Ordinal)
    {
        ["drf.bootstrap.sent"] = ("7-10", null),
        ["drf.registration"] = ("12", null),
        ["dpf.m2mmobj.read"] = ("11", null),
        ["dpf.verdict"] = ("15", null),
        ["dpf.download.installed"] = ("18-20", null),
        ["dpf.download.failed"] = ("18-20", "install-failed"),
        ["dpf.status.reported"] = ("21", null),
        ["dpf.provisioning.failed"] = ("dpf", "provisioning-failed"),
        ["pva.validation.start"] = ("13", null),
        ["pva.validation.valid"] = ("14-15", null),
        ["pva.validation.invalid"] = ("14-15", "platform-invalid"),
        ["sho.registration"] = ("12", null),
        ["sho.verdict.refused"] = ("16-17", "verdict-refused"),
        ["sho.verdict.invalid"] = ("16-17", "verdict-invalid"),
        ["sho.mcim.sealed"] = ("16-17", null),
        ["sho.mcim.prepared-released"] = ("16-17", null),
        ["sho.subscription.active"] = ("21", null),
        ["sho.subscription.failed"] = ("21", "subscription-failed"),
    };

    private readonly NetworkFunctionMetrics _metrics;
    private readonly Counter _completed;
    private readonly Counter _failed;

    public ProvisioningMetrics(NetworkFunctionMetrics metrics)
    {
        _metrics = metrics ?? throw new ArgumentNullException(nameof(metrics));
        _completed = metrics.Factory.CreateCounter("m2msec_provisioning_steps_completed_total",
            "Remote MCIM provisioning steps completed here (TR 33.812 §5.1.3.5.3; step numbers of docs/provisioning.md).", ["step"]);
        _failed = metrics.Factory.CreateCounter("m2msec_provisioning_steps_failed_total",
            "Remote MCIM provisioning steps failed here, by reason.", ["step", "reason"]);
    }

    /// <summary>Counts (and logs) the audit action <paramref name="action"/> about <paramref name="pcid"/>, if it is a provisioning step.</summary>
    public void Audited(string action, string pcid)
    {
        if (!Steps.TryGetValue(action, out var step))
            return;
        if (step.Failure is null)
            _completed.WithLabels(step.Step).Inc();
        else
            _failed.WithLabels(step.Step, step.Failure).Inc();
        _metrics.Event(action, pcid, step.Failure ?? "completed");
    }
}
