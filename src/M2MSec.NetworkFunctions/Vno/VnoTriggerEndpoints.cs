using M2MSec.Nas.Trigger;
using M2MSec.NetworkFunctions.Hosting;
using M2MSec.Storage;
using M2MSec.Storage.Hss;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace M2MSec.NetworkFunctions.Vno;

/// <summary>
/// Issue 17: the VNO as the serving node that holds the device's context — POST /triggers for the MTC-IWF (mutual TLS, role
/// mtc-iwf only), and on the device listener the device's connection state (detach, data session) and its paging channel.
/// Every field validated before any state.
/// </summary>
internal static class VnoTriggerEndpoints
{
    public static void MapRole(IEndpointRouteBuilder app)
    {
        app.MapPost("/triggers", AcceptAsync).RequireRole(["mtc-iwf"]).WithName("protectTrigger")
            .WithSummary("The MTC-IWF hands a trigger over: protected with the device's NAS context (K_NASint, next downlink COUNT) and delivered by its state")
            .Produces<VnoTriggerAccepted>(StatusCodes.Status202Accepted)
            .ProducesProblems(StatusCodes.Status400BadRequest, StatusCodes.Status403Forbidden, StatusCodes.Status404NotFound, StatusCodes.Status409Conflict);
    }

    public static void MapDevice(IEndpointRouteBuilder devices)
    {
        devices.MapPost("/detach", DetachAsync).WithName("detach")
            .WithSummary("The device detaches: it is offline for triggers (queued); the report is MAC'd under its K_NASint with the uplink COUNT")
            .Produces<VnoDeviceState>().ProducesProblems(StatusCodes.Status400BadRequest, StatusCodes.Status403Forbidden, StatusCodes.Status404NotFound);
        devices.MapPost("/data-session", DataSessionAsync).WithName("dataSession")
            .WithSummary("The device sets up (open true) or releases (open false) its data connection: triggers go direct, or by paging")
            .Produces<VnoDeviceState>().ProducesProblems(StatusCodes.Status400BadRequest, StatusCodes.Status403Forbidden, StatusCodes.Status404NotFound,
                StatusCodes.Status409Conflict);
        devices.MapGet("/paging/{identity}", PagingAsync).WithName("paging")
            .WithSummary("The paging channel: the protected triggers waiting for this IMSI (integrity-protected, not secret)")
            .Produces<VnoPagingResponse>().ProducesProblems(StatusCodes.Status400BadRequest, StatusCodes.Status404NotFound);
        devices.MapPost("/paging/{identity}/ack", AcknowledgeAsync).WithName("pagingAck")
            .WithSummary("The device holds every trigger up to this downlink COUNT: the VNO stops offering them")
            .Produces(StatusCodes.Status204NoContent).ProducesProblems(StatusCodes.Status400BadRequest, StatusCodes.Status403Forbidden, StatusCodes.Status404NotFound);
    }

    internal static bool TryAction(string? text, out TriggerAction action)
    {
        (var ok, action) = text switch
        {
            "dm-session" => (true, TriggerAction.DmSession),
            "ota-job" => (true, TriggerAction.OtaJob),
            "application-data" => (true, TriggerAction.ApplicationData),
            _ => (false, default(TriggerAction)),
        };
        return ok;
    }

    /// <summary>The action's name on the APIs and the CLI.</summary>
    public static string ActionName(TriggerAction action) => action switch
    {
        TriggerAction.DmSession => "dm-session",
        TriggerAction.OtaJob => "ota-job",
        _ => "application-data",
    };

    /// <summary>Payload: hex, at most <see cref="TriggerIndication.MaxPayloadLength"/> octets; empty or null is none.</summary>
    internal static bool TryPayload(string? hex, out byte[] payload, out string error)
    {
        payload = [];
        error = "";
        if (string.IsNullOrEmpty(hex))
            return true;
        if (hex.Length % 2 != 0 || !hex.All(Uri.IsHexDigit))
        {
            error = "payload: expected hex digits in pairs";
            return false;
        }
        if (hex.Length / 2 > TriggerIndication.MaxPayloadLength)
        {
            error = $"payload: at most {TriggerIndication.MaxPayloadLength} octets, got {hex.Length / 2}";
            return false;
        }
        payload = Convert.FromHexString(hex);
        return true;
    }

