using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace M2MSec.Pki.Authority;

/// <summary>PKCS#10 certification requests (RFC 2986): made for a key held elsewhere, and read back with their signature checked.</summary>
public static class SigningRequests
{
    /// <summary>A PEM CSR for <paramref name="key"/> naming <paramref name="subject"/> (CN and SANs).</summary>
    public static string Create(AsymmetricAlgorithm key, CertificateSubject subject)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(subject);
        var name = new X500DistinguishedNameBuilder();
        name.AddCommonName(subject.CommonName);
        var request = key switch
        {
            ECDsa ec => new CertificateRequest(name.Build(), ec, ec.KeySize > 256 ? HashAlgorithmName.SHA384 : HashAlgorithmName.SHA256),
            RSA rsa => new CertificateRequest(name.Build(), rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1),
            _ => throw new ArgumentException("unsupported key type", nameof(key)),
        };
        if (subject.SanExtension(required: false) is { } san)
            request.CertificateExtensions.Add(san);
        return request.CreateSigningRequestPem();
    }

    /// <summary>Reads a PEM CSR: its proof of possession (signature) checked, the CN and the requested SANs taken; nothing else.</summary>
    public static bool TryRead(string? pem, out CertificateSubject subject, out PublicKey publicKey, out string error)
    {
        subject = null!;
        publicKey = null!;
        if (string.IsNullOrWhiteSpace(pem) || pem.Length > 16 * 1024)
        {
            error = "csr_pem: expected a PEM certificate request of at most 16 KiB";
            return false;
        }
        CertificateRequest request;
        try
        {
            request = CertificateRequest.LoadSigningRequestPem(pem, HashAlgorithmName.SHA256, CertificateRequestLoadOptions.UnsafeLoadCertificateExtensions);
        }
        catch (Exception e) when (e is CryptographicException or ArgumentException)
        {
            error = $"csr_pem: not a valid, correctly signed certificate request ({e.Message})";
            return false;
        }
        var cn = request.SubjectName.EnumerateRelativeDistinguishedNames()
            .FirstOrDefault(r => r.GetSingleElementType().Value == "2.5.4.3")?.GetSingleElementValue();
        var names = new List<string>();
        foreach (var san in request.CertificateExtensions.OfType<X509SubjectAlternativeNameExtension>())
        {
            names.AddRange(san.EnumerateDnsNames());
            names.AddRange(san.EnumerateIPAddresses().Select(ip => ip.ToString()));
        }
        try
        {
            subject = new CertificateSubject(cn ?? "", names);
        }
        catch (ArgumentException e)
        {
            error = $"csr_pem: {e.Message}";
            return false;
        }
        publicKey = request.PublicKey;
        error = "";
        return true;
    }
}
