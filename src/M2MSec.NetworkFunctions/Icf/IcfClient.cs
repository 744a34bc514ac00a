using M2MSec.NetworkFunctions.Hosting;

namespace M2MSec.NetworkFunctions.Icf;

/// <summary>Typed client of the ICF's API.</summary>
public sealed class IcfClient(HttpClient http)
{
    /// <summary>The CCIF hands a PCID's temporary credential to the ICF (K, OPc: secrets, over mutual TLS only).</summary>
    public Task<TemporaryCredentialCreated> AddTemporaryCredentialAsync(string pcid, ReadOnlySpan<byte> k, ReadOnlySpan<byte> opc, CancellationToken ct = default) =>
        JsonApiClient.PostAsync<TemporaryCredentialRequest, TemporaryCredentialCreated>(http, "temporary-credentials",
            new TemporaryCredentialRequest(pcid, Convert.ToHexStringLower(k), Convert.ToHexStringLower(opc), null), ct);

    /// <summary>Steps 2–4: the VNO asks for EPS vectors for a PCID (with AUTS after a synchronisation failure).</summary>
    public Task<IcfAuthVectorsResponse> GetVectorsAsync(string pcid, string servingNetworkId, IcfResyncInfo? resync = null, CancellationToken ct = default) =>
        JsonApiClient.PostAsync<IcfAuthVectorsRequest, IcfAuthVectorsResponse>(http, "auth-vectors", new IcfAuthVectorsRequest(pcid, 1, servingNetworkId, resync), ct);

    /// <summary>Step 6→8: the VNO confirms the attach and the address it gave; the ICF hands PCID, address and K_RO to the DRF.</summary>
    public Task<AttachConfirmed> ConfirmAttachAsync(string pcid, string rand, string ipAddress, CancellationToken ct = default) =>
        JsonApiClient.PostAsync<AttachConfirmationRequest, AttachConfirmed>(http, "attach-confirmations", new AttachConfirmationRequest(pcid, rand, ipAddress), ct);
}
