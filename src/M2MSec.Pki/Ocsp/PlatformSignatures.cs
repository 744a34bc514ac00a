using System.Collections.Concurrent;
using System.Security.Cryptography;
using M2MSec.Crypto.Metering;
using BcCertificate = Org.BouncyCastle.X509.X509Certificate;

namespace M2MSec.Pki.Ocsp;

/// <summary>
/// Signature checks on the platform's crypto (OpenSSL) rather than BouncyCastle's managed
/// arithmetic, which is several times slower for ECDSA: the device verifies two signatures per
/// OCSP answer. Importing a public key costs twice a verification, so imported keys are kept
/// (by SubjectPublicKeyInfo; a few responders and CAs) and lent to one thread at a time.
/// Algorithms outside the table return null and the caller falls back to BouncyCastle.
/// </summary>
internal static class PlatformSignatures
{
    private const int MaxCachedKeys = 256;
    private static readonly ConcurrentDictionary<string, ConcurrentBag<AsymmetricAlgorithm>> Keys = new(StringComparer.Ordinal);

    public static bool? Verify(BcCertificate signer, string algorithmOid, byte[] data, byte[] signature)
    {
        var hash = algorithmOid switch
        {
            "1.2.840.10045.4.3.2" or "1.2.840.113549.1.1.11" => HashAlgorithmName.SHA256, // ecdsa-with-SHA256, sha256WithRSAEncryption
            "1.2.840.10045.4.3.3" or "1.2.840.113549.1.1.12" => HashAlgorithmName.SHA384,
            "1.2.840.10045.4.3.4" or "1.2.840.113549.1.1.13" => HashAlgorithmName.SHA512,
            _ => (HashAlgorithmName?)null,
        };
        if (hash is not { } h)
            return null;
        var ecdsa = algorithmOid.StartsWith("1.2.840.10045", StringComparison.Ordinal);
        var spki = signer.CertificateStructure.SubjectPublicKeyInfo.GetEncoded();
        var id = (ecdsa ? "ec:" : "rsa:") + Convert.ToBase64String(spki);
        var pool = Keys.GetOrAdd(id, _ =>
        {
            if (Keys.Count >= MaxCachedKeys)
                Keys.Clear();
            return [];
        });
        AsymmetricAlgorithm key;
        try
        {
            key = pool.TryTake(out var k) ? k : Import(spki, ecdsa);
        }
        catch (CryptographicException)
        {
            return false; // a key of another type, or a garbled key: does not verify
        }
        try
        {
            OperationMeter.Count(key is ECDsa ? MeteredOperation.EcdsaVerify : MeteredOperation.RsaVerify);
            return key is ECDsa ec
                ? ec.VerifyData(data, signature, h, DSASignatureFormat.Rfc3279DerSequence)
                : ((RSA)key).VerifyData(data, signature, h, RSASignaturePadding.Pkcs1);
        }
        catch (CryptographicException)
        {
            return false;
        }
        finally
        {
            pool.Add(key);
        }
    }

    private static AsymmetricAlgorithm Import(byte[] spki, bool ecdsa)
    {
        AsymmetricAlgorithm key = ecdsa ? ECDsa.Create() : RSA.Create();
        try
        {
            if (key is ECDsa ec)
                ec.ImportSubjectPublicKeyInfo(spki, out _);
            else
                ((RSA)key).ImportSubjectPublicKeyInfo(spki, out _);
            return key;
        }
        catch
        {
            key.Dispose();
            throw;
        }
    }
}
