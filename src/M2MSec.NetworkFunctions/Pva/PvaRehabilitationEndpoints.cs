using System.Security.Cryptography;
using M2MSec.NetworkFunctions.Hosting;
using M2MSec.Provisioning.Validation;
using M2MSec.Storage;
using M2MSec.Storage.Hss;
using M2MSec.Storage.Pva;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace M2MSec.NetworkFunctions.Pva;

/// <summary>
/// Issue 16 (docs/decisions/020): the manufacturer's firmware updates (role ccif, history kept) and the rehabilitation of a
/// locked-down TRE — fresh evidence over the TRE's own nonce judged like a validation, answered by a signed statement.
/// </summary>
internal static class PvaRehabilitationEndpoints
{
    private const int MaxEvidence = 8 * 1024;

    public static void Map(IEndpointRouteBuilder app)
    {
        app.MapPost("/references/{pcid}/measurements", AddFirmwareUpdateAsync).RequireRole(["ccif"]).WithName("addFirmwareUpdate")
            .WithSummary("A firmware update's reference measurements for a PCID, from the manufacturer (role ccif)").Produces<MeasurementSetRegistered>(StatusCodes.Status201Created)
            .ProducesProblems(StatusCodes.Status400BadRequest, StatusCodes.Status404NotFound);
        app.MapPost("/rehabilitations", RehabilitateAsync).RequireRole(["dpf", "sho"]).WithName("rehabilitateTre")
            .WithSummary("A locked TRE's fresh evidence over its own nonce; answers the signed rehabilitation statement (roles dpf, sho)")
            .Produces<RehabilitationAnswer>().ProducesProblems(StatusCodes.Status400BadRequest, StatusCodes.Status404NotFound, StatusCodes.Status503ServiceUnavailable);
    }

    private static async Task<IResult> AddFirmwareUpdateAsync(string pcid, MeasurementSetRequest request, IStateStore store, TimeProvider time, HttpContext context,
        CancellationToken ct)
    {
        if (!Imsi.IsValid(pcid))
            return ApiProblem.BadRequest("bad-pcid", "pcid: expected 6 to 15 decimal digits (IMSI format)");
        if (!PvaEndpoints.TryMeasurements(request.Measurements, out var measurements, out var error))
            return ApiProblem.BadRequest("bad-measurements", error);
        if (await store.Pva.FindReferenceAsync(pcid, ct).ConfigureAwait(false) is null)
            return ApiProblem.NotFound("no-reference", $"pcid: {pcid} has no reference to update");
        var actor = AdministratorFilter.Actor(context);
        await store.Pva.AddMeasurementSetAsync(new PvaMeasurementSet(pcid, measurements, actor, time.GetUtcNow()), ct).ConfigureAwait(false);
        var count = (await store.Pva.ListMeasurementSetsAsync(pcid, ct).ConfigureAwait(false)).Count;
        await store.Audit.AppendAsync(actor, "pva.reference.update", pcid, $"{measurements.Count} measurements (firmware update {count})", ct).ConfigureAwait(false);
        return Results.Created($"/references/{pcid}", new MeasurementSetRegistered(pcid, count));
    }

    private static async Task<IResult> RehabilitateAsync(RehabilitationRequest request, IStateStore store, PlatformValidator validator, PvaOptions options,
        TimeProvider time, HttpContext context, CancellationToken ct)
    {
        if (!Imsi.IsValid(request.Pcid))
            return ApiProblem.BadRequest("bad-pcid", "pcid: expected 6 to 15 decimal digits (IMSI format)");
        if (!PvaEndpoints.TryCertificate(request.PfcAttestation, "pfc_attestation", out var attestation, out var error)
            || !PvaEndpoints.TryCertificate(request.PfcEncryption, "pfc_encryption", out var encryption, out error))
            return ApiProblem.BadRequest("bad-certificate", error);
        if (!HexField.TryParse(request.TreNonce, 32, "tre_nonce", out var treNonce, out error))
            return ApiProblem.BadRequest("bad-tre-nonce", error);
        if (string.IsNullOrEmpty(request.Evidence) || request.Evidence.Length > MaxEvidence * 2 || !PvaEndpoints.TryBase64(request.Evidence, out var evidence))
            return ApiProblem.BadRequest("bad-evidence", $"evidence: expected base64 of at most {MaxEvidence} octets");
        var reference = await store.Pva.FindReferenceAsync(request.Pcid!, ct).ConfigureAwait(false);
        if (reference is null)
            return ApiProblem.NotFound("no-reference", $"pcid: {request.Pcid} has no reference");
        var tls = context.RequestServices.GetService<NetworkFunctionTls>();
        if (tls is null)
            return Results.Problem(detail: "statements are signed under the PVA's certificate: serve pva with --cert/--key", statusCode: StatusCodes.Status503ServiceUnavailable,
                type: "urn:m2msec:error:no-signing-certificate");
        // Judged exactly as a validation whose challenge is the TRE's nonce: the TRE, not the PVA, keeps it single-use.
        var now = time.GetUtcNow();
        var actor = AdministratorFilter.Actor(context);
        var judged = new PvaValidation("reh-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(12)), request.Pcid!, attestation, encryption, [], treNonce,
            actor, now, now + options.ChallengeLifetime, PvaValidation.Pending);
        var updates = await store.Pva.ListMeasurementSetsAsync(request.Pcid!, ct).ConfigureAwait(false);
        var reason = await validator.JudgeAsync(judged, reference, evidence, now, ct, updates).ConfigureAwait(false);
        var accepted = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        if (reason is null && AttestationStatement.TryDecode(evidence, out var statement, out _, out _))
        {
            foreach (var m in statement.Measurements)
                accepted[m.Name] = m.Sha256;
        }
        var result = reason is null ? PvaVerdict.Valid : PvaVerdict.Invalid;
        var signed = PvaRehabilitation.Sign(new PvaRehabilitation(reference.TreId, request.Pcid!, PvaVerdict.Fingerprint(attestation, encryption), treNonce, accepted,
            result, reason, now), tls.Certificate, tls.Intermediates);
        await store.Audit.AppendAsync(actor, "pva.rehabilitation." + result, request.Pcid!, reason ?? $"{accepted.Count} measurements accepted", ct).ConfigureAwait(false);
        return Results.Ok(new RehabilitationAnswer(request.Pcid!, result, reason, signed));
    }
}
