using M2MSec.NetworkFunctions.Hosting;
using Prometheus;

namespace M2MSec.NetworkFunctions.Hss;

/// <summary>
/// The AuC's figures at the HSS and at the ICF (issue 20): authentication vectors issued (TS 33.102 §6.3.2) and
/// re-synchronisations (§6.3.5) by outcome. The role label tells the two apart.
/// </summary>
public sealed class AkaMetrics
{
    private readonly NetworkFunctionMetrics _metrics;
    private readonly Counter _issued;
    private readonly Counter _requests;
    private readonly Counter _resyncs;
    private readonly Lazy<Counter> _subscribers;

    public AkaMetrics(NetworkFunctionMetrics metrics)
    {
        _metrics = metrics ?? throw new ArgumentNullException(nameof(metrics));
        _issued = metrics.Factory.CreateCounter("m2msec_aka_vectors_issued_total", "Authentication vectors issued (TS 33.102 §6.3.2).");
        _requests = metrics.Factory.CreateCounter("m2msec_aka_vector_requests_total", "Authentication data requests by outcome.", ["outcome"]);
        _resyncs = metrics.Factory.CreateCounter("m2msec_aka_resynchronisations_total",
            "Re-synchronisations from AUTS (TS 33.102 §6.3.5) by outcome: done, mac-failure, unknown-subscriber.", ["outcome"]);
        // Created at the first registration: the ICF (whose credentials come from the CCIF) shows no such series.
        _subscribers = new(() => metrics.Factory.CreateCounter("m2msec_hss_subscribers_added_total", "Subscribers (or PCIDs) registered with K and OPc."));
    }

    /// <summary>A subscriber registered (its IMSI logged; K and OPc never reach this class).</summary>
    public void SubscriberAdded(string imsi)
    {
        _subscribers.Value.Inc();
        _metrics.Event("hss.subscriber.added", imsi, "added");
    }

    /// <summary>One answered request for <paramref name="device"/> (IMSI or PCID: logged, never a label).</summary>
    public void Answered(string device, VectorRequestResult result, bool resyncAsked)
    {
        ArgumentNullException.ThrowIfNull(result);
        var outcome = NetworkFunctionMetrics.Kebab(result.Status.ToString());
        _requests.WithLabels(outcome).Inc();
        _issued.Inc(result.Vectors.Count);
        // One line per request: a re-synchronisation's (TS 33.102 §6.3.5) or the vectors'.
        if (resyncAsked)
        {
            var resync = result.Status switch
            {
                VectorRequestStatus.Ok => "done",
                VectorRequestStatus.ResyncMacFailure => "mac-failure",
                _ => outcome,
            };
            _resyncs.WithLabels(resync).Inc();
            _metrics.Event("aka.resync", device, result.Status == VectorRequestStatus.Ok ? $"done, issued-{result.Vectors.Count}" : resync);
        }
        else
            _metrics.Event("aka.vectors", device, result.Status == VectorRequestStatus.Ok ? $"issued-{result.Vectors.Count}" : outcome);
    }
}
