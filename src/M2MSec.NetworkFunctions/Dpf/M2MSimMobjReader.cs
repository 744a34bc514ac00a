using System.Security.Cryptography.X509Certificates;
using M2MSec.NetworkFunctions.Hosting;
using M2MSec.NetworkFunctions.Sho;
using M2MSec.Provisioning.Objects;

namespace M2MSec.NetworkFunctions.Dpf;

/// <summary>How the DPF reads what a signed M2MSIMMobj names (PCID, TRE, SHO, registration nonce) — never the MCIM inside, which it cannot open.</summary>
public interface IM2MSimMobjReader
{
    /// <summary>The document's content, if it verifies; throws <see cref="M2MSec.Provisioning.ProvisioningException"/> otherwise.</summary>
    Task<M2MSimMobjContent> ReadAsync(byte[] document, CancellationToken cancellationToken);
}

/// <summary>
/// <see cref="M2MSimMobj.Verify"/> under the SHO's signing root, fetched once from the SHO (GET /signing-root, over mutual TLS,
/// role dpf) — so the DPF also checks the SHO's signature before it downloads anything.
/// </summary>
public sealed class M2MSimMobjReader(PeerClients peers, TimeProvider time) : IM2MSimMobjReader
{
    private X509Certificate2? _root;

    public async Task<M2MSimMobjContent> ReadAsync(byte[] document, CancellationToken cancellationToken)
    {
        _root ??= X509Certificate2.CreateFromPem((await new ShoClient(peers.For("sho")).GetSigningRootAsync(cancellationToken).ConfigureAwait(false)).RootPem);
        return M2MSimMobj.Verify(document, _root, time.GetUtcNow(), out _);
    }
}
