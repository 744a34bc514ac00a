using M2MSec.NetworkFunctions.Hosting;

namespace M2MSec.NetworkFunctions.Sho;

/// <summary>Typed client of the SHO's API.</summary>
public sealed class ShoClient(HttpClient http)
{
    /// <summary>Step 12: the DRF registers the M2ME at the SHO.</summary>
    public Task<ShoRegistrationAccepted> RegisterAsync(ShoRegistrationRequest request, CancellationToken ct = default) =>
        JsonApiClient.PostAsync<ShoRegistrationRequest, ShoRegistrationAccepted>(http, "registrations", request, ct);
}
