using M2MSec.Dm.Bootstrap;
using M2MSec.NetworkFunctions.Dpf;
using M2MSec.NetworkFunctions.Drf;
using M2MSec.NetworkFunctions.Hosting;
using M2MSec.NetworkFunctions.Hss;
using M2MSec.Provisioning.Objects;
using M2MSec.Storage.Hss;
using M2MSec.Storage.Sho;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace M2MSec.NetworkFunctions.Sho;

/// <summary>
/// Issue 16, change of subscription between two SHOs (docs/decisions/021). The new SHO starts it at the RO for its administrators
/// (the device's owner handed it the authorisation token); the old SHO is told by the RO after step 21 of the new provisioning, sends
/// its own signed disable and delete instructions through the DPF, and when the TRE confirms the delete retires the IMSI in its HSS.
/// </summary>
internal static class ShoChangeEndpoints
{
    private const int MaxOutcomes = 8;

    public static void Map(IEndpointRouteBuilder app)
    {
        app.MapPost("/changes", ChangeAsync).RequireAdministrator().WithName("requestChange")
            .WithSummary("Moves a device (PCID, or its current IMSI at its old SHO) to this SHO: the RO re-assigns it and the device is provisioned again")
            .Produces<ChangeAccepted>(StatusCodes.Status202Accepted)
            .ProducesProblems(StatusCodes.Status400BadRequest, StatusCodes.Status404NotFound, StatusCodes.Status409Conflict, StatusCodes.Status502BadGateway);
        app.MapPost("/subscriptions/{pcid}/released", ReleasedAsync).RequireRole(["drf"]).WithName("releaseSubscription")
            .WithSummary("The RO: the device's MCIM from another SHO is installed; this SHO disables and deletes its own by signed instructions through the DPF")
            .Produces<ShoSubscriptionState>(StatusCodes.Status202Accepted)
            .ProducesProblems(StatusCodes.Status400BadRequest, StatusCodes.Status404NotFound, StatusCodes.Status409Conflict, StatusCodes.Status502BadGateway);
        app.MapPost("/subscriptions/{pcid}/instructions/status", InstructionStatusAsync).RequireRole(["dpf"]).WithName("reportInstructions")
            .WithSummary("The DPF: what the TRE did with this SHO's life-cycle instructions; a confirmed delete retires the IMSI in this SHO's HSS")
            .Produces<ShoSubscriptionState>()
            .ProducesProblems(StatusCodes.Status400BadRequest, StatusCodes.Status404NotFound, StatusCodes.Status502BadGateway);
        app.MapGet("/subscriptions/by-imsi/{imsi}", ByImsiAsync).RequireAdministratorOrRole(["drf"]).WithName("subscriptionByImsi")
            .WithSummary("The subscription that holds an IMSI (never K or OPc)").Produces<ShoSubscriptionDto>()
            .ProducesProblems(StatusCodes.Status400BadRequest, StatusCodes.Status404NotFound);
    }

