using M2MSec.Nas.Trigger;
using M2MSec.NetworkFunctions.Hosting;
using M2MSec.Storage;
using M2MSec.Storage.Hss;
using M2MSec.Storage.Vno;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace M2MSec.NetworkFunctions.Vno;

/// <summary>
/// Issue 20 (docs/decisions/033): the battery figure a running device reports to the serving network — a device state report of kind 5
/// (value: the remaining charge in per mille) protected like issue 17's (128-EIA2 under K_NASint with the next uplink COUNT; a replayed
/// COUNT refused by the stored one), stored in vno_battery by IMSI only once it verified. Administrators read it back.
/// </summary>
internal static class VnoBatteryEndpoints
{
    public static void MapDevice(IEndpointRouteBuilder devices) =>
        devices.MapPost("/battery", ReportAsync).WithName("batteryReport")
            .WithSummary("The device reports its battery (remaining charge in per mille), MAC'd under its K_NASint with the uplink COUNT")
            .Produces(StatusCodes.Status204NoContent).ProducesProblems(StatusCodes.Status400BadRequest, StatusCodes.Status403Forbidden, StatusCodes.Status404NotFound);

    public static void MapRole(IEndpointRouteBuilder app) =>
        app.MapGet("/battery/{identity}", GetAsync).RequireAdministrator().WithName("getBattery")
            .WithSummary("The last battery figure a device reported").Produces<VnoBatteryFigure>().ProducesProblems(StatusCodes.Status400BadRequest, StatusCodes.Status404NotFound);

    private static async Task<IResult> ReportAsync(VnoBatteryReport request, IStateStore store, TimeProvider time, CancellationToken ct)
    {
        if (!Imsi.IsValid(request.Identity))
            return ApiProblem.BadRequest("bad-identity", "identity: expected an IMSI, 6 to 15 decimal digits");
        if (request.LevelPermille is not { } level || level < 0 || level > 1000)
            return ApiProblem.BadRequest("bad-level-permille", "level_permille: expected an integer from 0 to 1000");
        var (refused, count) = await VnoTriggerEndpoints.CheckReportCountAsync(request.Identity!, request.Nas, new DeviceReport(DeviceReportKind.Battery, (uint)level), store, ct)
            .ConfigureAwait(false);
        if (refused is not null)
            return refused;
        await store.Vno.PutBatteryAsync(new VnoBattery(request.Identity!, (int)level, count, time.GetUtcNow()), ct).ConfigureAwait(false);
        return Results.NoContent();
    }

    private static async Task<IResult> GetAsync(string identity, IStateStore store, CancellationToken ct)
    {
        if (!Imsi.IsValid(identity))
            return ApiProblem.BadRequest("bad-identity", "identity: expected an IMSI, 6 to 15 decimal digits");
        return await store.Vno.FindBatteryAsync(identity, ct).ConfigureAwait(false) is { } b
            ? Results.Ok(new VnoBatteryFigure(b.Identity, b.LevelPermille, b.UplinkCount, b.ReportedAt))
            : ApiProblem.NotFound("no-battery", $"identity: {identity} never reported its battery here");
    }
}
