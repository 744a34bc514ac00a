using M2MSec.Dm.Bootstrap;
using M2MSec.NetworkFunctions.Dpf;
using M2MSec.NetworkFunctions.Hosting;
using M2MSec.NetworkFunctions.Sho;
using M2MSec.Storage;
using M2MSec.Storage.Drf;
using M2MSec.Storage.Hss;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace M2MSec.NetworkFunctions.Drf;

/// <summary>
/// Issue 16, change of subscription at the RO (docs/decisions/021): only an SHO, for itself, for a PCID the DRF registered and another
/// SHO holds; the DRF re-assigns the PCID and has the DPF open a new provisioning on the device's existing DM account. When the DPF
/// reports the install (step 21), the DRF tells the old SHO, which then disables and deletes its own MCIM.
/// </summary>
internal static class DrfChangeEndpoints
{
    private const string Registered = "registered";

    public static void Map(IEndpointRouteBuilder app)
    {
        app.MapPost("/changes", ChangeAsync).RequireRole(["sho"]).WithName("changeSubscription")
            .WithSummary("The new SHO asks to take over a registered PCID: re-assigned, and the DPF opens the change's provisioning")
            .Produces<ChangeAccepted>(StatusCodes.Status202Accepted)
            .ProducesProblems(StatusCodes.Status400BadRequest, StatusCodes.Status404NotFound, StatusCodes.Status409Conflict, StatusCodes.Status502BadGateway);
        app.MapPost("/changes/{pcid}/status", StatusAsync).RequireRole(["dpf"]).WithName("reportChange")
            .WithSummary("The DPF: the change's provisioning ended; once installed the old SHO is told to release its MCIM")
            .Produces<DrfChangeDto>()
            .ProducesProblems(StatusCodes.Status400BadRequest, StatusCodes.Status404NotFound, StatusCodes.Status409Conflict, StatusCodes.Status502BadGateway);
        app.MapGet("/changes/{pcid}", GetAsync).RequireAdministrator().WithName("getChange")
            .WithSummary("Where a PCID's change of subscription stands").Produces<DrfChangeDto>()
            .ProducesProblems(StatusCodes.Status400BadRequest, StatusCodes.Status404NotFound);
    }

