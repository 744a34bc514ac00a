using System.Net;
using System.Security.Cryptography;
using M2MSec.Nas.Trigger;
using M2MSec.NetworkFunctions.Hosting;
using M2MSec.NetworkFunctions.Vno;
using M2MSec.Storage;
using M2MSec.Storage.Hss;
using M2MSec.Storage.MtcIwf;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace M2MSec.NetworkFunctions.MtcIwf;

/// <summary>
/// The MTC-IWF's API (issue 17): an MTC server, authenticated by its mtc-server certificate (mutual TLS), triggers a device it
/// was granted; the MTC-IWF resolves the device's IMSI and hands the trigger to the serving node that holds its NAS context
/// (the VNO, over mutual TLS as role mtc-iwf). A refusal forwards nothing. Every field validated before any state.
/// </summary>
internal static class MtcIwfEndpoints
{
    /// <summary>The certificate role of an MTC server (docs/decisions/012, 027).</summary>
    public const string MtcServerRole = "mtc-server";

    /// <summary>The MTC server's id without TLS (a development host on loopback).</summary>
    public const string LoopbackServer = "loopback";

    public static void Map(IEndpointRouteBuilder app)
    {
        app.MapPost("/triggers", TriggerAsync).RequireRole([MtcServerRole]).WithName("triggerDevice")
            .WithSummary("An MTC server triggers a device it is granted: handed to the serving node (VNO), which protects and delivers it")
            .Produces<MtcTriggerAccepted>(StatusCodes.Status202Accepted)
            .ProducesProblems(StatusCodes.Status400BadRequest, StatusCodes.Status404NotFound, StatusCodes.Status409Conflict, StatusCodes.Status502BadGateway);
        app.MapPost("/authorisations", GrantAsync).RequireAdministrator().WithName("grantTrigger")
            .WithSummary("Lets an MTC server (its certificate's CN) trigger a device (external id → IMSI)")
            .Produces<MtcGrant>(StatusCodes.Status201Created).ProducesProblems(StatusCodes.Status400BadRequest);
        app.MapGet("/authorisations", ListAsync).RequireAdministrator().WithName("listTriggerGrants")
            .WithSummary("Every grant: MTC server, device, IMSI, who granted it and when").Produces<MtcGrantList>();
        app.MapDelete("/authorisations/{mtcServer}/{device}", RevokeAsync).RequireAdministrator().WithName("revokeTriggerGrant")
            .WithSummary("Withdraws a grant").Produces(StatusCodes.Status204NoContent).ProducesProblems(StatusCodes.Status400BadRequest, StatusCodes.Status404NotFound);
    }

    private static bool IsName(string? s) => MtcIdentifier.IsValid(s);

