using System.Net;
using System.Net.Sockets;
using M2MSec.Device.Power;
using M2MSec.Device.Uicc;
using M2MSec.Nas.Trigger;
using M2MSec.Ota.Scp81;

namespace M2MSec.Device.Triggering;

/// <summary>What the SCP81 admin session an OTA-job trigger opened came to.</summary>
public enum OtaSessionStatus
{
    /// <summary>The session ran and the card executed at least one script the OTA server had queued for it.</summary>
    Completed,

    /// <summary>The session ran but the OTA server had nothing queued for this card (answered 204 at once): nothing changed.</summary>
    NothingQueued,

    /// <summary>The job id in the trigger is not a job id (empty, too long, not printable ASCII): no session opened.</summary>
    BadJobId,

    /// <summary>The session could not run (the server unreachable, the PSK-TLS handshake refused, a malformed answer).</summary>
    Failed,
}

/// <summary>One OTA-job trigger's SCP81 session: the job id the trigger named, the status, the scripts the card executed.</summary>
public sealed record OtaSessionOutcome(string JobId, OtaSessionStatus Status, int ScriptsExecuted, string? Detail)
{
    public bool Completed => Status == OtaSessionStatus.Completed;
}

/// <summary>
/// Issue 17: what a valid OTA-job trigger makes a UICC device do — it opens the SCP81 admin session (GlobalPlatform Amendment B,
/// PSK-TLS under the card's PSK identity, decision 010) to the OTA server at <paramref name="server"/>, as the Security Domain would on
/// the SCP80 push, and the card (<see cref="UiccOtaCard.RunAdminScript"/>) executes the scripts the server queued for it; the server
/// completes the job from the reported responses. The trigger (checked by <see cref="TriggerReceiver"/> before this runs) takes over
/// from the SCP80 push over SMS, which stays available. The PSK identity, not the job id, decides which scripts the session may fetch
/// (decision 010; BouncyCastle's TLS alerts are IOExceptions): a job id not queued for this card opens a session that ends at once (<see cref="OtaSessionStatus.NothingQueued"/>).
/// What the card sends in the session counts on <paramref name="battery"/> (decision 026, energy per byte sent). The other actions go to
/// <paramref name="other"/>.
/// </summary>
public sealed class OtaTriggerActions(UiccOtaCard card, string iccid, string pskIdentity, byte[] psk, IPEndPoint server,
    BatteryMeter? battery = null, ITriggerActions? other = null) : ITriggerActions
{
    /// <summary>The longest job id a trigger may name (as the MTC-IWF checks it; the OTA server's are 32 hex digits).</summary>
    public const int MaxJobIdLength = 128;

    private readonly ITriggerActions _other = other ?? new RecordingTriggerActions();
    private readonly List<OtaSessionOutcome> _sessions = [];

    /// <summary>The SCP81 sessions the triggers ran, in order.</summary>
    public IReadOnlyList<OtaSessionOutcome> Sessions
    {
        get
        {
            lock (_sessions)
                return [.. _sessions];
        }
    }

    public async Task FetchOtaJobAsync(string jobId, CancellationToken cancellationToken)
    {
        var outcome = IsJobId(jobId) ? await RunSessionAsync(jobId, cancellationToken).ConfigureAwait(false)
            : new OtaSessionOutcome(jobId.Length > MaxJobIdLength ? jobId[..MaxJobIdLength] : jobId, OtaSessionStatus.BadJobId, 0,
                $"expected 1 to {MaxJobIdLength} printable ASCII characters");
        lock (_sessions)
            _sessions.Add(outcome);
    }

    public Task StartDmSessionAsync(TriggerIndication indication, CancellationToken cancellationToken) => _other.StartDmSessionAsync(indication, cancellationToken);

    public Task DeliverAsync(ReadOnlyMemory<byte> payload, CancellationToken cancellationToken) => _other.DeliverAsync(payload, cancellationToken);

    private async Task<OtaSessionOutcome> RunSessionAsync(string jobId, CancellationToken ct)
    {
        var agent = new Scp81CardAgent(pskIdentity, psk, $"//se-id/iccid/{iccid}", card.RunAdminScript)
        {
            Sent = battery is null ? null : battery.RecordSent,
        };
        try
        {
            var scripts = await agent.RunSessionAsync(server, ct).ConfigureAwait(false);
            return new(jobId, scripts > 0 ? OtaSessionStatus.Completed : OtaSessionStatus.NothingQueued, scripts,
                scripts > 0 ? null : "the OTA server had nothing queued for this card");
        }
        catch (Exception e) when (e is IOException or SocketException or InvalidDataException)
        {
            return new(jobId, OtaSessionStatus.Failed, 0, e.Message.Split('\n')[0]);
        }
    }

    private static bool IsJobId(string jobId) => jobId.Length is > 0 and <= MaxJobIdLength && jobId.All(c => c is > ' ' and < (char)0x7F);
}