    private static async Task<IResult> ChangeAsync(DrfChangeRequest request, HttpContext http, IStateStore store, DrfOptions options, PeerClients peers, TimeProvider time,
        CancellationToken ct)
    {
        if ((request.Pcid is null) == (request.Imsi is null))
            return ApiProblem.BadRequest("bad-pcid", "pcid/imsi: expected exactly one of them");
        if (request.Pcid is not null && !Imsi.IsValid(request.Pcid))
            return ApiProblem.BadRequest("bad-pcid", "pcid: expected 6 to 15 decimal digits (IMSI format)");
        if (request.Imsi is not null && !Imsi.IsValid(request.Imsi))
            return ApiProblem.BadRequest("bad-imsi", "imsi: expected 6 to 15 decimal digits");
        if (!BootstrapM2MContext.IsValidShoId(request.ShoId))
            return ApiProblem.BadRequest("bad-sho-id", "sho_id: expected 1 to 64 of A-Z a-z 0-9 . _ -");
        var shoId = request.ShoId!;
        // An SHO asks for itself only: its certificate names it (docs/decisions/021).
        if (CallerName.Of(http) is { } caller && caller != shoId)
            return ApiProblem.Forbidden("not-this-sho", $"sho_id: the caller is '{AdministratorFilter.SubjectOf(http.Connection.ClientCertificate)}', an SHO may only take a device over for itself");
        var pcid = request.Pcid;
        if (pcid is null)
        {
            var (found, problem) = await ResolveImsiAsync(request.Imsi!, options, peers, ct).ConfigureAwait(false);
            if (problem is not null)
                return problem;
            pcid = found!;
        }
        var registration = await store.Drf.FindRegistrationAsync(pcid, ct).ConfigureAwait(false);
        if (registration is null)
            return ApiProblem.NotFound("unknown-registration", $"pcid: {pcid} is not registered at this RO");
        if (registration.ShoId == shoId)
            return ApiProblem.Conflict("same-sho", $"sho_id: {shoId} already holds {pcid}");
        if (registration.State != Registered)
            return ApiProblem.Conflict("not-registered", $"pcid: {pcid} is {registration.State}, not registered at an SHO");
        var change = new DrfChange(pcid, registration.ShoId, shoId, DrfChange.Provisioning, null, time.GetUtcNow());
        if (!await store.Drf.StartChangeAsync(change, ct).ConfigureAwait(false))
            return ApiProblem.Conflict("change-pending", $"pcid: {pcid} has a change of subscription under way");
        // The registration names the new SHO before the DPF reads M2MMobj again (step 11→12 of the change checks it).
        await store.Drf.PutRegistrationAsync(registration with { ShoId = shoId, State = "bootstrapped", UpdatedAt = time.GetUtcNow() }, ct).ConfigureAwait(false);
        try
        {
            await new DpfClient(peers.For("dpf")).CreateChangeAsync(new DpfChangeRequest(pcid, shoId), ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is HttpRequestException or PeerUnavailableException or TaskCanceledException)
        {
            await store.Drf.PutRegistrationAsync(registration, ct).ConfigureAwait(false);
            await store.Drf.TryMoveChangeAsync(pcid, DrfChange.Provisioning, DrfChange.Failed, "dpf-refused: " + ShoEndpoints.Clip(e.Message), ct).ConfigureAwait(false);
            return e is PeerRequestException { StatusCode: System.Net.HttpStatusCode.Conflict or System.Net.HttpStatusCode.NotFound } p
                ? ApiProblem.Conflict(p.ProblemType ?? "dpf-refused", "the DPF refused the change: " + ShoEndpoints.Clip(p.Problem))
                : Results.Problem(detail: $"the DPF did not open the change: {ShoEndpoints.Clip(e.Message)}", statusCode: StatusCodes.Status502BadGateway,
                    type: "urn:m2msec:error:dpf-unavailable");
        }
        await store.Drf.SetAssignmentAsync(pcid, shoId, ct).ConfigureAwait(false);
        await store.Audit.AppendAsync(AdministratorFilter.Actor(http), "drf.change.start", pcid, $"from {registration.ShoId} to {shoId}", ct).ConfigureAwait(false);
        return Results.Accepted($"/changes/{pcid}", new ChangeAccepted(pcid, registration.ShoId, shoId, DrfChange.Provisioning));
    }

    private static async Task<IResult> StatusAsync(string pcid, DrfChangeStatusRequest request, HttpContext http, IStateStore store, PeerClients peers, CancellationToken ct)
    {
        if (!Imsi.IsValid(pcid))
            return ApiProblem.BadRequest("bad-pcid", "pcid: expected 6 to 15 decimal digits (IMSI format)");
        if (request.Result is not ("installed" or "failed"))
            return ApiProblem.BadRequest("bad-result", "result: expected installed or failed");
        if (request.Detail is { Length: > 256 })
            return ApiProblem.BadRequest("bad-detail", "detail: at most 256 characters");
        var change = await store.Drf.FindChangeAsync(pcid, ct).ConfigureAwait(false);
        if (change is null)
            return ApiProblem.NotFound("no-change", $"pcid: {pcid} has no change of subscription at this RO");
        var actor = AdministratorFilter.Actor(http);
        if (request.Result == "failed")
        {
            if (change.State != DrfChange.Provisioning)
                return change.State == DrfChange.Failed ? Results.Ok(Dto(change)) : ApiProblem.Conflict("not-provisioning", $"pcid: {pcid}'s change is {change.State}");
            // The old SHO keeps the device: its MCIM is still the active one in the TRE.
            var registration = await store.Drf.FindRegistrationAsync(pcid, ct).ConfigureAwait(false);
            if (registration is not null)
                await store.Drf.PutRegistrationAsync(registration with { ShoId = change.FromSho, State = Registered }, ct).ConfigureAwait(false);
            await store.Drf.SetAssignmentAsync(pcid, change.FromSho, ct).ConfigureAwait(false);
            await store.Drf.TryMoveChangeAsync(pcid, DrfChange.Provisioning, DrfChange.Failed, ShoEndpoints.Clip(request.Detail ?? "failed"), ct).ConfigureAwait(false);
            await store.Audit.AppendAsync(actor, "drf.change.failed", pcid, $"to {change.ToSho}: {ShoEndpoints.Clip(request.Detail ?? "")}; stays with {change.FromSho}", ct)
                .ConfigureAwait(false);
            return Results.Ok(Dto((await store.Drf.FindChangeAsync(pcid, ct).ConfigureAwait(false))!));
        }
        if (change.State == DrfChange.Released)
            return Results.Ok(Dto(change));
        if (change.State == DrfChange.Provisioning)
        {
            if (await store.Drf.TryMoveChangeAsync(pcid, DrfChange.Provisioning, DrfChange.Installed, null, ct).ConfigureAwait(false))
                await store.Audit.AppendAsync(actor, "drf.change.installed", pcid, $"{change.ToSho}'s MCIM installed", ct).ConfigureAwait(false);
        }
        else if (change.State != DrfChange.Installed)
        {
            return ApiProblem.Conflict("not-provisioning", $"pcid: {pcid}'s change is {change.State}");
        }
        // The old SHO is told by the RO (docs/decisions/021); a failure here is answered 502, and the DPF reports again.
        try
        {
            await new ShoClient(peers.For(change.FromSho)).ReleaseAsync(pcid, new ShoReleaseRequest(change.ToSho), ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is HttpRequestException or PeerUnavailableException or TaskCanceledException)
        {
            return Results.Problem(detail: $"the old SHO {change.FromSho} did not take the release: {ShoEndpoints.Clip(e.Message)}", statusCode: StatusCodes.Status502BadGateway,
                type: "urn:m2msec:error:sho-unavailable");
        }
        if (await store.Drf.TryMoveChangeAsync(pcid, DrfChange.Installed, DrfChange.Released, null, ct).ConfigureAwait(false))
            await store.Audit.AppendAsync("drf", "drf.change.released", pcid, $"{change.FromSho} told", ct).ConfigureAwait(false);
        return Results.Ok(Dto((await store.Drf.FindChangeAsync(pcid, ct).ConfigureAwait(false))!));
    }

    private static async Task<IResult> GetAsync(string pcid, IStateStore store, CancellationToken ct)
    {
        if (!Imsi.IsValid(pcid))
            return ApiProblem.BadRequest("bad-pcid", "pcid: expected 6 to 15 decimal digits (IMSI format)");
        return await store.Drf.FindChangeAsync(pcid, ct).ConfigureAwait(false) is { } c
            ? Results.Ok(Dto(c))
            : ApiProblem.NotFound("no-change", $"pcid: {pcid} has no change of subscription at this RO");
    }

    /// <summary>The PCID of the device holding <paramref name="imsi"/>, asked of the SHO whose PLMN the IMSI belongs to.</summary>
    private static async Task<(string? Pcid, IResult? Problem)> ResolveImsiAsync(string imsi, DrfOptions options, PeerClients peers, CancellationToken ct)
    {
        var owner = options.ShoPlmns.Where(r => imsi.StartsWith(r.Key, StringComparison.Ordinal)).OrderByDescending(r => r.Key.Length).Select(r => r.Value).FirstOrDefault();
        if (owner is null)
            return (null, ApiProblem.NotFound("unknown-imsi", $"imsi: {imsi} belongs to no SHO this RO knows (by its PLMN)"));
        try
        {
            var sub = await new ShoClient(peers.For(owner)).FindByImsiAsync(imsi, ct).ConfigureAwait(false);
            return sub.State == "active" ? (sub.Pcid, null)
                : (null, ApiProblem.Conflict("not-active", $"imsi: {imsi}'s subscription at {owner} is {sub.State}"));
        }
        catch (PeerRequestException e) when (e.StatusCode == System.Net.HttpStatusCode.NotFound)
        {
            return (null, ApiProblem.NotFound("unknown-imsi", $"imsi: {imsi} is held by no subscription of {owner}"));
        }
        catch (Exception e) when (e is HttpRequestException or PeerUnavailableException or TaskCanceledException)
        {
            return (null, Results.Problem(detail: $"the SHO {owner} could not resolve the IMSI: {ShoEndpoints.Clip(e.Message)}",
                statusCode: StatusCodes.Status502BadGateway, type: "urn:m2msec:error:sho-unavailable"));
        }
    }

    private static DrfChangeDto Dto(DrfChange c) => new(c.Pcid, c.FromSho, c.ToSho, c.State, c.Reason, c.UpdatedAt);
}
