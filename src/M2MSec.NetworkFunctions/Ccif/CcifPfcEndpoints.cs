using M2MSec.NetworkFunctions.Hosting;
using M2MSec.Storage;
using M2MSec.Storage.Hss;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace M2MSec.NetworkFunctions.Ccif;

/// <summary>
/// Issue 16, bulk preparation (seed 003: "the registration of the devices and their respective platform credentials in advance at
/// the SHO"; docs/decisions/023): the manufactured devices' PfCs, which an SHO reads to seal MCIMs ahead of time. Public data
/// (certificates), but given to SHOs and administrators only; revoked PfCs are left out.
/// </summary>
internal static class CcifPfcEndpoints
{
    public const int MaxLimit = 1000;

    public static void Map(IEndpointRouteBuilder app) =>
        app.MapGet("/pfcs", ListAsync).RequireAdministratorOrRole(["sho"]).WithName("listPfcs")
            .WithSummary("Manufactured devices with a PfC that is not revoked, by PCID after AFTER (at most LIMIT ≤ 1000): PCID, TRE id, both PfC certificates")
            .Produces<CcifPfcPage>().ProducesProblems(StatusCodes.Status400BadRequest);

    private static async Task<IResult> ListAsync(string? after, int? limit, IStateStore store, CancellationToken ct)
    {
        if (after is not null && !Imsi.IsValid(after))
            return ApiProblem.BadRequest("bad-after", "after: expected a PCID, 6 to 15 decimal digits");
        if (limit is { } l && l is < 1 or > MaxLimit)
            return ApiProblem.BadRequest("bad-limit", $"limit: expected 1 to {MaxLimit}");
        var take = limit ?? 100;
        var rows = await store.Ccif.ListValidPfcsAsync(after, take, ct).ConfigureAwait(false);
        return Results.Ok(new CcifPfcPage([.. rows.Select(r => new CcifPfc(r.Pcid, r.TreId, Convert.ToBase64String(r.AttestationCertificate),
            Convert.ToBase64String(r.EncryptionCertificate)))], rows.Count == take ? rows[^1].Pcid : null));
    }
}

/// <summary>One device's public platform credential (DER base64).</summary>
public sealed record CcifPfc(string Pcid, string TreId, string PfcAttestation, string PfcEncryption);

/// <summary>GET /pfcs: a page of devices, and the PCID to continue after (null: the last page).</summary>
public sealed record CcifPfcPage(IReadOnlyList<CcifPfc> Devices, string? Next);
