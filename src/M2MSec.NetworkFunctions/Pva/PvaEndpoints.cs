using System.Security.Cryptography;
using M2MSec.NetworkFunctions.Ccif;
using M2MSec.NetworkFunctions.Hosting;
using M2MSec.Pki;
using M2MSec.Provisioning.Validation;
using M2MSec.Storage;
using M2MSec.Storage.Audit;
using M2MSec.Storage.Hss;
using M2MSec.Storage.Pva;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace M2MSec.NetworkFunctions.Pva;

/// <summary>HTTP API of the PVA (docs/provisioning.md): references, validations, evidence, and the administrators' listing.</summary>
internal static class PvaEndpoints
{
    private const int MaxDer = 8 * 1024;
    private const int MaxEvidence = 8 * 1024;

    public static void Map(IEndpointRouteBuilder app)
    {
        // The reference comes from the manufacturer (its CCIF) only — never from the device or the SHO (issue 15).
        app.MapPost("/references", AddReferenceAsync).RequireRole(["ccif"]).WithName("addReference")
            .WithSummary("The manufacturer's reference measurements and PfC for a PCID (role ccif)").Produces<ReferenceRegistered>(StatusCodes.Status201Created)
            .ProducesProblems(StatusCodes.Status400BadRequest, StatusCodes.Status409Conflict);
        app.MapPost("/validations", StartValidationAsync).RequireRole(["sho"]).WithName("startValidation")
            .WithSummary("Step 13: validate a PfC and PCID; answers a fresh single-use challenge (role sho)").Produces<ValidationStarted>(StatusCodes.Status201Created)
            .ProducesProblems(StatusCodes.Status400BadRequest);
        app.MapPost("/validations/{id}/evidence", EvidenceAsync).RequireRole(["dpf", "sho"]).WithName("submitEvidence")
            .WithSummary("Steps 14–15: the TRE's attestation; answers the signed verdict (roles dpf, sho)").Produces<ValidationVerdict>()
            .ProducesProblems(StatusCodes.Status400BadRequest, StatusCodes.Status404NotFound, StatusCodes.Status409Conflict, StatusCodes.Status503ServiceUnavailable);
        PvaRehabilitationEndpoints.Map(app);
        app.MapGet("/validations", ListAsync).RequireAdministrator().WithName("listValidations")
            .WithSummary("A PCID's validations (no secret)").Produces<ValidationList>().ProducesProblems(StatusCodes.Status400BadRequest);
    }

    private static async Task<IResult> AddReferenceAsync(ReferenceRequest request, IStateStore store, TimeProvider time, HttpContext context, CancellationToken ct)
    {
        if (!Imsi.IsValid(request.Pcid))
            return ApiProblem.BadRequest("bad-pcid", "pcid: expected 6 to 15 decimal digits (IMSI format)");
        if (!TreIds.IsValid(request.TreId))
            return ApiProblem.BadRequest("bad-tre-id", "tre_id: expected 1 to 64 of A-Z a-z 0-9 . _ -");
        if (!TryMeasurements(request.Measurements, out var measurements, out var error))
            return ApiProblem.BadRequest("bad-measurements", error);
        if (!TryCertificate(request.PfcAttestation, "pfc_attestation", out var attestation, out error)
            || !TryCertificate(request.PfcEncryption, "pfc_encryption", out var encryption, out error)
            || !TryCertificate(request.ManufacturerRoot, "manufacturer_root", out var root, out error)
            || !TryCertificate(request.ManufacturerIssuing, "manufacturer_issuing", out var issuing, out error))
            return ApiProblem.BadRequest("bad-certificate", error);
        // The PfC the manufacturer issued is part of the reference: validations compare against it.
        var fingerprint = PvaVerdict.Fingerprint(attestation, encryption);
        var reference = new PvaReference(request.Pcid!, request.TreId!, measurements, fingerprint, root, issuing, time.GetUtcNow());
        if (PlatformValidator.CheckPfc(reference, attestation, encryption, time.GetUtcNow()) is not null)
            return ApiProblem.BadRequest("bad-certificate", "pfc_attestation: the PfC does not chain to manufacturer_root through manufacturer_issuing");
        // The reference and its entry in one transaction (decision 036).
        var entry = new AuditRecord(AdministratorFilter.Actor(context), "pva.reference.add", request.Pcid!, $"tre {request.TreId}, {measurements.Count} measurements, pfc {fingerprint[..16]}");
        if (!await store.Pva.AddReferenceAsync(reference, entry, ct).ConfigureAwait(false))
            return ApiProblem.Conflict("reference-exists", $"pcid: {request.Pcid} already has a reference; the first registration stands");
        return Results.Created($"/references/{request.Pcid}", new ReferenceRegistered(request.Pcid!, fingerprint));
    }

