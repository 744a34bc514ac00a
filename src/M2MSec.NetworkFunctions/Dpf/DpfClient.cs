using M2MSec.NetworkFunctions.Hosting;

namespace M2MSec.NetworkFunctions.Dpf;

/// <summary>Typed client of the DPF's API.</summary>
public sealed class DpfClient(HttpClient http)
{
    /// <summary>Step 10: the DRF opens a provisioning at the DPF with the device's DM account.</summary>
    public Task<ProvisioningCreated> CreateProvisioningAsync(CreateProvisioningRequest request, CancellationToken ct = default) =>
        JsonApiClient.PostAsync<CreateProvisioningRequest, ProvisioningCreated>(http, "provisionings", request, ct);
}
