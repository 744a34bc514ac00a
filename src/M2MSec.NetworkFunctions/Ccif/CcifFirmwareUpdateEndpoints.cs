using M2MSec.NetworkFunctions.Hosting;
using M2MSec.NetworkFunctions.Pva;
using M2MSec.Provisioning.Validation;
using M2MSec.Storage;
using M2MSec.Storage.Hss;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace M2MSec.NetworkFunctions.Ccif;

/// <summary>
/// Issue 16 (docs/decisions/020): the manufacturer registers a firmware update's reference measurements for a device it built;
/// the CCIF forwards them to the PVA (POST /references/{pcid}/measurements, role ccif), which keeps the history.
/// </summary>
internal static class CcifFirmwareUpdateEndpoints
{
    public static void Map(IEndpointRouteBuilder app) =>
        app.MapPost("/devices/{pcid}/firmware-updates", RegisterAsync).RequireAdministrator().WithName("registerFirmwareUpdate")
            .WithSummary("A firmware update's reference measurements (SHA-256 per image), forwarded to the PVA (administrator: the manufacturer)")
            .Produces<MeasurementSetRegistered>(StatusCodes.Status201Created)
            .ProducesProblems(StatusCodes.Status400BadRequest, StatusCodes.Status404NotFound, StatusCodes.Status409Conflict, StatusCodes.Status502BadGateway);

    private static async Task<IResult> RegisterAsync(string pcid, FirmwareUpdateRequest request, IStateStore store, PeerClients peers, HttpContext context,
        CancellationToken ct)
    {
        if (!Imsi.IsValid(pcid))
            return ApiProblem.BadRequest("bad-pcid", "pcid: expected 6 to 15 decimal digits (IMSI format)");
        if (request.Measurements is null || request.Measurements.Count is 0 or > AttestationStatement.MaxMeasurements)
            return ApiProblem.BadRequest("bad-measurements", $"measurements: expected 1 to {AttestationStatement.MaxMeasurements} firmware images");
        foreach (var (name, hex) in request.Measurements)
        {
            if (string.IsNullOrEmpty(name) || System.Text.Encoding.UTF8.GetByteCount(name) > AttestationStatement.MaxNameLength || name.Any(char.IsControl)
                || !HexField.TryParse(hex, 32, "measurements", out _, out _))
                return ApiProblem.BadRequest("bad-measurements", "measurements: image names of 1 to 64 octets, each a SHA-256 of 64 hex digits");
        }
        var device = await store.Ccif.FindDeviceAsync(pcid, ct).ConfigureAwait(false);
        if (device is null)
            return ApiProblem.NotFound("unknown-pcid", $"pcid: {pcid} was not manufactured here");
        if (device.RevokedAt is not null)
            return ApiProblem.Conflict("pfc-revoked", $"pcid: {pcid}'s PfC is revoked; no update is registered for it");
        MeasurementSetRegistered registered;
        try
        {
            registered = await new PvaClient(peers.For("pva")).RegisterFirmwareUpdateAsync(pcid, new MeasurementSetRequest(
                request.Measurements.ToDictionary(m => m.Key, m => m.Value.ToLowerInvariant(), StringComparer.Ordinal)), ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is HttpRequestException or PeerUnavailableException or TaskCanceledException && !ct.IsCancellationRequested)
        {
            return Results.Problem(detail: "the PVA did not take the firmware update: " + (e.Message.Length > 200 ? e.Message[..200] : e.Message),
                statusCode: StatusCodes.Status502BadGateway, type: "urn:m2msec:error:peer-failed");
        }
        await store.Audit.AppendAsync(AdministratorFilter.Actor(context), "ccif.firmware-update", pcid,
            $"{request.Measurements.Count} measurements (firmware update {registered.FirmwareUpdates})", ct).ConfigureAwait(false);
        return Results.Created($"/devices/{pcid}", registered);
    }
}
