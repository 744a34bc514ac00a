using System.Net.Http.Json;
using System.Text.Json;
using M2MSec.Aka;
using M2MSec.Device.Power;
using M2MSec.Device.Provisioning;
using M2MSec.Nas.Trigger;

namespace M2MSec.Device.Triggering;

/// <summary>What a valid trigger makes the device do (issue 17): a DM session, an OTA job, or the payload to the application.</summary>
public interface ITriggerActions
{
    Task StartDmSessionAsync(TriggerIndication indication, CancellationToken cancellationToken);

    Task FetchOtaJobAsync(string jobId, CancellationToken cancellationToken);

    Task DeliverAsync(ReadOnlyMemory<byte> payload, CancellationToken cancellationToken);
}

/// <summary>Keeps what the triggers asked for (tests, and a device without DM account or application).</summary>
public sealed class RecordingTriggerActions : ITriggerActions
{
    private readonly List<string> _done = [];

    /// <summary>"dm-session", "ota-job:ID", "application-data:HEX", in order.</summary>
    public IReadOnlyList<string> Done
    {
        get
        {
            lock (_done)
                return [.. _done];
        }
    }

    public Task StartDmSessionAsync(TriggerIndication indication, CancellationToken cancellationToken) => Add("dm-session");

    public Task FetchOtaJobAsync(string jobId, CancellationToken cancellationToken) => Add("ota-job:" + jobId);

    public Task DeliverAsync(ReadOnlyMemory<byte> payload, CancellationToken cancellationToken) => Add("application-data:" + Convert.ToHexStringLower(payload.Span));

    private Task Add(string what)
    {
        lock (_done)
            _done.Add(what);
        return Task.CompletedTask;
    }
}

/// <summary>One trigger the device received: its check's result (accepted, wrong-plmn, bad-mac, replayed, …) and what it did.</summary>
public sealed record TriggerOutcome(string Code, string Delivery, string? Action, uint? Reference, string Detail, int MacsComputed)
{
    public bool IsAccepted => Code == TriggerVerification.Accepted;
}