    private static async Task<IResult> StartValidationAsync(ValidationRequest request, IStateStore store, PvaOptions options, TimeProvider time,
        HttpContext context, CancellationToken ct)
    {
        if (!Imsi.IsValid(request.Pcid))
            return ApiProblem.BadRequest("bad-pcid", "pcid: expected 6 to 15 decimal digits (IMSI format)");
        if (!TryCertificate(request.PfcAttestation, "pfc_attestation", out var attestation, out var error)
            || !TryCertificate(request.PfcEncryption, "pfc_encryption", out var encryption, out error))
            return ApiProblem.BadRequest("bad-certificate", error);
        if (!HexField.TryParse(request.ShoNonce, 16, "sho_nonce", out var shoNonce, out error))
            return ApiProblem.BadRequest("bad-sho-nonce", error);
        var now = time.GetUtcNow();
        var validation = new PvaValidation("val-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(12)), request.Pcid!, attestation, encryption, shoNonce,
            RandomNumberGenerator.GetBytes(options.ChallengeSize), AdministratorFilter.Actor(context), now, now + options.ChallengeLifetime, PvaValidation.Pending);
        await store.Pva.AddValidationAsync(validation, new AuditRecord(validation.RequestedBy, "pva.validation.start", request.Pcid!, validation.Id), ct).ConfigureAwait(false);
        context.RequestServices.GetRequiredService<ProvisioningMetrics>().Audited("pva.validation.start", request.Pcid!);
        // The PfC (chain to the manufacturer root, the one registered for the PCID, not revoked) is judged with the evidence:
        // a refused platform is a signed verdict, never an HTTP error (docs/decisions/015).
        return Results.Created($"/validations/{validation.Id}", new ValidationStarted(validation.Id, Convert.ToHexStringLower(validation.Challenge), validation.ExpiresAt));
    }

    private static async Task<IResult> EvidenceAsync(string id, EvidenceRequest request, IStateStore store, PlatformValidator validator, TimeProvider time,
        HttpContext context, CancellationToken ct)
    {
        if (string.IsNullOrEmpty(request.Evidence) || request.Evidence.Length > MaxEvidence * 2 || !TryBase64(request.Evidence, out var evidence))
            return ApiProblem.BadRequest("bad-evidence", $"evidence: expected base64 of at most {MaxEvidence} octets");
        var validation = await store.Pva.FindValidationAsync(id, ct).ConfigureAwait(false);
        if (validation is null)
            return ApiProblem.NotFound("unknown-validation", "id: no such validation");
        if (validation.State != PvaValidation.Pending)
            return ApiProblem.Conflict("challenge-used", $"id: validation {id} is already settled ({validation.State}); its challenge is single-use");
        var reference = await store.Pva.FindReferenceAsync(validation.Pcid, ct).ConfigureAwait(false);
        var updates = await store.Pva.ListMeasurementSetsAsync(validation.Pcid, ct).ConfigureAwait(false);
        var reason = await validator.JudgeAsync(validation, reference, evidence, time.GetUtcNow(), ct, updates).ConfigureAwait(false);
        return await SettleAsync(validation, reason, store, context, time, ct).ConfigureAwait(false);
    }

