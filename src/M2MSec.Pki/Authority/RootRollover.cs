using System.Security.Cryptography.X509Certificates;
using M2MSec.Pki.Tls;

namespace M2MSec.Pki.Authority;

/// <summary>
/// What a device needs to move to a new root: the new self-signed root and the link certificate
/// (the new root's name and key, signed by the current root).
/// </summary>
public sealed record RootRollover(X509Certificate2 NewRoot, X509Certificate2 LinkCertificate)
{
    /// <summary>
    /// Checks, against the root the device trusts now, that <see cref="LinkCertificate"/> is signed by
    /// it and certifies exactly <see cref="NewRoot"/>'s name and key, and that the new root is a
    /// well-formed self-signed CA — all at <paramref name="at"/> (the secure clock).
    /// </summary>
    public static bool Verify(X509Certificate2 currentRoot, X509Certificate2 newRoot, X509Certificate2 link, DateTimeOffset at, out string detail)
    {
        ArgumentNullException.ThrowIfNull(currentRoot);
        ArgumentNullException.ThrowIfNull(newRoot);
        ArgumentNullException.ThrowIfNull(link);
        if (!link.PublicKey.EncodedKeyValue.RawData.AsSpan().SequenceEqual(newRoot.PublicKey.EncodedKeyValue.RawData)
            || !link.SubjectName.RawData.AsSpan().SequenceEqual(newRoot.SubjectName.RawData))
        {
            detail = "the link certificate does not certify the new root's name and key";
            return false;
        }
        if (!IsCa(link) || !IsCa(newRoot))
        {
            detail = "the link certificate or the new root is not a CA certificate";
            return false;
        }
        var linkVerdict = ProfileChainValidator.Validate(link, currentRoot, null, at, null);
        if (!linkVerdict.IsValid)
        {
            detail = $"link certificate: {linkVerdict.Detail}";
            return false;
        }
        var selfVerdict = ProfileChainValidator.Validate(newRoot, newRoot, null, at, null);
        detail = selfVerdict.IsValid ? "new root certified by the current root" : $"new root: {selfVerdict.Detail}";
        return selfVerdict.IsValid;
    }

    private static bool IsCa(X509Certificate2 cert) =>
        cert.Extensions.OfType<X509BasicConstraintsExtension>().FirstOrDefault() is { CertificateAuthority: true };
}