    private static async Task<IResult> AcceptAsync(VnoTriggerRequest request, VnoTriggers triggers, IStateStore store, TriggerMetrics checks,
        Groups.IMtcFeatureCheck features, HttpContext context, CancellationToken ct)
    {
        if (!Imsi.IsValid(request.Identity))
            return ApiProblem.BadRequest("bad-identity", "identity: expected an IMSI, 6 to 15 decimal digits");
        if (request.Reference is not { } reference || reference < 0 || reference > uint.MaxValue)
            return ApiProblem.BadRequest("bad-reference", "reference: expected an integer from 0 to 4294967295");
        if (!TryAction(request.Action, out var action))
            return ApiProblem.BadRequest("bad-action", "action: expected dm-session, ota-job or application-data");
        if (!TryPayload(request.Payload, out var payload, out var error))
            return ApiProblem.BadRequest("bad-payload", error);
        if (action == TriggerAction.OtaJob && payload.Length == 0)
            return ApiProblem.BadRequest("bad-payload", "payload: an ota-job trigger carries the job id");
        // TR 33.868 clause 4 (docs/decisions/028): network access control by MTC feature — no trigger for a subscription without
        // "triggering"; refused before any COUNT is taken, audited.
        if (!await features.IsSubscribedAsync(request.Identity!, Groups.MtcFeatures.Triggering, ct).ConfigureAwait(false))
        {
            await store.Audit.AppendAsync(AdministratorFilter.Actor(context), "vno.trigger.refused", request.Identity!, "triggering not subscribed", ct).ConfigureAwait(false);
            checks.Dropped("feature", request.Identity!, "not-subscribed");
            return ApiProblem.Forbidden("feature-not-subscribed", "identity: the subscription does not hold the triggering feature");
        }
        VnoTriggerAccepted? accepted;
        try
        {
            accepted = await triggers.AcceptAsync(request.Identity!, (uint)reference, action, payload, ct).ConfigureAwait(false);
        }
        catch (StoreException)
        {
            checks.Dropped("nas-context", request.Identity!, "count-exhausted");
            return ApiProblem.Conflict("count-exhausted", "identity: the NAS downlink COUNT is exhausted; the device must attach again");
        }
        if (accepted is null)
        {
            checks.Dropped("nas-context", request.Identity!, "no-context");
            return ApiProblem.NotFound("no-context", "identity: this VNO holds no NAS security context for it (never attached here)");
        }
        checks.Passed("nas-context", accepted.Identity);
        await store.Audit.AppendAsync(AdministratorFilter.Actor(context), "vno.trigger", accepted.Identity,
            $"{ActionName(action)} ref {reference}, COUNT {accepted.Count}, {accepted.Delivery}", ct).ConfigureAwait(false);
        return Results.Accepted($"/triggers/{accepted.TriggerId}", accepted);
    }

    private static async Task<IResult> DetachAsync(VnoDeviceStateRequest request, IStateStore store, CancellationToken ct)
    {
        if (!Imsi.IsValid(request.Identity))
            return ApiProblem.BadRequest("bad-identity", "identity: expected an IMSI, 6 to 15 decimal digits");
        if (await CheckReportAsync(request.Identity!, request.Nas, new DeviceReport(DeviceReportKind.Detach, 0), store, ct).ConfigureAwait(false) is { } refused)
            return refused;
        if (!await store.Vno.SetStateAsync(request.Identity!, VnoTriggers.Offline, ct).ConfigureAwait(false))
            return ApiProblem.NotFound("no-context", "identity: not attached here");
        return Results.Ok(new VnoDeviceState(request.Identity!, VnoTriggers.Offline));
    }

    private static async Task<IResult> DataSessionAsync(VnoDeviceStateRequest request, IStateStore store, CancellationToken ct)
    {
        if (!Imsi.IsValid(request.Identity))
            return ApiProblem.BadRequest("bad-identity", "identity: expected an IMSI, 6 to 15 decimal digits");
        if (request.Open is not { } open)
            return ApiProblem.BadRequest("bad-open", "open: required, true (set up) or false (release)");
        var report = new DeviceReport(open ? DeviceReportKind.DataSessionOpen : DeviceReportKind.DataSessionClose, 0);
        if (await CheckReportAsync(request.Identity!, request.Nas, report, store, ct).ConfigureAwait(false) is { } refused)
            return refused;
        if (await store.Vno.FindContextAsync(request.Identity!, ct).ConfigureAwait(false) is not { } current)
            return ApiProblem.NotFound("no-context", "identity: not attached here");
        if (current.State == VnoTriggers.Offline)
            return ApiProblem.Conflict("detached", "identity: detached; attach first");
        var state = open ? VnoTriggers.Connected : VnoTriggers.Idle;
        await store.Vno.SetStateAsync(request.Identity!, state, ct).ConfigureAwait(false);
        return Results.Ok(new VnoDeviceState(request.Identity!, state));
    }

