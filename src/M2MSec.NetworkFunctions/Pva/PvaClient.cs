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

    /// <summary>The CCIF registers the manufacturer's reference for a device (role ccif only).</summary>
    public Task<ReferenceRegistered> RegisterReferenceAsync(ReferenceRequest request, CancellationToken ct = default) =>
        JsonApiClient.PostAsync<ReferenceRequest, ReferenceRegistered>(http, "references", request, ct);

    /// <summary>An administrator lists a PCID's validations (`m2msec pva show`).</summary>
    public Task<ValidationList> ListValidationsAsync(string pcid, CancellationToken ct = default) =>
        JsonApiClient.GetAsync<ValidationList>(http, $"validations?pcid={Uri.EscapeDataString(pcid)}", ct);

    /// <summary>The CCIF registers a firmware update's reference measurements (role ccif only; issue 16).</summary>
    public Task<MeasurementSetRegistered> RegisterFirmwareUpdateAsync(string pcid, MeasurementSetRequest request, CancellationToken ct = default) =>
        JsonApiClient.PostAsync<MeasurementSetRequest, MeasurementSetRegistered>(http, $"references/{Uri.EscapeDataString(pcid)}/measurements", request, ct);

    /// <summary>The DPF or SHO submits a locked TRE's fresh evidence; answers the signed rehabilitation statement (issue 16).</summary>
    public Task<RehabilitationAnswer> RehabilitateAsync(RehabilitationRequest request, CancellationToken ct = default) =>
        JsonApiClient.PostAsync<RehabilitationRequest, RehabilitationAnswer>(http, "rehabilitations", request, ct);
}
