using M2MSec.NetworkFunctions.Hosting;
using Prometheus;

namespace M2MSec.NetworkFunctions.Ota;

/// <summary>
/// The OTA server's figures (issue 20): jobs by the state they reached (sent, done, verified, failed, triggered, resubmitted)
/// and Proofs of Receipt by their status (TS 102 225 §5.1.2 Response Status Code, e.g. por-ok, cntr-low).
/// </summary>
public sealed class OtaMetrics
{
    private readonly NetworkFunctionMetrics _metrics;
    private readonly Counter _jobs;
    private readonly Counter _pors;

    public OtaMetrics(NetworkFunctionMetrics metrics)
    {
        _metrics = metrics ?? throw new ArgumentNullException(nameof(metrics));
        _jobs = metrics.Factory.CreateCounter("m2msec_ota_jobs_total", "OTA jobs by the state they reached.", ["state"]);
        _pors = metrics.Factory.CreateCounter("m2msec_ota_por_total", "Proofs of Receipt accepted, by response status (TS 102 225 §5.1.2).", ["status"]);
    }

    /// <summary>A job of card <paramref name="iccid"/> reached <paramref name="state"/>.</summary>
    public void Job(string iccid, string state)
    {
        _jobs.WithLabels(state).Inc();
        _metrics.Event("ota.job", iccid, state);
    }

    /// <summary>A verified PoR from <paramref name="iccid"/> answered a job with <paramref name="status"/>.</summary>
    public void Por(string iccid, M2MSec.Ota.Scp80.PorStatus status)
    {
        var label = NetworkFunctionMetrics.Kebab(status.ToString());
        _pors.WithLabels(label).Inc();
        _metrics.Event("ota.por", iccid, label);
    }
}
