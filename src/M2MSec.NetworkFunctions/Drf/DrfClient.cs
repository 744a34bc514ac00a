using M2MSec.NetworkFunctions.Hosting;

namespace M2MSec.NetworkFunctions.Drf;

/// <summary>Typed client of the DRF's API.</summary>
public sealed class DrfClient(HttpClient http)
{
    /// <summary>Step 11→12: the DPF passes the M2MMobj it read; the DRF registers the M2ME at the SHO.</summary>
    public Task<RegistrationAccepted> SubmitM2MMobjAsync(string pcid, M2MMobjDto m2mMobj, CancellationToken ct = default) =>
        JsonApiClient.PostAsync<M2MMobjDto, RegistrationAccepted>(http, $"registrations/{Uri.EscapeDataString(pcid)}/m2mmobj", m2mMobj, ct);

    /// <summary>Step 8: the ICF hands PCID, address and K_RO to the DRF.</summary>
    public Task<BootstrapRequestAccepted> SubmitBootstrapRequestAsync(string pcid, string ipAddress, ReadOnlySpan<byte> kRo, CancellationToken ct = default) =>
        JsonApiClient.PostAsync<BootstrapRequestDto, BootstrapRequestAccepted>(http, "bootstrap-requests",
            new BootstrapRequestDto(pcid, ipAddress, Convert.ToHexStringLower(kRo)), ct);

    /// <summary>An administrator assigns a PCID to a SHO.</summary>
    public Task<Assignment> AssignAsync(string pcid, string shoId, CancellationToken ct = default) =>
        JsonApiClient.PutAsync<AssignmentRequest, Assignment>(http, $"assignments/{Uri.EscapeDataString(pcid)}", new AssignmentRequest(shoId), ct);

    // Issue 16, change of subscription.

    /// <summary>The new SHO asks the RO to re-assign the PCID to it.</summary>
    public Task<Sho.ChangeAccepted> RequestChangeAsync(DrfChangeRequest request, CancellationToken ct = default) =>
        JsonApiClient.PostAsync<DrfChangeRequest, Sho.ChangeAccepted>(http, "changes", request, ct);

    /// <summary>The DPF reports the end of a change's provisioning.</summary>
    public Task<DrfChangeDto> ReportChangeAsync(string pcid, DrfChangeStatusRequest request, CancellationToken ct = default) =>
        JsonApiClient.PostAsync<DrfChangeStatusRequest, DrfChangeDto>(http, $"changes/{Uri.EscapeDataString(pcid)}/status", request, ct);

    /// <summary>Administrators: where a PCID's change stands.</summary>
    public Task<DrfChangeDto> GetChangeAsync(string pcid, CancellationToken ct = default) =>
        JsonApiClient.GetAsync<DrfChangeDto>(http, $"changes/{Uri.EscapeDataString(pcid)}", ct);
}
