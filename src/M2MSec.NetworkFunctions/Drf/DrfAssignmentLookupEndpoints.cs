using M2MSec.Dm.Bootstrap;
using M2MSec.NetworkFunctions.Hosting;
using M2MSec.Pki.Authority;
using M2MSec.Storage;
using M2MSec.Storage.Hss;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace M2MSec.NetworkFunctions.Drf;

/// <summary>
/// Issue 16, bulk preparation (docs/decisions/023): which of the given PCIDs the DRF would hand to an SHO at step 9 (its assignment,
/// else the default SHO) — so an SHO prepares MCIMs only for devices that will come to it. It answers only with the PCIDs that
/// belong to the SHO named, never another SHO's, and an SHO may name only itself.
/// </summary>
internal static class DrfAssignmentLookupEndpoints
{
    public const int MaxPcids = 1000;

    public static void Map(IEndpointRouteBuilder app) =>
        app.MapPost("/assignments/lookup", LookupAsync).RequireAdministratorOrRole(["sho"]).WithName("lookupAssignments")
            .WithSummary("Of PCIDS (at most 1000), those step 9 would hand to SHO_ID (its assignment, else the default SHO)")
            .Produces<AssignmentLookupResult>().ProducesProblems(StatusCodes.Status400BadRequest);

    private static async Task<IResult> LookupAsync(AssignmentLookupRequest request, IStateStore store, DrfOptions options, HttpContext http, CancellationToken ct)
    {
        if (!BootstrapM2MContext.IsValidShoId(request.ShoId))
            return ApiProblem.BadRequest("bad-sho-id", "sho_id: expected 1 to 64 of A-Z a-z 0-9 . _ -");
        // An SHO (its nf certificate's CN is its SHO id) learns only its own devices; administrators may ask for any SHO.
        if (http.Connection.ClientCertificate is { } cert && CertificateRoles.RoleOf(cert) == "sho" && CallerName.Of(http) != request.ShoId)
            return ApiProblem.Forbidden("not-this-sho", $"sho_id: the caller is '{AdministratorFilter.SubjectOf(cert)}', an SHO may only look up its own devices");
        if (request.Pcids is not { Count: >= 1 and <= MaxPcids })
            return ApiProblem.BadRequest("bad-pcids", $"pcids: expected 1 to {MaxPcids} PCIDs");
        if (request.Pcids.FirstOrDefault(p => !Imsi.IsValid(p)) is { } bad)
            return ApiProblem.BadRequest("bad-pcids", $"pcids: '{(bad.Length > 20 ? bad[..20] : bad)}' is not a PCID (6 to 15 decimal digits)");
        var mine = new List<string>();
        foreach (var pcid in request.Pcids.Distinct(StringComparer.Ordinal))
        {
            if ((await store.Drf.FindAssignmentAsync(pcid, ct).ConfigureAwait(false) ?? options.DefaultShoId) == request.ShoId)
                mine.Add(pcid);
        }
        return Results.Ok(new AssignmentLookupResult(request.ShoId!, mine));
    }
}

/// <summary>POST /assignments/lookup: an SHO id and the PCIDs to look up.</summary>
public sealed record AssignmentLookupRequest(string? ShoId, IReadOnlyList<string>? Pcids);

/// <summary>The PCIDs (of those asked) that belong to the SHO.</summary>
public sealed record AssignmentLookupResult(string ShoId, IReadOnlyList<string> Pcids);
