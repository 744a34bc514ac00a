using M2MSec.NetworkFunctions.Hosting;

namespace M2MSec.NetworkFunctions.Dpf;

/// <summary>Typed client of the DPF's API.</summary>
public sealed class DpfClient(HttpClient http)
{
    /// <summary>Step 10: the DRF opens a provisioning at the DPF with the device's DM account.</summary>
    public Task<ProvisioningCreated> CreateProvisioningAsync(CreateProvisioningRequest request, CancellationToken ct = default) =>
        JsonApiClient.PostAsync<CreateProvisioningRequest, ProvisioningCreated>(http, "provisionings", request, ct);

    /// <summary>Step 14: the SHO has the PVA's challenge taken to the TRE.</summary>
    public Task<ProvisioningState> RequestAttestationAsync(string pcid, AttestationRequest request, CancellationToken ct = default) =>
        JsonApiClient.PostAsync<AttestationRequest, ProvisioningState>(http, $"provisionings/{Uri.EscapeDataString(pcid)}/attestation", request, ct);

    /// <summary>Step 17: the SHO hands over the signed M2MSIMMobj and authorises its download.</summary>
    public Task<ProvisioningState> DeliverM2MSimMobjAsync(string pcid, M2MSimMobjDelivery request, CancellationToken ct = default) =>
        JsonApiClient.PostAsync<M2MSimMobjDelivery, ProvisioningState>(http, $"provisionings/{Uri.EscapeDataString(pcid)}/m2msimmobj", request, ct);

    // Issue 16, change of subscription.

    /// <summary>The DRF opens the change's provisioning on the device's existing DM account.</summary>
    public Task<ProvisioningState> CreateChangeAsync(DpfChangeRequest request, CancellationToken ct = default) =>
        JsonApiClient.PostAsync<DpfChangeRequest, ProvisioningState>(http, "changes", request, ct);

    /// <summary>An SHO hands signed life-cycle instructions for the device's next DM session.</summary>
    public Task<InstructionsQueued> DeliverInstructionsAsync(string pcid, InstructionDelivery request, CancellationToken ct = default) =>
        JsonApiClient.PostAsync<InstructionDelivery, InstructionsQueued>(http, $"instructions/{Uri.EscapeDataString(pcid)}", request, ct);
}
