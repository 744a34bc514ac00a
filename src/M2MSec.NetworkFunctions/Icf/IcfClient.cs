using M2MSec.NetworkFunctions.Hosting;

namespace M2MSec.NetworkFunctions.Icf;

/// <summary>Typed client of the ICF's API.</summary>
public sealed class IcfClient(HttpClient http)
{
    /// <summary>The CCIF hands a PCID's temporary credential to the ICF (K, OPc: secrets, over mutual TLS only).</summary>
    public Task<TemporaryCredentialCreated> AddTemporaryCredentialAsync(string pcid, ReadOnlySpan<byte> k, ReadOnlySpan<byte> opc, CancellationToken ct = default) =>
        JsonApiClient.PostAsync<TemporaryCredentialRequest, TemporaryCredentialCreated>(http, "temporary-credentials",
            new TemporaryCredentialRequest(pcid, Convert.ToHexStringLower(k), Convert.ToHexStringLower(opc), null), ct);
}
