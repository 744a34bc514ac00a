using M2MSec.NetworkFunctions.Hosting;

namespace M2MSec.NetworkFunctions.Pva;

/// <summary>Typed client of the PVA's API.</summary>
public sealed class PvaClient(HttpClient http)
{
    /// <summary>Step 13: the SHO asks for a validation; the answer carries the challenge for the TRE.</summary>
    public Task<ValidationStarted> RequestValidationAsync(ValidationRequest request, CancellationToken ct = default) =>
        JsonApiClient.PostAsync<ValidationRequest, ValidationStarted>(http, "validations", request, ct);

    /// <summary>Steps 14–15: the TRE's evidence; the answer is the signed verdict (a refused platform is a verdict too, not an error).</summary>
    public Task<ValidationVerdict> SubmitEvidenceAsync(string validationId, string evidenceBase64, CancellationToken ct = default) =>
        JsonApiClient.PostAsync<EvidenceRequest, ValidationVerdict>(http, $"validations/{Uri.EscapeDataString(validationId)}/evidence", new EvidenceRequest(evidenceBase64), ct);
}
