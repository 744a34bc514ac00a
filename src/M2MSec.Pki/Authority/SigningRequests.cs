using System.Formats.Asn1;
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
        // The key first: a key outside the profile (secp256k1, Ed25519, …) is named, whether or not
        // the platform could even check its signature.
        if (!TryReadKey(pem, out var key))
        {
            error = "csr_pem: not a PEM certificate request (PKCS#10)";
            return false;
        }
        if (KeyAlgorithms.Of(key) is null)
        {
            error = $"csr_pem: the key ({KeyAlgorithms.Describe(key)}) is outside the profile; expected one of {string.Join(", ", KeyAlgorithms.AllNames)}";
            return false;
        }
        CertificateRequest request;
        try
        {
            request = CertificateRequest.LoadSigningRequestPem(pem, HashAlgorithmName.SHA256, CertificateRequestLoadOptions.UnsafeLoadCertificateExtensions);
        }
        catch (Exception e) when (e is CryptographicException or ArgumentException or NotSupportedException)
        {
            error = "csr_pem: not a valid, correctly signed certificate request";
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
            error = $"csr_pem: {e.Message.Split(" (Parameter ", 2)[0]}";
            return false;
        }
        publicKey = request.PublicKey;
        error = "";
        return true;
    }

    /// <summary>The subjectPKInfo of a PEM CSR (RFC 2986 §4.1), read without checking the signature.</summary>
    private static bool TryReadKey(string pem, out PublicKey key)
    {
        key = null!;
        try
        {
            var fields = PemEncoding.Find(pem);
            if (!pem.AsSpan()[fields.Label].SequenceEqual("CERTIFICATE REQUEST") && !pem.AsSpan()[fields.Label].SequenceEqual("NEW CERTIFICATE REQUEST"))
                return false;
            var der = Convert.FromBase64String(pem[fields.Base64Data]);
            var request = new AsnReader(der, AsnEncodingRules.DER).ReadSequence();
            var info = request.ReadSequence();
            _ = info.ReadInteger(); // version
            _ = info.ReadEncodedValue(); // subject
            key = PublicKey.CreateFromSubjectPublicKeyInfo(info.ReadEncodedValue().Span, out _);
            return true;
        }
        catch (Exception e) when (e is ArgumentException or FormatException or AsnContentException or CryptographicException)
        {
            return false;
        }
    }
}
