using M2MSec.NetworkFunctions.Hosting;

namespace M2MSec.NetworkFunctions.Sho;

/// <summary>Typed client of the SHO's API.</summary>
public sealed class ShoClient(HttpClient http)
{
    /// <summary>Step 12: the DRF registers the M2ME at the SHO.</summary>
    public Task<ShoRegistrationAccepted> RegisterAsync(ShoRegistrationRequest request, CancellationToken ct = default) =>
        JsonApiClient.PostAsync<ShoRegistrationRequest, ShoRegistrationAccepted>(http, "registrations", request, ct);

    /// <summary>Step 15: the DPF forwards the PVA's verdict.</summary>
    public Task<ShoSubscriptionState> SubmitVerdictAsync(string pcid, ShoVerdictRequest request, CancellationToken ct = default) =>
        JsonApiClient.PostAsync<ShoVerdictRequest, ShoSubscriptionState>(http, $"registrations/{Uri.EscapeDataString(pcid)}/verdict", request, ct);

    /// <summary>Step 21: the DPF reports the install.</summary>
    public Task<ShoSubscriptionState> ReportStatusAsync(string pcid, ShoStatusRequest request, CancellationToken ct = default) =>
        JsonApiClient.PostAsync<ShoStatusRequest, ShoSubscriptionState>(http, $"registrations/{Uri.EscapeDataString(pcid)}/status", request, ct);

    /// <summary>Administrators: every subscription.</summary>
    public Task<ShoSubscriptionList> ListSubscriptionsAsync(CancellationToken ct = default) =>
        JsonApiClient.GetAsync<ShoSubscriptionList>(http, "subscriptions", ct);

    /// <summary>Administrators (and the DPF): the signing root.</summary>
    public Task<ShoSigningRoot> GetSigningRootAsync(CancellationToken ct = default) =>
        JsonApiClient.GetAsync<ShoSigningRoot>(http, "signing-root", ct);

    /// <summary>Administrators: add IMSIs to the pool.</summary>
    public Task<ImsiPoolAdded> AddImsiRangeAsync(string first, int count, CancellationToken ct = default) =>
        JsonApiClient.PostAsync<ImsiPoolRangeRequest, ImsiPoolAdded>(http, "imsi-pool", new ImsiPoolRangeRequest(first, count), ct);

    // Issue 16, change of subscription.

    /// <summary>Administrators of the new SHO: move the device (PCID or current IMSI) to this SHO.</summary>
    public Task<ChangeAccepted> RequestChangeAsync(ShoChangeRequest request, CancellationToken ct = default) =>
        JsonApiClient.PostAsync<ShoChangeRequest, ChangeAccepted>(http, "changes", request, ct);

    /// <summary>The DRF tells the old SHO the device's new MCIM is installed.</summary>
    public Task<ShoSubscriptionState> ReleaseAsync(string pcid, ShoReleaseRequest request, CancellationToken ct = default) =>
        JsonApiClient.PostAsync<ShoReleaseRequest, ShoSubscriptionState>(http, $"subscriptions/{Uri.EscapeDataString(pcid)}/released", request, ct);

    /// <summary>The DPF reports what the TRE did with this SHO's instructions.</summary>
    public Task<ShoSubscriptionState> ReportInstructionsAsync(string pcid, ShoInstructionStatusRequest request, CancellationToken ct = default) =>
        JsonApiClient.PostAsync<ShoInstructionStatusRequest, ShoSubscriptionState>(http, $"subscriptions/{Uri.EscapeDataString(pcid)}/instructions/status", request, ct);

    /// <summary>The DRF (or an administrator): the subscription that holds <paramref name="imsi"/>.</summary>
    public Task<ShoSubscriptionDto> FindByImsiAsync(string imsi, CancellationToken ct = default) =>
        JsonApiClient.GetAsync<ShoSubscriptionDto>(http, $"subscriptions/by-imsi/{Uri.EscapeDataString(imsi)}", ct);
}
