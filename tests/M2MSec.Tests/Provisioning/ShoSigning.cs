using System.Security.Cryptography.X509Certificates;
using M2MSec.Pki.Authority;
using M2MSec.Storage.InMemory;

namespace M2MSec.Tests.Provisioning;

/// <summary>A `sho` hierarchy and a signing certificate for M2MSIMMobj tests (issue 15).</summary>
internal sealed class ShoSigning
{
    private ShoSigning(CertificateHierarchy hierarchy, X509Certificate2 signer)
    {
        Hierarchy = hierarchy;
        Signer = signer;
    }

    public CertificateHierarchy Hierarchy { get; }

    public X509Certificate2 Signer { get; }

    public X509Certificate2 Root => Hierarchy.Root;

    public X509Certificate2Collection Chain => Hierarchy.Chain();

    public static async Task<ShoSigning> CreateAsync(KeyAlgorithm algorithm = KeyAlgorithm.EcP256, string shoId = "sho",
        CertificateProfile profile = CertificateProfile.Sho, TimeProvider? time = null)
    {
        var h = await CertificateHierarchy.InitAsync(new InMemoryCertificateStore(time ?? TimeProvider.System), "sho", algorithm, null, time ?? TimeProvider.System);
        return new ShoSigning(h, await h.IssueAsync(profile, new CertificateSubject(shoId)));
    }

    public async Task<X509Certificate2> IssueAsync(CertificateProfile profile, string cn) => await Hierarchy.IssueAsync(profile, new CertificateSubject(cn));
}
