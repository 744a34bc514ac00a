using M2MSec.NetworkFunctions.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace M2MSec.NetworkFunctions.Sho;

/// <summary>
/// Issue 16, bulk preparation (`m2msec sho prepare`; docs/decisions/023): administrators have the SHO seal MCIMs ahead of time for
/// devices whose PfC the manufacturer registered (the CCIF) and that the RO hands to this SHO (the DRF).
/// </summary>
internal static class ShoPreparationEndpoints
{
    public static void Map(IEndpointRouteBuilder app) =>
        app.MapPost("/preparations", PrepareAsync).RequireAdministrator().WithName("prepareMcims")
            .WithSummary("Seal up to COUNT MCIMs ahead of time, on all cores, for devices assigned to this SHO whose PfC was registered in advance; each expires after LIFETIME_SECONDS")
            .Produces<PreparationResult>()
            .ProducesProblems(StatusCodes.Status400BadRequest, StatusCodes.Status409Conflict, StatusCodes.Status502BadGateway);

    private static async Task<IResult> PrepareAsync(PreparationRequest request, HttpContext http, ShoContext sho, CancellationToken ct)
    {
        if (request.Count is not (>= 1 and <= PreparationLimits.MaxCount))
            return ApiProblem.BadRequest("bad-count", $"count: expected 1 to {PreparationLimits.MaxCount}");
        var lifetime = request.LifetimeSeconds is { } s ? TimeSpan.FromSeconds(s) : PreparationLimits.DefaultLifetime;
        if (lifetime < PreparationLimits.MinLifetime || lifetime > PreparationLimits.MaxLifetime)
            return ApiProblem.BadRequest("bad-lifetime", $"lifetime_seconds: expected {PreparationLimits.MinLifetime.TotalSeconds:F0} to {PreparationLimits.MaxLifetime.TotalSeconds:F0}");
        if (ShoPreparations.PreparerOf(sho.Packager) is null)
            return ApiProblem.Conflict("preparation-unsupported", "this SHO's MCIM packager cannot seal ahead of time");
        PreparationOutcome o;
        try
        {
            o = await ShoPreparations.PrepareAsync(sho, request.Count.Value, lifetime, ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is HttpRequestException or PeerUnavailableException or TaskCanceledException && !ct.IsCancellationRequested)
        {
            var peer = e is PeerUnavailableException p ? p.Role : e.Message.Contains("assignments", StringComparison.Ordinal) ? "drf" : "ccif";
            return Results.Problem(detail: $"the {peer} did not answer which devices to prepare for: {ShoEndpoints.Clip(e.Message)}",
                statusCode: StatusCodes.Status502BadGateway, type: $"urn:m2msec:error:{peer}-unavailable");
        }
        await sho.AuditAsync("sho.preparation.requested", sho.Options.ShoId, $"count {request.Count}, lifetime {lifetime.TotalSeconds:F0} s", ct,
            AdministratorFilter.Actor(http)).ConfigureAwait(false);
        return Results.Ok(new PreparationResult(o.Requested, o.Prepared, o.Skipped, o.OtherSho, o.Failed, o.PoolExhausted, o.ExpiresAt, o.ElapsedMs, o.SealMs,
            o.SealsPerSecond, o.Cores));
    }
}

/// <summary>What POST /preparations accepts (issue 16).</summary>
public static class PreparationLimits
{
    public const int MaxCount = 100_000;
    public static readonly TimeSpan DefaultLifetime = TimeSpan.FromDays(30);
    public static readonly TimeSpan MinLifetime = TimeSpan.FromMinutes(1);
    public static readonly TimeSpan MaxLifetime = TimeSpan.FromDays(365);
}

/// <summary>POST /preparations (administrators): how many MCIMs to prepare, and how long each stays usable (default 30 days).</summary>
public sealed record PreparationRequest(int? Count, int? LifetimeSeconds);

/// <summary>
/// What a preparation did: prepared (sealed and stored), skipped (devices already registered or prepared here), other_sho (devices
/// the DRF hands to another SHO), failed (could not be sealed), pool_exhausted, the expiry, the wall time, the time spent sealing
/// and the sealing rate on all cores.
/// </summary>
public sealed record PreparationResult(int Requested, int Prepared, int Skipped, int OtherSho, int Failed, bool PoolExhausted, DateTimeOffset ExpiresAt,
    long ElapsedMs, long SealMs, double SealsPerSecond, int Cores);
