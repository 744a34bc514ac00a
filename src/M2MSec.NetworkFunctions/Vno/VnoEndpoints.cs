using System.Net;
using System.Security.Cryptography;
using M2MSec.Aka;
using M2MSec.NetworkFunctions.Hosting;
using M2MSec.NetworkFunctions.Hss;
using M2MSec.NetworkFunctions.Icf;
using M2MSec.Storage;
using M2MSec.Storage.Hss;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace M2MSec.NetworkFunctions.Vno;

/// <summary>The VNO's device endpoints: attach (step 1), AKA (step 5), address (step 6). Every field validated before any state.</summary>
internal static class VnoEndpoints
{
    public static void MapDevice(IEndpointRouteBuilder devices)
    {
        devices.MapPost("/attach", AttachAsync).WithName("attach")
            .WithSummary("Step 1: attach with a PCID or an IMSI; answers an AKA challenge (RAND, AUTN)").Produces<AttachChallenge>()
            .ProducesProblems(StatusCodes.Status400BadRequest, StatusCodes.Status403Forbidden, StatusCodes.Status404NotFound, StatusCodes.Status502BadGateway,
                StatusCodes.Status503ServiceUnavailable);
        devices.MapPost("/attach/{attachId}", RespondAsync).WithName("attachResponse")
            .WithSummary("Step 5–6: RES (attached, an address) or AUTS (resynchronised, a new challenge)").Produces<AttachResult>()
            .ProducesProblems(StatusCodes.Status400BadRequest, StatusCodes.Status403Forbidden, StatusCodes.Status404NotFound, StatusCodes.Status502BadGateway);
    }

    private static async Task<IResult> AttachAsync(AttachRequest request, VnoOptions options, VnoAttachSessions sessions, PeerClients peers, CancellationToken ct)
    {
        if (!Imsi.IsValid(request.Identity))
            return ApiProblem.BadRequest("bad-identity", "identity: expected a PCID or IMSI, 6 to 15 decimal digits");
        var identity = request.Identity!;
        if (Route(options, identity) is not { } route)
            return ApiProblem.NotFound("no-route", "identity: no network serves this MCC+MNC here");
        return await ChallengeAsync(identity, route, null, options, sessions, peers, ct).ConfigureAwait(false);
    }

    private static async Task<IResult> RespondAsync(string attachId, AttachResponse request, VnoOptions options, VnoAttachSessions sessions, PeerClients peers,
        IStateStore store, VnoTriggers triggers, CancellationToken ct)
    {
        if (attachId.Length != 32 || !attachId.All(Uri.IsHexDigit))
            return ApiProblem.BadRequest("bad-attach-id", "attach_id: expected 32 hex digits");
        if ((request.Res is null) == (request.Auts is null))
            return ApiProblem.BadRequest("bad-response", "res/auts: expected exactly one of them");
        byte[] res = [];
        byte[] auts = [];
        if (request.Res is not null && (request.Res.Length is < 8 or > 32 || request.Res.Length % 2 != 0 || !request.Res.All(Uri.IsHexDigit)))
            return ApiProblem.BadRequest("bad-res", "res: expected 4 to 16 octets in hex (TS 33.102 §6.3.2)");
        if (request.Res is not null)
            res = Convert.FromHexString(request.Res);
        if (request.Auts is not null && !HexField.TryParse(request.Auts, AkaVectors.AutsSize, "auts", out auts, out var error))
            return ApiProblem.BadRequest("bad-auts", error);

        if (sessions.Take(attachId.ToLowerInvariant()) is not { } attach)
            return ApiProblem.NotFound("unknown-attach", "attach_id: no pending attach (unknown, answered or expired)");
        if (request.Auts is not null)
            return await ChallengeAsync(attach.Identity, attach.Route, (Hex(attach.Rand), Hex(auts)), options, sessions, peers, ct, resynchronised: true).ConfigureAwait(false);

        // XRES compared in fixed time (and of equal length: FixedTimeEquals is false otherwise).
        if (!CryptographicOperations.FixedTimeEquals(res, attach.Xres))
        {
            await store.Audit.AppendAsync("vno", "vno.attach.refused", attach.Identity, "RES differs from XRES", ct).ConfigureAwait(false);
            return ApiProblem.Forbidden("res-mismatch", "res: authentication failed");
        }
        var address = sessions.NextAddress();
        string? restricted = null;
        if (attach.Route == "icf")
        {
            // Step 6 → 8: the ICF learns the address and hands PCID, address and K_RO to the DRF. K_ASME is not kept on this route.
            CryptographicOperations.ZeroMemory(attach.Kasme);
            try
            {
                await new IcfClient(peers.For("icf")).ConfirmAttachAsync(attach.Identity, Hex(attach.Rand), address, ct).ConfigureAwait(false);
            }
            catch (PeerRequestException e) when (e.StatusCode is HttpStatusCode.Conflict or HttpStatusCode.Forbidden or HttpStatusCode.NotFound)
            {
                return ApiProblem.Forbidden("attach-refused", $"identity: the Registration Operator refused the attach ({e.ProblemType})");
            }
            catch (Exception e) when (e is HttpRequestException or PeerUnavailableException or TaskCanceledException)
            {
                return BadGateway(e);
            }
            restricted = "ro";
            await store.Audit.AppendAsync("vno", "vno.attach", attach.Identity, $"address {address}, limited to the RO", ct).ConfigureAwait(false);
        }
        else
        {
            // Issue 17: the EPS NAS security context of this attach (K_NASint from K_ASME), kept for protected triggers; the device's
            // group-key-wrapping key K_GRP (docs/decisions/028); the attach's entry — one commit (decision 053): never a context without its K_GRP.
            try
            {
                await store.InOneCommitAsync(async () =>
                {
                    await triggers.StoreContextAsync(attach.Identity, attach.Kasme, ct).ConfigureAwait(false);
                    await Groups.GroupAttachKeys.OnAttachedAsync(store, attach.Identity, attach.Kasme, ct).ConfigureAwait(false);
                    await store.Audit.AppendAsync("vno", "vno.attach", attach.Identity, $"address {address}", ct).ConfigureAwait(false);
                }, ct).ConfigureAwait(false);
            }
            finally
            {
                CryptographicOperations.ZeroMemory(attach.Kasme);
            }
        }
        return Results.Ok(new AttachResult("attached", attach.Identity, address, restricted, null, null, null, options.ServingPlmn));
    }

