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
/// <see cref="M2MSimMobj.Verify"/> under the SHO's signing root, as <see cref="ShoSigningRoots"/> keeps it (GET /signing-root, over
/// mutual TLS, role dpf) — so the DPF also checks the SHO's signature before it downloads anything.
/// </summary>
public sealed class M2MSimMobjReader(ShoSigningRoots roots, TimeProvider time) : IM2MSimMobjReader
{
    public Task<M2MSimMobjContent> ReadAsync(byte[] document, CancellationToken cancellationToken) => ReadAsync("sho", document, cancellationToken);

    public async Task<M2MSimMobjContent> ReadAsync(string shoId, byte[] document, CancellationToken cancellationToken)
    {
        var root = await roots.GetAsync(shoId, cancellationToken).ConfigureAwait(false);
        return M2MSimMobj.Verify(document, root, time.GetUtcNow(), out _);
    }
}

/// <summary>
/// Each SHO's signing root as the DPF fetched it (GET /signing-root of the peer named by the SHO id, role dpf), kept for
/// <see cref="DpfOptions.ShoSigningRootLifetime"/> (<see cref="ShoSigningRootCache{TRoot}"/>); a fetch that fails throws and is not kept.
/// </summary>
public sealed class ShoSigningRoots(PeerClients peers, TimeProvider time, TimeSpan lifetime)
{
    private readonly ShoSigningRootCache<X509Certificate2> _cache = new(time, lifetime);

    public async Task<X509Certificate2> GetAsync(string shoId, CancellationToken cancellationToken) =>
        (await _cache.GetAsync(shoId, async ct =>
            X509Certificate2.CreateFromPem((await new ShoClient(peers.For(shoId)).GetSigningRootAsync(ct).ConfigureAwait(false)).RootPem),
            cancellationToken).ConfigureAwait(false))!;
}
