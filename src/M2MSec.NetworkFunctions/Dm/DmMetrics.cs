using M2MSec.NetworkFunctions.Hosting;
using Prometheus;

namespace M2MSec.NetworkFunctions.Dm;

/// <summary>
/// The DM server's figures (issue 20): sessions by outcome (DmSessionOutcomes: completed, session-expired, auth-failed,
/// server-credential-refused) and authentication failures (OMA DM 1.2 status 401) by the account's scheme — an unknown
/// account as "unknown-account". The device id goes in the event line, never in a label.
/// </summary>
public sealed class DmMetrics
{
    private readonly NetworkFunctionMetrics _metrics;
    private readonly Counter _sessions;
    private readonly Counter _authFailures;

    public DmMetrics(NetworkFunctionMetrics metrics)
    {
        _metrics = metrics ?? throw new ArgumentNullException(nameof(metrics));
        _sessions = metrics.Factory.CreateCounter("m2msec_dm_sessions_total", "OMA DM sessions that ended, by outcome.", ["outcome"]);
        _authFailures = metrics.Factory.CreateCounter("m2msec_dm_auth_failures_total",
            "Failed DM authentications (OMA DM 1.2 status 401), by the account's scheme (basic, md5, hmac, unknown-account).", ["scheme"]);
    }

    /// <summary>A session of <paramref name="devId"/> ended with <paramref name="outcome"/> (its log line is the engine's "dm session …").</summary>
#pragma warning disable CA1822, IDE0060 // the device id stays in the signature: the session's own line logs it
    public void SessionEnded(string devId, string outcome) => _sessions.WithLabels(outcome).Inc();
#pragma warning restore CA1822, IDE0060

    /// <summary>A wrong credential from <paramref name="devId"/> (a missing one is a challenge, not a failure).</summary>
    public void AuthFailed(string devId, string? scheme)
    {
        var label = scheme is "basic" or "md5" or "hmac" ? scheme : scheme is null ? "unknown-account" : "other";
        _authFailures.WithLabels(label).Inc();
        _metrics.Event("dm.auth.failure", devId, label);
    }
}
