using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using M2MSec.Pki.Authority;
using M2MSec.Storage;
using M2MSec.Storage.Certificates;

namespace M2MSec.NetworkFunctions.Sho;

/// <summary>The SHO's M2MSIMMobj signer: certificate (profile sho, CN = SHO id) with its key, its chain, and the root devices hold.</summary>
public sealed record ShoSigner(X509Certificate2 Certificate, X509Certificate2Collection Chain, X509Certificate2 Root);

/// <summary>
/// The SHO's own `sho` signing hierarchy, in its store, made on first start (docs/decisions/012, 018); the signer's key is kept
/// in the store's CA-key table (slot <c>signer/SHO-ID</c>, wrapped under the key ring like every CA key) and re-issued when
/// less than 30 days of it are left.
/// </summary>
public sealed class ShoSigningIdentity(IStateStore store, ShoOptions options, TimeProvider time)
{
    private const string Hierarchy = "sho";
    private readonly SemaphoreSlim _gate = new(1, 1);
    private ShoSigner? _current;

    public async Task<ShoSigner> GetAsync(CancellationToken cancellationToken = default)
    {
        if (_current is { } c && c.Certificate.NotAfter.ToUniversalTime() > time.GetUtcNow().UtcDateTime.AddDays(30))
            return c;
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var hierarchy = await CertificateHierarchy.OpenAsync(store.Certificates, Hierarchy, time, cancellationToken).ConfigureAwait(false)
                ?? await CertificateHierarchy.InitAsync(store.Certificates, Hierarchy, KeyAlgorithm.EcP256, null, time, cancellationToken).ConfigureAwait(false);
            var slot = "signer/" + options.ShoId;
            X509Certificate2? signer = null;
            if (await store.Certificates.FindAuthorityKeyAsync(Hierarchy, slot, cancellationToken).ConfigureAwait(false) is { } kept)
            {
                using var cert = X509CertificateLoader.LoadCertificate(kept.CertificateDer);
                if (cert.NotAfter.ToUniversalTime() > time.GetUtcNow().UtcDateTime.AddDays(30))
                {
                    using var key = ECDsa.Create();
                    key.ImportPkcs8PrivateKey(kept.PrivateKeyPkcs8, out _);
                    signer = cert.CopyWithPrivateKey(key);
                }
                CryptographicOperations.ZeroMemory(kept.PrivateKeyPkcs8);
            }
            if (signer is null)
            {
                using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
                using var cert = await hierarchy.IssueForKeyAsync(CertificateProfile.Sho, new CertificateSubject(options.ShoId), new PublicKey(key),
                    cancellationToken: cancellationToken).ConfigureAwait(false);
                var pkcs8 = key.ExportPkcs8PrivateKey();
                await store.Certificates.PutAuthorityKeyAsync(new AuthorityKey(Hierarchy, slot, cert.RawData, pkcs8), replace: true, cancellationToken).ConfigureAwait(false);
                CryptographicOperations.ZeroMemory(pkcs8);
                signer = cert.CopyWithPrivateKey(key);
            }
            _current = new ShoSigner(signer, [hierarchy.Issuing], hierarchy.Root);
            return _current;
        }
        finally
        {
            _gate.Release();
        }
    }
}
