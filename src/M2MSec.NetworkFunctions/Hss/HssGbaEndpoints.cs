using M2MSec.Aka;
using M2MSec.Aka.Gba;
using M2MSec.NetworkFunctions.Hosting;
using M2MSec.Storage;
using M2MSec.Storage.Hss;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace M2MSec.NetworkFunctions.Hss;

/// <summary>
/// Issue 18: the HSS's Zh (TS 33.220 §4.5.2 step 2, TS 29.109): the BSF (role bsf, mutual TLS) asks for one vector by IMPI and gets
/// the subscriber's GUSS GBA type with it; with AUTS the SQN is resynchronised first (§4.5.2, TS 33.102 §6.3.5). The administrator
/// sets the GUSS choice (gba_u for UICC devices, gba_me for TRE devices; none set: gba_me, docs/decisions/029).
/// </summary>
internal static class HssGbaEndpoints
{
    public static void Map(IEndpointRouteBuilder app)
    {
        app.MapPost("/zh/gba-vectors", VectorAsync).RequireRole(["bsf"]).WithName("gbaVector")
            .WithSummary("Zh: one authentication vector and the GUSS GBA type for an IMPI (TS 33.220 §4.5.2), with resynchronisation")
            .Produces<GbaVectorResponse>().ProducesProblems(StatusCodes.Status400BadRequest, StatusCodes.Status404NotFound);
        app.MapPut("/subscribers/{imsi}/guss", SetGussAsync).RequireAdministrator().WithName("setGuss")
            .WithSummary("Sets the subscriber's GUSS GBA type (gba_me or gba_u)").Produces<GussResponse>()
            .ProducesProblems(StatusCodes.Status400BadRequest, StatusCodes.Status404NotFound);
        app.MapGet("/subscribers/{imsi}/guss", GetGussAsync).RequireAdministrator().WithName("getGuss")
            .WithSummary("The subscriber's GUSS GBA type").Produces<GussResponse>().ProducesProblems(StatusCodes.Status400BadRequest, StatusCodes.Status404NotFound);
    }

    private static async Task<IResult> VectorAsync(GbaVectorRequest request, AuthenticationCentre auc, IStateStore store, CancellationToken ct)
    {
        if (!Impi.TryGetImsi(request.Impi, out var imsi))
            return ApiProblem.BadRequest("bad-impi", "impi: expected IMSI@ims.mncMNC.mccMCC.3gppnetwork.org (TS 23.003 §13.3)");
        (byte[], byte[])? resync = null;
        if (request.Resync is { } r)
        {
            if (!HexField.TryParse(r.Rand, 16, "resync.rand", out var rand, out var error))
                return ApiProblem.BadRequest("bad-resync", error);
            if (!HexField.TryParse(r.Auts, AkaVectors.AutsSize, "resync.auts", out var auts, out error))
                return ApiProblem.BadRequest("bad-resync", error);
            resync = (rand, auts);
        }
        var result = await auc.RequestVectorsAsync(imsi, 1, null, resync, ct).ConfigureAwait(false);
        switch (result.Status)
        {
            case VectorRequestStatus.UnknownSubscriber:
                return ApiProblem.NotFound("unknown-subscriber", "impi: no subscriber of that IMPI");
            case VectorRequestStatus.ResyncMacFailure:
                return ApiProblem.Forbidden("auts-mac-failure", "resync.auts: MAC-S does not verify; SQN unchanged");
        }
        var v = result.Vectors[0];
        var type = await store.Guss.FindGbaTypeAsync(imsi, ct).ConfigureAwait(false) ?? GbaTypes.GbaMe;
        return Results.Ok(new GbaVectorResponse(request.Impi!, type, result.Resynchronised, Hex(v.Rand), Hex(v.Xres), Hex(v.Autn), Hex(v.Ck!), Hex(v.Ik!)));
    }

    private static async Task<IResult> SetGussAsync(string imsi, GussRequest request, IStateStore store, HttpContext http, CancellationToken ct)
    {
        if (!Imsi.IsValid(imsi))
            return ApiProblem.BadRequest("bad-imsi", "imsi: expected 6 to 15 decimal digits");
        if (!GbaTypes.IsValid(request.GbaType))
            return ApiProblem.BadRequest("bad-gba-type", "gba_type: expected gba_me or gba_u");
        if (await store.Subscribers.GetSqnStateAsync(imsi, ct).ConfigureAwait(false) is null)
            return ApiProblem.NotFound("unknown-subscriber", $"imsi: {imsi} is not provisioned");
        // The setting and its entry in one commit (docs/decisions/053).
        await store.InOneCommitAsync(async () =>
        {
            await store.Guss.SetGbaTypeAsync(imsi, request.GbaType!, ct).ConfigureAwait(false);
            await store.Audit.AppendAsync(AdministratorFilter.Actor(http), "guss.set", imsi, request.GbaType, ct).ConfigureAwait(false);
        }, ct).ConfigureAwait(false);
        return Results.Ok(new GussResponse(imsi, request.GbaType!));
    }

    private static async Task<IResult> GetGussAsync(string imsi, IStateStore store, CancellationToken ct)
    {
        if (!Imsi.IsValid(imsi))
            return ApiProblem.BadRequest("bad-imsi", "imsi: expected 6 to 15 decimal digits");
        if (await store.Subscribers.GetSqnStateAsync(imsi, ct).ConfigureAwait(false) is null)
            return ApiProblem.NotFound("unknown-subscriber", $"imsi: {imsi} is not provisioned");
        return Results.Ok(new GussResponse(imsi, await store.Guss.FindGbaTypeAsync(imsi, ct).ConfigureAwait(false) ?? GbaTypes.GbaMe));
    }

    private static string Hex(byte[] b) => Convert.ToHexStringLower(b);
}
