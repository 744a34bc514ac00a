using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace M2MSec.Tests.Pki.Ocsp;

public enum TestKeyKind
{
    P256,
    P384,
    Rsa2048,
    Rsa3072,
}

/// <summary>
/// A test hierarchy root → issuing CA → delegated OCSP signer (id-kp-OCSPSigning,
/// id-pkix-ocsp-nocheck), and leaves issued on demand, all with one key kind.
/// </summary>
internal sealed class OcspTestPki : IDisposable
{
    private const string OcspSigningOid = "1.3.6.1.5.5.7.3.9";
    private const string ServerAuthOid = "1.3.6.1.5.5.7.3.1";
    private const string OcspNoCheckOid = "1.3.6.1.5.5.7.48.1.5";

    private readonly List<X509Certificate2> _owned = [];

    private OcspTestPki(TestKeyKind kind, string name)
    {
        Kind = kind;
        var notBefore = DateTimeOffset.UtcNow.AddDays(-1);
        Root = Track(CreateCa($"CN={name} Root", null, notBefore, notBefore.AddYears(10)));
        Issuing = Track(CreateCa($"CN={name} Issuing CA", Root, notBefore, notBefore.AddYears(5)));
        Signer = Issue($"CN={name} OCSP Signer", OcspSigningOid, ocspNoCheck: true);
    }

    public TestKeyKind Kind { get; }

    public X509Certificate2 Root { get; }

    public X509Certificate2 Issuing { get; }

    /// <summary>The delegated responder, with its private key.</summary>
    public X509Certificate2 Signer { get; }

    public static OcspTestPki Create(TestKeyKind kind = TestKeyKind.P256, string name = "M2MSec Test") => new(kind, name);

    /// <summary>A TLS server leaf (serverAuth, no OCSP signing), with its private key.</summary>
    public X509Certificate2 IssueLeaf(string commonName = "server.m2msec.invalid") => Issue($"CN={commonName}", ServerAuthOid);

    /// <summary>Writes PEM files into <paramref name="directory"/>: certificate as NAME.pem, key (if any) as NAME.key.</summary>
    public static void WritePem(X509Certificate2 certificate, string directory, string name)
    {
        File.WriteAllText(Path.Combine(directory, name + ".pem"), certificate.ExportCertificatePem());
        if (!certificate.HasPrivateKey)
            return;
        var key = (AsymmetricAlgorithm?)certificate.GetECDsaPrivateKey() ?? certificate.GetRSAPrivateKey()!;
        using (key)
            File.WriteAllText(Path.Combine(directory, name + ".key"), key.ExportPkcs8PrivateKeyPem());
    }

    public void Dispose()
    {
        foreach (var c in _owned)
            c.Dispose();
    }

    private X509Certificate2 Issue(string subject, string eku, bool ocspNoCheck = false)
    {
        using var key = NewKey();
        var request = NewRequest(subject, key);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid(eku)], false));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(Issuing, true, false));
        if (ocspNoCheck)
            request.CertificateExtensions.Add(new X509Extension(OcspNoCheckOid, [0x05, 0x00], false)); // NULL (RFC 6960 §4.2.2.2.1)
        var now = DateTimeOffset.UtcNow;
        using var issued = request.Create(Issuing, now.AddHours(-1), now.AddDays(30), NewSerial());
        return Track(WithKey(issued, key));
    }

    private X509Certificate2 CreateCa(string subject, X509Certificate2? parent, DateTimeOffset notBefore, DateTimeOffset notAfter)
    {
        using var key = NewKey();
        var request = NewRequest(subject, key);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, parent is not null, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        if (parent is null)
            return request.CreateSelfSigned(notBefore, notAfter);
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(parent, true, false));
        using var issued = request.Create(parent, notBefore, notAfter, NewSerial());
        return WithKey(issued, key);
    }

    private AsymmetricAlgorithm NewKey() => Kind switch
    {
        TestKeyKind.P256 => ECDsa.Create(ECCurve.NamedCurves.nistP256),
        TestKeyKind.P384 => ECDsa.Create(ECCurve.NamedCurves.nistP384),
        TestKeyKind.Rsa2048 => RSA.Create(2048),
        _ => RSA.Create(3072),
    };

    private CertificateRequest NewRequest(string subject, AsymmetricAlgorithm key) => key switch
    {
        ECDsa ec => new CertificateRequest(subject, ec, Kind == TestKeyKind.P384 ? HashAlgorithmName.SHA384 : HashAlgorithmName.SHA256),
        RSA rsa => new CertificateRequest(subject, rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1),
        _ => throw new InvalidOperationException(),
    };

    private static X509Certificate2 WithKey(X509Certificate2 certificate, AsymmetricAlgorithm key) => key switch
    {
        ECDsa ec => certificate.CopyWithPrivateKey(ec),
        RSA rsa => certificate.CopyWithPrivateKey(rsa),
        _ => throw new InvalidOperationException(),
    };

    /// <summary>16 random octets, first in 01–7f: positive, no leading 00 (OpenSSL's index spells serials without it).</summary>
    private static byte[] NewSerial()
    {
        var serial = RandomNumberGenerator.GetBytes(16);
        serial[0] = (byte)(serial[0] % 0x7f + 1);
        return serial;
    }

    private X509Certificate2 Track(X509Certificate2 certificate)
    {
        _owned.Add(certificate);
        return certificate;
    }
}
