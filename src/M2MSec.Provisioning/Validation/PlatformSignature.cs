using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using M2MSec.Crypto.Metering;

namespace M2MSec.Provisioning.Validation;

/// <summary>The signature schemes of the platform's attestation key and the PVA's verdicts (docs/decisions/015).</summary>
public enum SignatureScheme : byte
{
    /// <summary>ECDSA P-256 with SHA-256, DER signature (RFC 3279 §2.2.3).</summary>
    EcdsaP256Sha256 = 1,

    /// <summary>RSASSA-PSS with SHA-256, MGF1-SHA-256, salt of 32 octets (RFC 8017 §8.1).</summary>
    RsaPssSha256 = 2,
}

/// <summary>Signing and verifying with a key given as PKCS#8 / SubjectPublicKeyInfo DER, EC or RSA alike. No I/O.</summary>
public static class PlatformSignature
{
    /// <summary>The scheme a private key (PKCS#8) signs with: ECDSA for an EC key, RSA-PSS for an RSA one.</summary>
    public static SignatureScheme SchemeOf(AsymmetricAlgorithm key) => key switch
    {
        ECDsa => SignatureScheme.EcdsaP256Sha256,
        RSA => SignatureScheme.RsaPssSha256,
        _ => throw new ArgumentException("unsupported key type", nameof(key)),
    };

    /// <summary>Signs <paramref name="data"/> with <paramref name="key"/> (ECDsa or RSA).</summary>
    public static byte[] Sign(AsymmetricAlgorithm key, ReadOnlySpan<byte> data)
    {
        OperationMeter.Count(key is RSA ? MeteredOperation.RsaSign : MeteredOperation.EcdsaSign);
        return key switch
        {
            ECDsa ec => ec.SignData(data, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence),
            RSA rsa => rsa.SignData(data.ToArray(), HashAlgorithmName.SHA256, RSASignaturePadding.Pss),
            _ => throw new ArgumentException("unsupported key type", nameof(key)),
        };
    }

    /// <summary>
    /// Verifies under a SubjectPublicKeyInfo (DER). False — never an exception — for a signature that does not verify, a key
    /// of another scheme, or a key that does not parse.
    /// </summary>
    public static bool Verify(ReadOnlySpan<byte> subjectPublicKeyInfo, SignatureScheme scheme, ReadOnlySpan<byte> data, ReadOnlySpan<byte> signature)
    {
        AsymmetricAlgorithm? key = scheme switch
        {
            SignatureScheme.EcdsaP256Sha256 => ECDsa.Create(),
            SignatureScheme.RsaPssSha256 => RSA.Create(),
            _ => null,
        };
        using (key)
        {
            try
            {
                var read = 0;
                key?.ImportSubjectPublicKeyInfo(subjectPublicKeyInfo, out read);
                return VerifyUnder(read == subjectPublicKeyInfo.Length ? key : null, scheme, data, signature);
            }
            catch (CryptographicException)
            {
                return VerifyUnder(null, scheme, data, signature);
            }
        }
    }

    /// <summary>
    /// Verifies under <paramref name="certificate"/>'s public key, as the SubjectPublicKeyInfo overload does, with the key the
    /// certificate's decoding already holds — importing it again from its SPKI costs ≈ 130 µs on OpenSSL 3 (issue 19). A key
    /// whose certificate's key usage rules out signatures does not verify.
    /// </summary>
    public static bool Verify(X509Certificate2 certificate, SignatureScheme scheme, ReadOnlySpan<byte> data, ReadOnlySpan<byte> signature)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        AsymmetricAlgorithm? key;
        try
        {
            key = scheme switch
            {
                SignatureScheme.EcdsaP256Sha256 => certificate.GetECDsaPublicKey(),
                SignatureScheme.RsaPssSha256 => certificate.GetRSAPublicKey(),
                _ => null,
            };
        }
        catch (CryptographicException)
        {
            key = null;
        }
        using (key)
            return VerifyUnder(key, scheme, data, signature);
    }

    /// <summary>The scheme's key policy (P-256; RSA of at least 2048 bits) and the verification; every attempt is metered.</summary>
    private static bool VerifyUnder(AsymmetricAlgorithm? key, SignatureScheme scheme, ReadOnlySpan<byte> data, ReadOnlySpan<byte> signature)
    {
        OperationMeter.Count(scheme == SignatureScheme.RsaPssSha256 ? MeteredOperation.RsaVerify : MeteredOperation.EcdsaVerify);
        try
        {
            return (scheme, key) switch
            {
                (SignatureScheme.EcdsaP256Sha256, ECDsa { KeySize: 256 } ec) => ec.VerifyData(data, signature, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence),
                (SignatureScheme.RsaPssSha256, RSA { KeySize: >= 2048 } rsa) => rsa.VerifyData(data, signature, HashAlgorithmName.SHA256, RSASignaturePadding.Pss),
                _ => false,
            };
        }
        catch (CryptographicException)
        {
            return false;
        }
    }

    /// <summary>Opens a PKCS#8 private key as ECDsa or RSA, whichever it is.</summary>
    public static AsymmetricAlgorithm ImportPkcs8(ReadOnlySpan<byte> pkcs8) => M2MSec.Pki.Authority.KeyAlgorithms.ImportPkcs8(pkcs8);
}
