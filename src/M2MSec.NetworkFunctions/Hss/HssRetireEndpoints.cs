using M2MSec.NetworkFunctions.Hosting;
using M2MSec.Storage.Audit;
using M2MSec.Storage.Hss;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace M2MSec.NetworkFunctions.Hss;

/// <summary>
/// Issue 16 (docs/decisions/021): the SHO retires an IMSI whose MCIM the TRE deleted after a change of subscription — the subscriber
/// (K, OPc, SQN) is removed, so the HSS makes no vector for it again and AKA with the old IMSI is refused.
/// </summary>
internal static class HssRetireEndpoints
{
    public static void Map(IEndpointRouteBuilder app) =>
        app.MapDelete("/subscribers/{imsi}", RetireAsync).RequireAdministratorOrRole(["sho"]).WithName("retireSubscriber")
            .WithSummary("Retires a subscriber: K, OPc and SQN state removed; no vector is made for the IMSI again")
            .Produces(StatusCodes.Status204NoContent).ProducesProblems(StatusCodes.Status400BadRequest, StatusCodes.Status404NotFound);

    private static async Task<IResult> RetireAsync(string imsi, HttpContext http, IEditableHssSubscriberStore store, AuthenticationCentre auc, IAuditLog audit, CancellationToken ct)
    {
        if (!Imsi.IsValid(imsi))
            return ApiProblem.BadRequest("bad-imsi", "imsi: expected 6 to 15 decimal digits");
        if (!await store.RemoveAsync(imsi, ct).ConfigureAwait(false))
            return ApiProblem.NotFound("unknown-subscriber", $"imsi: {imsi} is not provisioned here");
        auc.ForgetSqnBlock(imsi);
        await audit.AppendAsync(AdministratorFilter.Actor(http), "subscriber.retire", imsi, null, ct).ConfigureAwait(false);
        return Results.NoContent();
    }
}
