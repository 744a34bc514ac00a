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

    /// <summary>
    /// The algorithm of a public key (a certificate's, or one a CSR carries), or null outside the profile:
    /// id-ecPublicKey on exactly secp256r1 or secp384r1 (not merely a 256- or 384-bit curve: secp256k1,
    /// brainpool are refused), or rsaEncryption of 2048 or 3072 bits. Any other key (Ed25519, DSA, …) is null, never an exception.
    /// </summary>
    public static KeyAlgorithm? Of(PublicKey key)
    {
        ArgumentNullException.ThrowIfNull(key);
        try
        {
            switch (key.Oid.Value)
            {
                case EcPublicKeyOid:
                    var curve = (key.EncodedParameters?.RawData ?? []).AsSpan();
                    return curve.SequenceEqual(Secp256r1) ? KeyAlgorithm.EcP256 : curve.SequenceEqual(Secp384r1) ? KeyAlgorithm.EcP384 : null;
                case RsaEncryptionOid:
                    using (var rsa = key.GetRSAPublicKey())
                        return rsa?.KeySize switch { 2048 => KeyAlgorithm.Rsa2048, 3072 => KeyAlgorithm.Rsa3072, _ => null };
                default:
                    return null;
            }
        }
        catch (CryptographicException)
        {
            return null; // a malformed key of a known type
        }
    }

    private const string EcPublicKeyOid = "1.2.840.10045.2.1";
    private const string RsaEncryptionOid = "1.2.840.113549.1.1.1";

    /// <summary>DER of the namedCurve OIDs (RFC 5480 §2.1.1.1): secp256r1 1.2.840.10045.3.1.7, secp384r1 1.3.132.0.34.</summary>
    private static ReadOnlySpan<byte> Secp256r1 => [0x06, 0x08, 0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x03, 0x01, 0x07];

    private static ReadOnlySpan<byte> Secp384r1 => [0x06, 0x05, 0x2B, 0x81, 0x04, 0x00, 0x22];

    /// <summary>A name for a key outside the profile, for error messages (the algorithm OID, and the curve OID for EC).</summary>
    public static string Describe(PublicKey key)
    {
        ArgumentNullException.ThrowIfNull(key);
        var name = key.Oid.Value switch { EcPublicKeyOid => "EC", RsaEncryptionOid => "RSA", "1.3.101.112" => "Ed25519", "1.3.101.113" => "Ed448", var o => o ?? "?" };
        if (key.Oid.Value == EcPublicKeyOid)
        {
            try
            {
                var curve = new System.Formats.Asn1.AsnReader(key.EncodedParameters?.RawData ?? [], System.Formats.Asn1.AsnEncodingRules.DER).ReadObjectIdentifier();
                name += " curve " + (curve == "1.3.132.0.10" ? "secp256k1" : curve);
            }
            catch (System.Formats.Asn1.AsnContentException)
            {
                name += " (explicit curve parameters)";
            }
        }
        else if (key.Oid.Value == RsaEncryptionOid)
        {
            try
            {
                using var rsa = key.GetRSAPublicKey();
                name += $" {rsa?.KeySize}";
            }
            catch (CryptographicException)
            {
                name += " (malformed)";
            }
        }
        return name;
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

    /// <summary>Opens a PKCS#8 private key as ECDsa or RSA, whichever it is.</summary>
    public static AsymmetricAlgorithm ImportPkcs8(ReadOnlySpan<byte> pkcs8)
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