    /// <summary>
    /// Issue 17 (docs/decisions/027): a device state report must verify under the device's own EPS NAS security context — 128-EIA2
    /// under K_NASint with the next uplink COUNT (above the last accepted: a replay is refused), its kind and value those of the request —
    /// and its COUNT is stored durably, atomically, before the report takes effect. Null when it does; otherwise the problem (audited).
    /// </summary>
    private static async Task<IResult?> CheckReportAsync(string identity, string? nasHex, DeviceReport expected, IStateStore store, CancellationToken ct) =>
        (await CheckReportCountAsync(identity, nasHex, expected, store, ct).ConfigureAwait(false)).Refused;

    /// <summary>As <see cref="CheckReportAsync"/>, with the uplink COUNT the report was accepted under.</summary>
    internal static async Task<(IResult? Refused, uint Count)> CheckReportCountAsync(string identity, string? nasHex, DeviceReport expected, IStateStore store,
        CancellationToken ct)
    {
        if (nasHex is null || nasHex.Length != DeviceReportProtection.Length * 2 || !nasHex.All(Uri.IsHexDigit))
            return (ApiProblem.BadRequest("bad-nas", $"nas: expected the integrity-protected NAS report, {DeviceReportProtection.Length} octets in hex"), 0);
        if (await store.Vno.FindUplinkAsync(identity, ct).ConfigureAwait(false) is not { } context)
            return (ApiProblem.NotFound("no-context", "identity: not attached here"), 0);
        DeviceReportVerification check;
        try
        {
            check = DeviceReportProtection.Verify(context.KnasInt, context.LastUplinkCount, Convert.FromHexString(nasHex));
        }
        finally
        {
            System.Security.Cryptography.CryptographicOperations.ZeroMemory(context.KnasInt);
        }
        var reason = !check.IsAccepted ? check.Code
            : check.Report != expected ? "report-mismatch"
            : !await store.Vno.AcceptUplinkCountAsync(identity, context.ContextId, check.Count, ct).ConfigureAwait(false) ? DeviceReportVerification.Replayed
            : null;
        if (reason is null)
            return (null, check.Count);
        await store.Audit.AppendAsync("device", "vno.report.refused", identity, $"{ReportName(expected.Kind)}: {reason}", ct).ConfigureAwait(false);
        return (ApiProblem.Forbidden("report-not-authenticated", $"nas: the report does not verify under this device's NAS security context ({reason})"), 0);
    }

    private static string ReportName(DeviceReportKind kind) => kind switch
    {
        DeviceReportKind.Detach => "detach",
        DeviceReportKind.DataSessionOpen => "data-session open",
        DeviceReportKind.DataSessionClose => "data-session close",
        DeviceReportKind.Battery => "battery",
        _ => "paging ack",
    };

    private static async Task<IResult> PagingAsync(string identity, IStateStore store, CancellationToken ct)
    {
        if (!Imsi.IsValid(identity))
            return ApiProblem.BadRequest("bad-identity", "identity: expected an IMSI, 6 to 15 decimal digits");
        if (await store.Vno.FindContextAsync(identity, ct).ConfigureAwait(false) is not { } current)
            return ApiProblem.NotFound("no-context", "identity: no NAS context here");
        var waiting = await store.Vno.PendingTriggersAsync(identity, ct).ConfigureAwait(false);
        return Results.Ok(new VnoPagingResponse(identity, [.. waiting.Where(t => t.ContextId == current.ContextId)
            .Select(t => new VnoPagedTrigger(Convert.ToHexStringLower(t.Message), t.Delivery))]));
    }

    private static async Task<IResult> AcknowledgeAsync(string identity, VnoPagingAck request, IStateStore store, CancellationToken ct)
    {
        if (!Imsi.IsValid(identity))
            return ApiProblem.BadRequest("bad-identity", "identity: expected an IMSI, 6 to 15 decimal digits");
        if (request.Count is not { } count || count < 0 || count > ProtectedTrigger.MaxCount)
            return ApiProblem.BadRequest("bad-count", "count: expected a NAS COUNT, 0 to 16777215");
        if (await CheckReportAsync(identity, request.Nas, new DeviceReport(DeviceReportKind.PagingAck, (uint)count), store, ct).ConfigureAwait(false) is { } refused)
            return refused;
        if (await store.Vno.FindContextAsync(identity, ct).ConfigureAwait(false) is not { } current)
            return ApiProblem.NotFound("no-context", "identity: no NAS context here");
        await store.Vno.AcknowledgeTriggersAsync(identity, current.ContextId, (uint)count, ct).ConfigureAwait(false);
        return Results.NoContent();
    }
}
