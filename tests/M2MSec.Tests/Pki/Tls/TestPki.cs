using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using M2MSec.Pki.Tls;

namespace M2MSec.Tests.Pki.Tls;

/// <summary>A throw-away root CA issuing TLS leaves (ECDSA P-256 or RSA-2048), with PEM files for the OpenSSL CLI.</summary>
internal sealed class TestPki : IDisposable
{
    private readonly AsymmetricAlgorithm _rootKey;

    private TestPki(string name, bool rsa, string directory)
    {
        Directory = directory;
        Name = name;
        _rootKey = rsa ? RSA.Create(2048) : ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = NewRequest($"CN={name} Root CA, O=M2MSec Test", _rootKey);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        var now = DateTimeOffset.UtcNow;
        Root = request.CreateSelfSigned(now.AddDays(-30), now.AddYears(1));
        RootPem = WritePem($"{name}-root", Root, _rootKey);
    }

    public string Directory { get; }

    public string Name { get; }

    /// <summary>The root with its private key.</summary>
    public X509Certificate2 Root { get; }

    public (string Cert, string Key) RootPem { get; }

    /// <summary>A root without key, as a trust anchor.</summary>
    public X509Certificate2 Anchor => X509CertificateLoader.LoadCertificate(Root.RawData);

    public static TestPki Create(string name, bool rsa = false)
    {
        var dir = Path.Combine(Path.GetTempPath(), $"m2msec-tls-{Guid.NewGuid():N}");
        System.IO.Directory.CreateDirectory(dir);
        return new TestPki(name, rsa, dir);
    }

    /// <summary>Issues a leaf with private key, usable by SslStream (re-imported from PKCS#12) and written as PEM.</summary>
    public Leaf Issue(string cn, bool rsa = false, string eku = ProfileChainValidator.ServerAuthOid, DateTimeOffset? notBefore = null, DateTimeOffset? notAfter = null)
    {
        using AsymmetricAlgorithm key = rsa ? RSA.Create(2048) : ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = NewRequest($"CN={cn}, O=M2MSec Test", key);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        var usage = X509KeyUsageFlags.DigitalSignature | (rsa ? X509KeyUsageFlags.KeyEncipherment : 0);
        request.CertificateExtensions.Add(new X509KeyUsageExtension(usage, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid(eku)], false));
        var san = new SubjectAlternativeNameBuilder();
        san.AddDnsName("localhost");
        san.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(san.Build());
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(Root, true, false));
        var serial = RandomNumberGenerator.GetBytes(16);
        serial[0] = (byte)(serial[0] & 0x7F | 0x10);
        var now = DateTimeOffset.UtcNow;
        using var issued = request.Create(Root, notBefore ?? now.AddHours(-1), notAfter ?? now.AddDays(30), serial);
        using var withKey = key is RSA r ? issued.CopyWithPrivateKey(r) : issued.CopyWithPrivateKey((ECDsa)key);
        // SslStream on Linux wants a persisted-style key: round-trip through PKCS#12.
        var certificate = X509CertificateLoader.LoadPkcs12(withKey.Export(X509ContentType.Pkcs12), null, X509KeyStorageFlags.Exportable);
        var (certPem, keyPem) = WritePem(cn, certificate, key);
        return new Leaf(certificate, certPem, keyPem);
    }

    private (string Cert, string Key) WritePem(string name, X509Certificate2 certificate, AsymmetricAlgorithm key)
    {
        var certPath = Path.Combine(Directory, $"{name}.pem");
        var keyPath = Path.Combine(Directory, $"{name}.key");
        File.WriteAllText(certPath, certificate.ExportCertificatePem() + "\n");
        File.WriteAllText(keyPath, key.ExportPkcs8PrivateKeyPem() + "\n");
        return (certPath, keyPath);
    }

    private static CertificateRequest NewRequest(string subject, AsymmetricAlgorithm key) => key switch
    {
        RSA rsa => new CertificateRequest(subject, rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1),
        ECDsa ec => new CertificateRequest(subject, ec, HashAlgorithmName.SHA256),
        _ => throw new ArgumentException("unsupported key", nameof(key)),
    };

    public void Dispose()
    {
        _rootKey.Dispose();
        try
        {
            System.IO.Directory.Delete(Directory, true);
        }
        catch (IOException)
        {
        }
    }

    internal sealed record Leaf(X509Certificate2 Certificate, string CertPem, string KeyPem);
}
