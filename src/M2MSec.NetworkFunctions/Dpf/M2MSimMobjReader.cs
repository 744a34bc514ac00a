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

    /// <summary>The document's content under the signing root of the SHO <paramref name="shoId"/> (issue 16: two SHOs, each its own root).</summary>
    Task<M2MSimMobjContent> ReadAsync(string shoId, byte[] document, CancellationToken cancellationToken) => ReadAsync(document, cancellationToken);
}

/// <summary>
/// <see cref="M2MSimMobj.Verify"/> under the SHO's signing root, fetched once from the SHO (GET /signing-root, over mutual TLS,
/// role dpf) — so the DPF also checks the SHO's signature before it downloads anything.
/// </summary>
public sealed class M2MSimMobjReader(PeerClients peers, TimeProvider time) : IM2MSimMobjReader
{
    private readonly ShoSigningRoots _roots = new(peers);

    public Task<M2MSimMobjContent> ReadAsync(byte[] document, CancellationToken cancellationToken) => ReadAsync("sho", document, cancellationToken);

    public async Task<M2MSimMobjContent> ReadAsync(string shoId, byte[] document, CancellationToken cancellationToken)
    {
        var root = await _roots.GetAsync(shoId, cancellationToken).ConfigureAwait(false);
        return M2MSimMobj.Verify(document, root, time.GetUtcNow(), out _);
    }
}

/// <summary>Each SHO's signing root as the DPF fetched it (GET /signing-root of the peer named by the SHO id, role dpf), kept once fetched.</summary>
public sealed class ShoSigningRoots(PeerClients peers)
{
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, X509Certificate2> _roots = new(StringComparer.Ordinal);

    public async Task<X509Certificate2> GetAsync(string shoId, CancellationToken cancellationToken)
    {
        if (_roots.TryGetValue(shoId, out var root))
            return root;
        var pem = (await new ShoClient(peers.For(shoId)).GetSigningRootAsync(cancellationToken).ConfigureAwait(false)).RootPem;
        return _roots.GetOrAdd(shoId, X509Certificate2.CreateFromPem(pem));
    }
}