    /// <summary>Signs the verdict under the PVA's nf certificate, settles the validation once (single-use), audits.</summary>
    private static async Task<IResult> SettleAsync(PvaValidation validation, string? reason, IStateStore store, HttpContext context, TimeProvider time, CancellationToken ct)
    {
        var tls = context.RequestServices.GetService<NetworkFunctionTls>();
        if (tls is null)
            return Results.Problem(detail: "verdicts are signed under the PVA's certificate: serve pva with --cert/--key", statusCode: StatusCodes.Status503ServiceUnavailable,
                type: "urn:m2msec:error:no-signing-certificate");
        var result = reason is null ? PvaVerdict.Valid : PvaVerdict.Invalid;
        var now = time.GetUtcNow();
        var verdict = new PvaVerdict(validation.Id, validation.Pcid, PvaVerdict.Fingerprint(validation.PfcAttestation, validation.PfcEncryption), result, reason, now,
            validation.ShoNonce);
        var signed = PvaVerdict.Sign(verdict, tls.Certificate, tls.Intermediates);
        var entry = new AuditRecord(AdministratorFilter.Actor(context), "pva.validation." + result, validation.Pcid, $"{validation.Id}{(reason is null ? "" : ": " + reason)}");
        if (!await store.Pva.CompleteValidationAsync(validation.Id, result, reason, signed, now, entry, ct).ConfigureAwait(false))
            return ApiProblem.Conflict("challenge-used", $"id: validation {validation.Id} is already settled; its challenge is single-use");
        context.RequestServices.GetRequiredService<ProvisioningMetrics>().Audited("pva.validation." + result, validation.Pcid);
        return Results.Ok(new ValidationVerdict(validation.Id, result, reason, signed));
    }

    private static async Task<IResult> ListAsync(string? pcid, IStateStore store, CancellationToken ct)
    {
        if (!Imsi.IsValid(pcid))
            return ApiProblem.BadRequest("bad-pcid", "pcid: expected 6 to 15 decimal digits (IMSI format)");
        var reference = await store.Pva.FindReferenceAsync(pcid!, ct).ConfigureAwait(false);
        var validations = await store.Pva.ListValidationsAsync(pcid!, cancellationToken: ct).ConfigureAwait(false);
        return Results.Ok(new ValidationList(pcid!, reference is not null, reference?.TreId, [.. validations.Select(v => new ValidationSummary(v.Id, v.Pcid, v.State,
            v.Reason, v.RequestedBy, v.CreatedAt, v.ExpiresAt, v.CompletedAt, PvaVerdict.Fingerprint(v.PfcAttestation, v.PfcEncryption)))]));
    }

    internal static bool TryMeasurements(Dictionary<string, string>? input, out Dictionary<string, byte[]> measurements, out string error)
    {
        measurements = new(StringComparer.Ordinal);
        if (input is null || input.Count is 0 or > AttestationStatement.MaxMeasurements)
        {
            error = $"measurements: expected 1 to {AttestationStatement.MaxMeasurements} firmware images";
            return false;
        }
        foreach (var (name, hex) in input)
        {
            if (string.IsNullOrEmpty(name) || System.Text.Encoding.UTF8.GetByteCount(name) > AttestationStatement.MaxNameLength || name.Any(char.IsControl))
            {
                error = "measurements: an image name of 1 to 64 octets without control characters";
                return false;
            }
            if (!HexField.TryParse(hex, 32, "measurements." + (name.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-') ? name : "?"), out var hash, out error))
                return false;
            measurements[name] = hash;
        }
        error = "";
        return true;
    }

    internal static bool TryCertificate(string? base64, string field, out byte[] der, out string error)
    {
        der = [];
        error = $"{field}: expected a DER certificate, base64, at most {MaxDer} octets";
        if (string.IsNullOrEmpty(base64) || base64.Length > MaxDer * 2 || !TryBase64(base64, out der))
            return false;
        try
        {
            using var _ = DerCertificates.Load(der);
            return true;
        }
        catch (CryptographicException)
        {
            return false;
        }
    }

    internal static bool TryBase64(string text, out byte[] bytes)
    {
        bytes = new byte[text.Length];
        if (!Convert.TryFromBase64String(text, bytes, out var n) || n == 0)
            return false;
        bytes = bytes[..n];
        return true;
    }
}
