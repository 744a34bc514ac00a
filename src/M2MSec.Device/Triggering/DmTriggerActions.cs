using M2MSec.Device.Dm;
using M2MSec.Device.M2me;
using M2MSec.Device.Power;
using M2MSec.Dm.SyncMl;
using M2MSec.Nas.Trigger;

namespace M2MSec.Device.Triggering;

/// <summary>
/// Issue 17: what a valid trigger makes a device with a DM account do — a DM-session trigger runs a client-initiated DM session
/// (Alert 1201) against the DM server of <paramref name="account"/> (the DPF, or the operator's DM server) over
/// <paramref name="exchange"/>, taking over from the package-0 notification over SMS (which stays available,
/// <see cref="DmClient.RunNotifiedSessionAsync"/>). The other actions go to <paramref name="other"/>. Every message the device sends
/// in the session counts on <paramref name="battery"/> (decision 026, energy per byte sent).
/// </summary>
public sealed class DmTriggerActions(M2meDevice device, DmClientAccount account, Func<SyncMlWireMessage, CancellationToken, Task<SyncMlWireMessage>> exchange,
    BatteryMeter? battery = null, ITriggerActions? other = null) : ITriggerActions
{
    private readonly ITriggerActions _other = other ?? new RecordingTriggerActions();
    private readonly List<DmSessionOutcome> _sessions = [];

    /// <summary>The DM sessions the triggers ran, in order.</summary>
    public IReadOnlyList<DmSessionOutcome> Sessions
    {
        get
        {
            lock (_sessions)
                return [.. _sessions];
        }
    }

    /// <summary>The DevId the sessions use (the DPF's provisioning account: the PCID); default the TRE id.</summary>
    public string? DevId { get; init; }

    public async Task StartDmSessionAsync(TriggerIndication indication, CancellationToken cancellationToken)
    {
        var client = new DmClient(device, account) { DevId = DevId };
        var outcome = await client.RunSessionAsync(CountingExchange, cancellationToken).ConfigureAwait(false);
        lock (_sessions)
            _sessions.Add(outcome);
    }

    public Task FetchOtaJobAsync(string jobId, CancellationToken cancellationToken) => _other.FetchOtaJobAsync(jobId, cancellationToken);

    public Task DeliverAsync(ReadOnlyMemory<byte> payload, CancellationToken cancellationToken) => _other.DeliverAsync(payload, cancellationToken);

    private Task<SyncMlWireMessage> CountingExchange(SyncMlWireMessage message, CancellationToken ct)
    {
        battery?.RecordSent(message.Body.Length);
        return exchange(message, ct);
    }
}