    private static async Task<IResult> ChangeAsync(ShoChangeRequest request, HttpContext http, ShoContext sho, CancellationToken ct)
    {
        if ((request.Pcid is null) == (request.Imsi is null))
            return ApiProblem.BadRequest("bad-pcid", "pcid/imsi: expected exactly one of them");
        if (request.Pcid is not null && !Imsi.IsValid(request.Pcid))
            return ApiProblem.BadRequest("bad-pcid", "pcid: expected 6 to 15 decimal digits (IMSI format)");
        if (request.Imsi is not null && !Imsi.IsValid(request.Imsi))
            return ApiProblem.BadRequest("bad-imsi", "imsi: expected 6 to 15 decimal digits");
        // Issue 16: a refused, failed or moved subscription may be asked for again (a new attempt); one in progress or held is 409, naming which.
        if (request.Pcid is not null && await sho.Store.FindAsync(request.Pcid, ct).ConfigureAwait(false) is { } existing)
        {
            if (!ShoSubscription.MayBeAskedAgain(existing.State))
            {
                return existing.State is ShoSubscription.Validating or ShoSubscription.Downloading
                    ? ApiProblem.Conflict("change-in-progress", $"pcid: {request.Pcid} is being provisioned at this SHO ({existing.State})")
                    : ApiProblem.Conflict("change-completed", $"pcid: {request.Pcid} is already held by this SHO ({existing.State})");
            }
            await SupersedeAsync(existing, http, sho, ct).ConfigureAwait(false);
        }
        ChangeAccepted accepted;
        try
        {
            accepted = await new DrfClient(sho.Peers.For("drf")).RequestChangeAsync(new DrfChangeRequest(request.Pcid, request.Imsi, sho.Options.ShoId), ct)
                .ConfigureAwait(false);
        }
        catch (PeerRequestException e) when (e.StatusCode is System.Net.HttpStatusCode.NotFound or System.Net.HttpStatusCode.Conflict or System.Net.HttpStatusCode.Forbidden)
        {
            // The RO's refusal, passed on: its type and detail name the cause (unknown PCID, same SHO, a change pending).
            return Results.Problem(detail: "the RO refused the change: " + ShoEndpoints.Clip(Detail(e.Problem)), statusCode: (int)e.StatusCode!,
                type: "urn:m2msec:error:" + (e.ProblemType ?? "change-refused"));
        }
        catch (Exception e) when (e is HttpRequestException or PeerUnavailableException or TaskCanceledException)
        {
            return Results.Problem(detail: $"the RO did not take the change: {ShoEndpoints.Clip(e.Message)}", statusCode: StatusCodes.Status502BadGateway,
                type: "urn:m2msec:error:drf-unavailable");
        }
        // Asked by IMSI: the PCID is known now (the device's read and step 12 come after a DM session, well after this answer).
        if (request.Pcid is null && await sho.Store.FindAsync(accepted.Pcid, ct).ConfigureAwait(false) is { } earlier && ShoSubscription.MayBeAskedAgain(earlier.State))
            await SupersedeAsync(earlier, http, sho, ct).ConfigureAwait(false);
        await sho.AuditAsync("sho.change.requested", accepted.Pcid, $"from {accepted.FromSho}", ct, AdministratorFilter.Actor(http)).ConfigureAwait(false);
        return Results.Accepted($"/subscriptions", accepted);
    }

    /// <summary>A refused or failed subscription a new change was asked for: the device's next registration replaces it (a new attempt).</summary>
    private static async Task SupersedeAsync(ShoSubscription sub, HttpContext http, ShoContext sho, CancellationToken ct)
    {
        if (sub.State is not (ShoSubscription.Refused or ShoSubscription.Failed))
            return;
        var superseded = sub with { State = ShoSubscription.Superseded, Reason = ShoEndpoints.Clip($"new change asked after: {sub.Reason}"), UpdatedAt = sho.Time.GetUtcNow() };
        await sho.UpdateAuditedAsync(superseded, sub.State, "sho.subscription.superseded", $"was {sub.State}", ct, AdministratorFilter.Actor(http)).ConfigureAwait(false);
    }

