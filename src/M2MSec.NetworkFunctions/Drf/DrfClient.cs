using M2MSec.NetworkFunctions.Hosting;

namespace M2MSec.NetworkFunctions.Drf;

/// <summary>Typed client of the DRF's API.</summary>
public sealed class DrfClient(HttpClient http)
{
    /// <summary>Step 11→12: the DPF passes the M2MMobj it read; the DRF registers the M2ME at the SHO.</summary>
    public Task<RegistrationAccepted> SubmitM2MMobjAsync(string pcid, M2MMobjDto m2mMobj, CancellationToken ct = default) =>
        JsonApiClient.PostAsync<M2MMobjDto, RegistrationAccepted>(http, $"registrations/{Uri.EscapeDataString(pcid)}/m2mmobj", m2mMobj, ct);
}
