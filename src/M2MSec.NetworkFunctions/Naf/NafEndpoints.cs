using M2MSec.Aka.Gba;
using M2MSec.NetworkFunctions.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace M2MSec.NetworkFunctions.Naf;

/// <summary>The NAF's administrative API (issue 18): its Ua listener, and a Zn look-up of a B-TID that never shows the key.</summary>
internal static class NafEndpoints
{
    public static void Map(IEndpointRouteBuilder app)
    {
        app.MapGet("/ua", Ua).RequireAdministrator().WithName("nafUa")
            .WithSummary("Where Ua (TLS 1.2 PSK with the NAF key, TS 33.222 §5.4) listens: NAF_Id, PSK identity hint and prefix, cipher suite, counters")
            .Produces<NafUaInfo>();
        app.MapPost("/naf-keys", QueryAsync).RequireAdministrator().WithName("nafKeyQuery")
            .WithSummary("Asks the BSF over Zn for this NAF's key of a B-TID; answers IMPI, GBA type and lifetime, never the key")
            .Produces<NafKeyInfo>()
            .ProducesProblems(StatusCodes.Status400BadRequest, StatusCodes.Status404NotFound, StatusCodes.Status410Gone, StatusCodes.Status502BadGateway);
    }

    private static NafUaInfo Ua(NafUaServer ua, ZnClient zn) => new(ua.Options.Fqdn, zn.NafIdHex, ua.EndPoint.ToString(), UaPskTls.IdentityHint, UaPskTls.MePrefix,
        "TLS_PSK_WITH_AES_128_GCM_SHA256", ua.Sessions, ua.Refused, zn.Requests, zn.CachedKeys);

    private static async Task<IResult> QueryAsync(NafKeyQuery query, ZnClient zn, CancellationToken ct)
    {
        if (!UaPskTls.IsBTid(query.BTid))
            return ApiProblem.BadRequest("bad-b-tid", "b_tid: expected a B-TID, 1 to 255 printable ASCII characters without spaces");
        var result = await zn.RequestAsync(query.BTid!, ct).ConfigureAwait(false);
        if (result.Key is { } key)
            return Results.Ok(new NafKeyInfo(key.BTid, key.Impi, key.GbaType, zn.NafIdHex, key.BootstrappingTime, key.Expires));
        return result.Refusal switch
        {
            ZnRefusal.UnknownBTid => ApiProblem.NotFound("unknown-b-tid", "b_tid: the BSF knows no such bootstrapping"),
            ZnRefusal.Expired => Results.Problem(detail: "b_tid: the bootstrapping has expired; the device bootstraps again", statusCode: StatusCodes.Status410Gone,
                type: "urn:m2msec:error:b-tid-expired"),
            ZnRefusal.NotAuthorised => Results.Problem(detail: "the BSF refused this NAF's certificate for its NAF_Id (naf-not-authorised)", statusCode: StatusCodes.Status502BadGateway,
                type: "urn:m2msec:error:naf-not-authorised"),
            _ => Results.Problem(detail: $"the BSF did not answer: {result.Detail}", statusCode: StatusCodes.Status502BadGateway, type: "urn:m2msec:error:bsf-unavailable"),
        };
    }
}