    private static async Task<IResult> ReleasedAsync(string pcid, ShoReleaseRequest request, ShoContext sho, CancellationToken ct)
    {
        if (!Imsi.IsValid(pcid))
            return ApiProblem.BadRequest("bad-pcid", "pcid: expected 6 to 15 decimal digits (IMSI format)");
        if (!BootstrapM2MContext.IsValidShoId(request.ToSho))
            return ApiProblem.BadRequest("bad-to-sho", "to_sho: expected 1 to 64 of A-Z a-z 0-9 . _ -");
        if (request.ToSho == sho.Options.ShoId)
            return ApiProblem.BadRequest("bad-to-sho", "to_sho: this SHO itself");
        var sub = await sho.Store.FindAsync(pcid, ct).ConfigureAwait(false);
        if (sub is null)
            return ApiProblem.NotFound("unknown-registration", $"pcid: {pcid} is not a subscription of this SHO");
        if (sub.State is not (ShoSubscription.Active or ShoSubscription.Releasing) || sub.Imsi is null)
            return ApiProblem.Conflict("not-active", $"pcid: {pcid} is {sub.State}, no MCIM of this SHO to release");
        var releasing = sub;
        if (sub.State == ShoSubscription.Active)
        {
            // Disable, then delete: the next two sequences of this (TRE, IMSI), kept by the same write that moves the state.
            releasing = sub with
            {
                State = ShoSubscription.Releasing,
                InstructionSequence = sub.InstructionSequence + 2,
                Reason = $"moved to {request.ToSho}",
                UpdatedAt = sho.Time.GetUtcNow(),
            };
            if (!await sho.UpdateAuditedAsync(releasing, ShoSubscription.Active, "sho.subscription.released", $"imsi {sub.Imsi}, moved to {request.ToSho}", ct)
                .ConfigureAwait(false))
                return ApiProblem.Conflict("not-active", $"pcid: {pcid} changed state meanwhile");
        }
        // A release told again (the first answer lost) sends the same two sequences: the TRE refuses what it already applied.
        var signer = await sho.Signing.GetAsync(ct).ConfigureAwait(false);
        var documents = new[] { McimOperation.Disable, McimOperation.Delete }.Select((op, i) => Convert.ToBase64String(McimInstruction.Sign(
            new McimInstructionContent(pcid, sub.TreId, sub.Imsi, op, releasing.InstructionSequence - 1 + (ulong)i, sho.Options.ShoId), signer.Certificate, signer.Chain)))
            .ToList();
        try
        {
            var queued = await new DpfClient(sho.Peers.For("dpf")).DeliverInstructionsAsync(pcid, new InstructionDelivery(sho.Options.ShoId, documents), ct)
                .ConfigureAwait(false);
            await sho.AuditAsync("sho.instructions.sent", pcid,
                $"disable {releasing.InstructionSequence - 1}, delete {releasing.InstructionSequence} of {sub.Imsi}: dpf job {queued.JobId}", ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is HttpRequestException or PeerUnavailableException or TaskCanceledException)
        {
            return Results.Problem(detail: $"the DPF did not take the instructions: {ShoEndpoints.Clip(e.Message)}", statusCode: StatusCodes.Status502BadGateway,
                type: "urn:m2msec:error:dpf-unavailable");
        }
        return Results.Accepted($"/subscriptions", new ShoSubscriptionState(pcid, ShoSubscription.Releasing, sub.Imsi));
    }

    private static async Task<IResult> InstructionStatusAsync(string pcid, ShoInstructionStatusRequest request, ShoContext sho, CancellationToken ct)
    {
        if (!Imsi.IsValid(pcid))
            return ApiProblem.BadRequest("bad-pcid", "pcid: expected 6 to 15 decimal digits (IMSI format)");
        if (request.Outcomes is not { Count: >= 1 and <= MaxOutcomes } outcomes)
            return ApiProblem.BadRequest("bad-outcomes", $"outcomes: expected 1 to {MaxOutcomes}");
        for (var i = 0; i < outcomes.Count; i++)
        {
            var o = outcomes[i];
            if (o is null || !Imsi.IsValid(o.Imsi))
                return ApiProblem.BadRequest("bad-outcomes", $"outcomes[{i}].imsi: expected 6 to 15 decimal digits");
            if (o.Operation is not ("enable" or "disable" or "delete"))
                return ApiProblem.BadRequest("bad-outcomes", $"outcomes[{i}].operation: expected enable, disable or delete");
            if (o.Sequence is not >= 1)
                return ApiProblem.BadRequest("bad-outcomes", $"outcomes[{i}].sequence: expected a number from 1");
            if (o.Result is not ("applied" or "refused" or "failed"))
                return ApiProblem.BadRequest("bad-outcomes", $"outcomes[{i}].result: expected applied, refused or failed");
            if (o.Detail is { Length: > 256 })
                return ApiProblem.BadRequest("bad-outcomes", $"outcomes[{i}].detail: at most 256 characters");
        }
        var sub = await sho.Store.FindAsync(pcid, ct).ConfigureAwait(false);
        if (sub is null)
            return ApiProblem.NotFound("unknown-registration", $"pcid: {pcid} is not a subscription of this SHO");
        // Issue 16: the DPF reports until it hears 200 (docs/decisions/021); a report after the move changes nothing and is answered the same.
        if (sub.State == ShoSubscription.Moved)
            return Results.Ok(new ShoSubscriptionState(pcid, sub.State, sub.Imsi));
        foreach (var o in outcomes)
        {
            await sho.AuditAsync("sho.instruction." + o.Result, pcid, $"{o.Operation} {o.Imsi} (sequence {o.Sequence}): {ShoEndpoints.Clip(o.Detail ?? "")}", ct)
                .ConfigureAwait(false);
        }
        var deleted = outcomes.Any(o => o is { Operation: "delete", Result: "applied" } && o.Imsi == sub.Imsi);
        if (!deleted || sub.State != ShoSubscription.Releasing)
        {
            if (sub.State == ShoSubscription.Releasing && outcomes.FirstOrDefault(o => o.Result != "applied") is { } refused)
            {
                var kept = sub with { Reason = ShoEndpoints.Clip($"{refused.Operation} {refused.Result}: {refused.Detail}"), UpdatedAt = sho.Time.GetUtcNow() };
                await sho.Store.UpdateAsync(kept, ShoSubscription.Releasing, ct).ConfigureAwait(false);
            }
            return Results.Ok(new ShoSubscriptionState(pcid, sub.State, sub.Imsi));
        }
        // The TRE deleted the MCIM: the IMSI leaves this SHO's HSS, so AKA with it is refused from now on.
        try
        {
            await new HssClient(sho.Peers.For(sho.Options.HssPeer)).RetireAsync(sub.Imsi!, ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is HttpRequestException or PeerUnavailableException or TaskCanceledException)
        {
            return Results.Problem(detail: $"the HSS did not retire the IMSI: {ShoEndpoints.Clip(e.Message)}", statusCode: StatusCodes.Status502BadGateway,
                type: "urn:m2msec:error:hss-unavailable");
        }
        await sho.Store.RetireImsiAsync(sub.Imsi!, ct).ConfigureAwait(false);
        var moved = sub with { State = ShoSubscription.Moved, Reason = sub.Reason + "; MCIM deleted, IMSI retired", UpdatedAt = sho.Time.GetUtcNow() };
        await sho.UpdateAuditedAsync(moved, ShoSubscription.Releasing, "sho.subscription.moved", $"imsi {sub.Imsi} retired in {sho.Options.HssPeer}", ct).ConfigureAwait(false);
        return Results.Ok(new ShoSubscriptionState(pcid, ShoSubscription.Moved, sub.Imsi));
    }

    private static async Task<IResult> ByImsiAsync(string imsi, ShoContext sho, CancellationToken ct)
    {
        if (!Imsi.IsValid(imsi))
            return ApiProblem.BadRequest("bad-imsi", "imsi: expected 6 to 15 decimal digits");
        var s = (await sho.Store.ListAsync(ct).ConfigureAwait(false)).FirstOrDefault(x => x.Imsi == imsi);
        return s is null
            ? ApiProblem.NotFound("unknown-imsi", $"imsi: {imsi} is not held by a subscription of this SHO")
            : Results.Ok(new ShoSubscriptionDto(s.Pcid, s.TreId, s.State, s.Imsi, s.Reason, s.CreatedAt, s.UpdatedAt));
    }

    private static string Detail(string problem)
    {
        try
        {
            using var doc = System.Text.Json.JsonDocument.Parse(problem);
            return doc.RootElement.TryGetProperty("detail", out var d) && d.GetString() is { } s ? s : problem;
        }
        catch (System.Text.Json.JsonException)
        {
            return problem;
        }
    }
}