    private static async Task<IResult> ChallengeAsync(string identity, string route, (string Rand, string Auts)? resync, VnoOptions options, VnoAttachSessions sessions,
        PeerClients peers, CancellationToken ct, bool resynchronised = false)
    {
        var snId = Hex(PlmnId.Encode(options.ServingPlmn));
        (string Rand, string Xres, string Autn, string? Kasme) v;
        try
        {
            if (route == "icf")
            {
                var answer = await new IcfClient(peers.For("icf")).GetVectorsAsync(identity, snId, resync is { } r ? new IcfResyncInfo(r.Rand, r.Auts) : null, ct)
                    .ConfigureAwait(false);
                var e = answer.Vectors[0];
                v = (e.Rand, e.Xres, e.Autn, e.Kasme);
            }
            else
            {
                var answer = await new HssClient(peers.For(route)).GetVectorsAsync(identity, 1, resync is { } r ? new ResyncInfo(r.Rand, r.Auts) : null, snId, ct)
                    .ConfigureAwait(false);
                var e = answer.Vectors[0];
                v = (e.Rand, e.Xres, e.Autn, e.Kasme);
            }
        }
        catch (HttpRequestException e) when (e.StatusCode is HttpStatusCode.Forbidden or HttpStatusCode.NotFound)
        {
            return ApiProblem.Forbidden("attach-refused", $"identity: the home network refused ({(int)e.StatusCode!})");
        }
        catch (Exception e) when (e is HttpRequestException or PeerUnavailableException or TaskCanceledException)
        {
            return BadGateway(e);
        }
        if (v.Kasme is null)
            return BadGateway(new InvalidOperationException("the home network sent no K_ASME"));
        var attach = new PendingAttach(identity, route, Convert.FromHexString(v.Rand), Convert.FromHexString(v.Xres), Convert.FromHexString(v.Autn),
            Convert.FromHexString(v.Kasme), sessions.Now + options.AttachLifetime);
        if (sessions.Add(attach) is not { } attachId)
            return Results.Problem(detail: "too many attaches pending", statusCode: StatusCodes.Status503ServiceUnavailable, type: "urn:m2msec:error:busy");
        var seconds = (int)options.AttachLifetime.TotalSeconds;
        return resynchronised
            ? Results.Ok(new AttachResult("challenge", identity, null, null, attachId, v.Rand, v.Autn))
            : Results.Ok(new AttachChallenge(attachId, v.Rand, v.Autn, seconds));
    }

    /// <summary>The peer for the identity's PLMN: the longest matching prefix of <see cref="VnoOptions.Routes"/>.</summary>
    internal static string? Route(VnoOptions options, string identity) =>
        options.Routes.Where(r => identity.StartsWith(r.Key, StringComparison.Ordinal)).OrderByDescending(r => r.Key.Length).Select(r => r.Value).FirstOrDefault();

    private static IResult BadGateway(Exception e) => Results.Problem(detail: $"the home network is unreachable: {e.GetType().Name}",
        statusCode: StatusCodes.Status502BadGateway, type: "urn:m2msec:error:peer-unavailable");

    private static string Hex(byte[] b) => Convert.ToHexStringLower(b);
}
