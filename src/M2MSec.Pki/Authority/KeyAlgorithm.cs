using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace M2MSec.Pki.Authority;

/// <summary>The key types a hierarchy's CAs and its certificates may have (TS 33.310 §6.1.1, TS 33.210 §6.2.3).</summary>
public enum KeyAlgorithm
{
    /// <summary>ECDSA on secp256r1 with SHA-256 — the default.</summary>
    EcP256,

    /// <summary>ECDSA on secp384r1 with SHA-384.</summary>
    EcP384,

    /// <summary>RSA 2048 with SHA-256, PKCS#1 v1.5 signatures.</summary>
    Rsa2048,

    /// <summary>RSA 3072 with SHA-256, PKCS#1 v1.5 signatures.</summary>
    Rsa3072,
}

/// <summary>Names (the CLI's --key values), key generation and signing parameters.</summary>
public static class KeyAlgorithms
{
    private static readonly (KeyAlgorithm Algorithm, string Name)[] Names =
        [(KeyAlgorithm.EcP256, "ec-p256"), (KeyAlgorithm.EcP384, "ec-p384"), (KeyAlgorithm.Rsa2048, "rsa-2048"), (KeyAlgorithm.Rsa3072, "rsa-3072")];

    public static IReadOnlyList<string> AllNames { get; } = [.. Names.Select(n => n.Name)];

    public static string Name(this KeyAlgorithm algorithm) => Names.First(n => n.Algorithm == algorithm).Name;

    public static bool TryParse(string? name, out KeyAlgorithm algorithm)
    {
        foreach (var (a, n) in Names)
        {
            if (string.Equals(n, name, StringComparison.OrdinalIgnoreCase))
            {
                algorithm = a;
                return true;
            }
        }
        algorithm = default;
        return false;
    }

    public static bool IsRsa(this KeyAlgorithm algorithm) => algorithm is KeyAlgorithm.Rsa2048 or KeyAlgorithm.Rsa3072;

    /// <summary>The hash the signer uses: SHA-384 for P-384 (matching strengths), SHA-256 otherwise.</summary>
    public static HashAlgorithmName SignatureHash(this KeyAlgorithm algorithm) =>
        algorithm == KeyAlgorithm.EcP384 ? HashAlgorithmName.SHA384 : HashAlgorithmName.SHA256;

    public static AsymmetricAlgorithm Generate(this KeyAlgorithm algorithm) => algorithm switch
    {
        KeyAlgorithm.EcP256 => ECDsa.Create(ECCurve.NamedCurves.nistP256),
        KeyAlgorithm.EcP384 => ECDsa.Create(ECCurve.NamedCurves.nistP384),
        KeyAlgorithm.Rsa2048 => RSA.Create(2048),
        KeyAlgorithm.Rsa3072 => RSA.Create(3072),
        _ => throw new ArgumentOutOfRangeException(nameof(algorithm)),
    };

    /// <summary>The algorithm of an existing certificate's key, or null for anything outside the profile.</summary>
    public static KeyAlgorithm? Of(X509Certificate2 certificate)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        return Of(certificate.PublicKey);
    }

    /// <summary>The algorithm of a public key (a certificate's, or one a CSR carries), or null outside the profile.</summary>
    public static KeyAlgorithm? Of(PublicKey key)
    {
        ArgumentNullException.ThrowIfNull(key);
        using var ec = key.GetECDsaPublicKey();
        if (ec is not null)
            return ec.KeySize switch { 256 => KeyAlgorithm.EcP256, 384 => KeyAlgorithm.EcP384, _ => null };
        using var rsa = key.GetRSAPublicKey();
        return rsa?.KeySize switch { 2048 => KeyAlgorithm.Rsa2048, 3072 => KeyAlgorithm.Rsa3072, _ => null };
    }

    /// <summary>The public half of a key pair, as a certificate or CSR carries it.</summary>
    public static PublicKey PublicKeyOf(AsymmetricAlgorithm key) => key switch
    {
        ECDsa ec => new PublicKey(ec),
        RSA rsa => new PublicKey(rsa),
        _ => throw new ArgumentException("unsupported key type", nameof(key)),
    };

    /// <summary>A signature generator for <paramref name="key"/> (ECDSA or RSA PKCS#1 v1.5).</summary>
    internal static X509SignatureGenerator SignatureGenerator(AsymmetricAlgorithm key) => key switch
    {
        ECDsa ec => X509SignatureGenerator.CreateForECDsa(ec),
        RSA rsa => X509SignatureGenerator.CreateForRSA(rsa, RSASignaturePadding.Pkcs1),
        _ => throw new ArgumentException("unsupported key type", nameof(key)),
    };

    internal static AsymmetricAlgorithm ImportPkcs8(ReadOnlySpan<byte> pkcs8)
    {
        var ec = ECDsa.Create();
        try
        {
            ec.ImportPkcs8PrivateKey(pkcs8, out _);
            return ec;
        }
        catch (CryptographicException)
        {
            ec.Dispose();
        }
        var rsa = RSA.Create();
        rsa.ImportPkcs8PrivateKey(pkcs8, out _);
        return rsa;
    }

    internal static byte[] ExportPkcs8(AsymmetricAlgorithm key) => key.ExportPkcs8PrivateKey();

    /// <summary>The certificate's private key, whichever type it is.</summary>
    internal static AsymmetricAlgorithm PrivateKey(X509Certificate2 certificate) =>
        (AsymmetricAlgorithm?)certificate.GetECDsaPrivateKey() ?? certificate.GetRSAPrivateKey()
        ?? throw new ArgumentException("the certificate has no private key", nameof(certificate));

    internal static X509Certificate2 WithKey(X509Certificate2 certificate, AsymmetricAlgorithm key) => key switch
    {
        ECDsa ec => certificate.CopyWithPrivateKey(ec),
        RSA rsa => certificate.CopyWithPrivateKey(rsa),
        _ => throw new ArgumentException("unsupported key type", nameof(key)),
    };
}