/// <summary>
/// The device's side of the serving network for triggering (issue 17) over the VNO's device listener: attach (AKA; the new EPS
/// NAS security context stored in the TRE or the ME), detach, data sessions (the state the VNO delivers by, seed 002 §5.1.1),
/// and the paging channel: each protected trigger checked before any connection, acted on only when valid.
/// </summary>
public static class ServingNetworkClient
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    /// <summary>
    /// Attach with <paramref name="identity"/>; <paramref name="aka"/> runs AUTHENTICATE (USIM or TRE); the context goes to <paramref name="context"/>,
    /// and the attach's K_ASME to <paramref name="member"/> (its K_GRP, docs/decisions/028) when the device takes part in MTC groups.
    /// </summary>
    public static Task<AttachOutcome> AttachAsync(HttpClient vno, string identity, Func<byte[], byte[], UsimAuthenticationResult> aka, INasContextHolder context,
        CancellationToken cancellationToken = default, Groups.GroupMember? member = null)
    {
        ArgumentNullException.ThrowIfNull(context);
        return RoProvisioningClient.AttachCoreAsync(vno, identity, aka, cancellationToken, context, member);
    }

    /// <summary>
    /// Detach: the VNO holds the device offline (triggers queued). Issue 17: the report is protected with the device's NAS context
    /// (<see cref="ITriggerContext.ProtectReport"/>: K_NASint, the next uplink COUNT); its bytes count on <paramref name="battery"/>.
    /// </summary>
    public static Task DetachAsync(HttpClient vno, string identity, ITriggerContext context, CancellationToken cancellationToken = default, BatteryMeter? battery = null)
    {
        ArgumentNullException.ThrowIfNull(context);
        return PostAsync(vno, "detach", new StateAsk(identity, null, Hex(context.ProtectReport(new DeviceReport(DeviceReportKind.Detach, 0)))), cancellationToken, battery);
    }

    /// <summary>Sets up (<paramref name="open"/>) or releases a data connection: triggers then go direct, or by paging. The report is protected as <see cref="DetachAsync"/>'s.</summary>
    public static Task DataSessionAsync(HttpClient vno, string identity, bool open, ITriggerContext context, CancellationToken cancellationToken = default,
        BatteryMeter? battery = null)
    {
        ArgumentNullException.ThrowIfNull(context);
        var report = new DeviceReport(open ? DeviceReportKind.DataSessionOpen : DeviceReportKind.DataSessionClose, 0);
        return PostAsync(vno, "data-session", new StateAsk(identity, open, Hex(context.ProtectReport(report))), cancellationToken, battery);
    }

    /// <summary>
    /// Issue 20 (decision 033): reports the battery's remaining charge (per mille, 0–1000) to the serving network, protected as
    /// <see cref="DetachAsync"/>'s report (kind 5, the level its value); its bytes count on <paramref name="battery"/>.
    /// </summary>
    public static Task BatteryAsync(HttpClient vno, string identity, int levelPermille, ITriggerContext context, CancellationToken cancellationToken = default,
        BatteryMeter? battery = null)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentOutOfRangeException.ThrowIfNegative(levelPermille);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(levelPermille, 1000);
        var nas = context.ProtectReport(new DeviceReport(DeviceReportKind.Battery, (uint)levelPermille));
        return PostAsync(vno, "battery", new BatteryAsk(identity, levelPermille, Hex(nas)), cancellationToken, battery);
    }

    /// <summary>The remaining charge of <paramref name="battery"/> in per mille, as <see cref="BatteryAsync"/> reports it.</summary>
    public static int LevelPermille(BatteryMeter battery) =>
        (int)Math.Clamp(Math.Round((battery ?? throw new ArgumentNullException(nameof(battery))).Reading.RemainingFraction * 1000), 0, 1000);

    /// <summary>
    /// Reads the paging channel for <paramref name="identity"/> and checks each trigger with <paramref name="receiver"/> (a direct
    /// delivery as connected: no wake-up, paging check or set-up); a valid one is acted on and acknowledged. The battery meter of
    /// the receiver counts what each cost.
    /// </summary>
    public static async Task<IReadOnlyList<TriggerOutcome>> ReceiveAsync(HttpClient vno, string identity, TriggerReceiver receiver, ITriggerActions actions,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(vno);
        ArgumentNullException.ThrowIfNull(receiver);
        ArgumentNullException.ThrowIfNull(actions);
        using var response = await vno.GetAsync($"paging/{Uri.EscapeDataString(identity)}", cancellationToken).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
            throw new HttpRequestException($"the VNO answered {(int)response.StatusCode} to the paging request", null, response.StatusCode);
        var paging = await response.Content.ReadFromJsonAsync<Paging>(Json, cancellationToken).ConfigureAwait(false);
        var outcomes = new List<TriggerOutcome>();
        uint? last = null;
        foreach (var t in paging?.Triggers ?? [])
        {
            if (t.Message is null || t.Message.Length % 2 != 0 || !t.Message.All(Uri.IsHexDigit))
            {
                outcomes.Add(new TriggerOutcome(TriggerVerification.Malformed, t.Delivery ?? "", null, null, "message: not hex", 0));
                continue;
            }
            var delivery = t.Delivery ?? "paging";
            var o = await HandleAsync(receiver, actions, Convert.FromHexString(t.Message), delivery, cancellationToken).ConfigureAwait(false);
            outcomes.Add(o.Outcome);
            if (o.Count is { } c)
                last = c;
        }
        if (last is { } through)
        {
            var nas = receiver.Context.ProtectReport(new DeviceReport(DeviceReportKind.PagingAck, through));
            await PostAsync(vno, $"paging/{Uri.EscapeDataString(identity)}/ack", new Ack(through, Hex(nas)), cancellationToken, receiver.Battery).ConfigureAwait(false);
        }
        return outcomes;
    }

    /// <summary>One trigger as it reaches the device (from the network, or from a fake base station): checked, and acted on only when valid.</summary>
    public static async Task<(TriggerOutcome Outcome, uint? Count)> HandleAsync(TriggerReceiver receiver, ITriggerActions actions, byte[] message, string delivery,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(receiver);
        ArgumentNullException.ThrowIfNull(actions);
        var result = receiver.Receive(message, connected: delivery == "direct");
        if (!result.IsAccepted || result.Indication is not { } indication)
            return (new TriggerOutcome(result.Code, delivery, null, null, result.Detail, result.MacsComputed), null);
        var action = indication.Action switch
        {
            TriggerAction.DmSession => "dm-session",
            TriggerAction.OtaJob => "ota-job",
            _ => "application-data",
        };
        switch (indication.Action)
        {
            case TriggerAction.DmSession:
                await actions.StartDmSessionAsync(indication, cancellationToken).ConfigureAwait(false);
                break;
            case TriggerAction.OtaJob:
                await actions.FetchOtaJobAsync(System.Text.Encoding.UTF8.GetString(indication.Payload.Span), cancellationToken).ConfigureAwait(false);
                break;
            default:
                await actions.DeliverAsync(indication.Payload, cancellationToken).ConfigureAwait(false);
                break;
        }
        return (new TriggerOutcome(result.Code, delivery, action, indication.Reference, result.Detail, result.MacsComputed), result.Count);
    }

    /// <summary>Posts <paramref name="body"/>; issue 17 (decision 026): the bytes the device sends count on <paramref name="battery"/>.</summary>
    private static async Task PostAsync<T>(HttpClient vno, string path, T body, CancellationToken ct, BatteryMeter? battery)
    {
        ArgumentNullException.ThrowIfNull(vno);
        var bytes = JsonSerializer.SerializeToUtf8Bytes(body, Json);
        battery?.RecordSent(bytes.Length);
        using var content = new ByteArrayContent(bytes);
        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
        using var response = await vno.PostAsync(path, content, ct).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
            throw new HttpRequestException($"the VNO answered {(int)response.StatusCode} to {path}", null, response.StatusCode);
    }

    private static string Hex(byte[] b) => Convert.ToHexStringLower(b);

    private sealed record StateAsk(string Identity, bool? Open, string Nas);

    private sealed record Ack(uint Count, string Nas);

    private sealed record BatteryAsk(string Identity, int LevelPermille, string Nas);

    private sealed record Paging(string? Identity, IReadOnlyList<PagedTrigger>? Triggers);

    private sealed record PagedTrigger(string? Message, string? Delivery);
}