    private static async Task<IResult> TriggerAsync(MtcTriggerRequest request, IStateStore store, PeerClients peers, TriggerMetrics checks, HttpContext context,
        CancellationToken ct)
    {
        if (!IsName(request.Device))
            return ApiProblem.BadRequest("bad-device", "device: expected an external identifier, 1 to 128 of letters, digits and . _ - @");
        if (!VnoTriggerEndpoints.TryAction(request.Action, out var action))
            return ApiProblem.BadRequest("bad-action", "action: expected dm-session, ota-job or application-data");
        if (!VnoTriggerEndpoints.TryPayload(request.Payload, out var payload, out var error))
            return ApiProblem.BadRequest("bad-payload", error);
        if (action != TriggerAction.ApplicationData && payload.Length > 0)
            return ApiProblem.BadRequest("bad-payload", "payload: only an application-data trigger carries one");
        if (action == TriggerAction.OtaJob)
        {
            if (!IsName(request.OtaJob))
                return ApiProblem.BadRequest("bad-ota-job", "ota_job: expected a job id, 1 to 128 of letters, digits and . _ - @");
            payload = System.Text.Encoding.UTF8.GetBytes(request.OtaJob!);
        }
        else if (request.OtaJob is not null)
        {
            return ApiProblem.BadRequest("bad-ota-job", "ota_job: only with action ota-job");
        }

        // Who asks: the mtc-server certificate's CN, validated by the handshake — never a field of the body.
        var server = CallerName.Of(context) ?? LoopbackServer;
        var device = request.Device!;
        if (await store.MtcIwf.FindGrantAsync(server, device, ct).ConfigureAwait(false) is not { } grant)
        {
            await store.Audit.AppendAsync(AdministratorFilter.Actor(context), "mtciwf.trigger.refused", device, "not authorised for this device", ct).ConfigureAwait(false);
            checks.Dropped("authorisation", device, "not-authorised");
            return ApiProblem.Forbidden("not-authorised", $"device: MTC server '{CertificateSafe(server)}' is not authorised to trigger it");
        }
        checks.Passed("authorisation", device);
        var reference = BitConverter.ToUInt32(RandomNumberGenerator.GetBytes(4));
        VnoTriggerAccepted accepted;
        try
        {
            accepted = await JsonApiClient.PostAsync<VnoTriggerRequest, VnoTriggerAccepted>(peers.For(VnoFunction.RoleName), "triggers",
                new VnoTriggerRequest(grant.Imsi, reference, VnoTriggerEndpoints.ActionName(action), Convert.ToHexStringLower(payload)), ct).ConfigureAwait(false);
        }
        catch (PeerRequestException e) when (e.StatusCode == HttpStatusCode.NotFound)
        {
            checks.Dropped("delivery", device, "device-not-attached");
            return ApiProblem.NotFound("device-not-attached", "device: the serving network holds no security context for it (never attached)");
        }
        catch (PeerRequestException e) when (e.StatusCode == HttpStatusCode.Forbidden)
        {
            // Clause 4: the serving network refuses triggering to a subscription without the feature (it audited it too).
            await store.Audit.AppendAsync(AdministratorFilter.Actor(context), "mtciwf.trigger.refused", device, "triggering not subscribed", ct).ConfigureAwait(false);
            return ApiProblem.Forbidden("feature-not-subscribed", "device: its subscription does not hold the triggering feature");
        }
        catch (PeerRequestException e) when (e.StatusCode == HttpStatusCode.Conflict)
        {
            checks.Dropped("delivery", device, "device-must-attach");
            return ApiProblem.Conflict("device-must-attach", "device: its NAS COUNT is exhausted; it must attach again");
        }
        catch (Exception e) when (e is HttpRequestException or PeerUnavailableException or TaskCanceledException)
        {
            return Results.Problem(detail: $"the serving node is unreachable: {e.GetType().Name}", statusCode: StatusCodes.Status502BadGateway,
                type: "urn:m2msec:error:peer-unavailable");
        }
        checks.Passed("delivery", device);
        await store.Audit.AppendAsync(AdministratorFilter.Actor(context), "mtciwf.trigger", device,
            $"{VnoTriggerEndpoints.ActionName(action)} ref {reference} → vno ({accepted.Delivery})", ct).ConfigureAwait(false);
        return Results.Accepted($"/triggers/{accepted.TriggerId}",
            new MtcTriggerAccepted(accepted.TriggerId, device, VnoTriggerEndpoints.ActionName(action), reference, accepted.Delivery, VnoFunction.RoleName));
    }

    private static string CertificateSafe(string name) => M2MSec.Pki.Authority.CertificateSubject.Sanitise(name);

    private static async Task<IResult> GrantAsync(MtcGrantRequest request, IStateStore store, TimeProvider time, HttpContext context, CancellationToken ct)
    {
        if (!IsName(request.MtcServer))
            return ApiProblem.BadRequest("bad-mtc-server", "mtc_server: expected the MTC server's certificate CN, 1 to 128 of letters, digits and . _ - @");
        if (!IsName(request.Device))
            return ApiProblem.BadRequest("bad-device", "device: expected an external identifier, 1 to 128 of letters, digits and . _ - @");
        if (!Imsi.IsValid(request.Imsi))
            return ApiProblem.BadRequest("bad-imsi", "imsi: expected 6 to 15 decimal digits");
        var grant = new MtcIwfGrant(request.MtcServer!, request.Device!, request.Imsi!, AdministratorFilter.Actor(context), time.GetUtcNow());
        await store.MtcIwf.GrantAsync(grant, ct).ConfigureAwait(false);
        await store.Audit.AppendAsync(grant.GrantedBy, "mtciwf.grant", grant.ExternalId, $"{grant.MtcServer} → {grant.Imsi}", ct).ConfigureAwait(false);
        return Results.Created($"/authorisations/{grant.MtcServer}/{grant.ExternalId}", ToApi(grant));
    }

    private static async Task<IResult> ListAsync(IStateStore store, CancellationToken ct) =>
        Results.Ok(new MtcGrantList([.. (await store.MtcIwf.ListGrantsAsync(ct).ConfigureAwait(false)).Select(ToApi)]));

    private static async Task<IResult> RevokeAsync(string mtcServer, string device, IStateStore store, HttpContext context, CancellationToken ct)
    {
        if (!IsName(mtcServer))
            return ApiProblem.BadRequest("bad-mtc-server", "mtc_server: expected 1 to 128 of letters, digits and . _ - @");
        if (!IsName(device))
            return ApiProblem.BadRequest("bad-device", "device: expected 1 to 128 of letters, digits and . _ - @");
        if (!await store.MtcIwf.RevokeAsync(mtcServer, device, ct).ConfigureAwait(false))
            return ApiProblem.NotFound("no-grant", "device: no grant for this MTC server");
        await store.Audit.AppendAsync(AdministratorFilter.Actor(context), "mtciwf.revoke", device, mtcServer, ct).ConfigureAwait(false);
        return Results.NoContent();
    }

    private static MtcGrant ToApi(MtcIwfGrant g) => new(g.MtcServer, g.ExternalId, g.Imsi, g.GrantedBy, g.GrantedAt);
}
