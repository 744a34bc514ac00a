using System.Security.Cryptography;
using System.Text;

namespace M2MSec.Device.Tre;

/// <summary>
/// Encryption to the TRE's PK_D (TR 33.812 MCIM object: PK_D(PIK ‖ PCK)), ECIES over P-256:
/// ephemeral ECDH, HKDF-SHA256 (salt = the ephemeral public point, info = "M2MSec PK_D ECIES v1"),
/// AES-256-GCM. Output: ephemeral point (65, uncompressed) ‖ nonce (12) ‖ ciphertext ‖ tag (16).
/// docs/decisions/007-tre-emulation.md.
/// </summary>
public static class PkDCipher
{
    private const int PointSize = 65;
    private static readonly byte[] Info = Encoding.ASCII.GetBytes("M2MSec PK_D ECIES v1");

    /// <summary>Encrypts to the recipient's PK_D (SubjectPublicKeyInfo DER).</summary>
    public static byte[] Encrypt(ReadOnlySpan<byte> recipientSpki, ReadOnlySpan<byte> plaintext, ReadOnlySpan<byte> associatedData)
    {
        using var recipient = ECDiffieHellman.Create();
        recipient.ImportSubjectPublicKeyInfo(recipientSpki, out _);
        using var ephemeral = ECDiffieHellman.Create(ECCurve.NamedCurves.nistP256);
        var point = Point(ephemeral.ExportParameters(false).Q);
        var key = DeriveKey(ephemeral, recipient.PublicKey, point);
        var output = new byte[PointSize + 12 + plaintext.Length + 16];
        point.CopyTo(output, 0);
        var nonce = output.AsSpan(PointSize, 12);
        RandomNumberGenerator.Fill(nonce);
        using var gcm = new AesGcm(key, 16);
        gcm.Encrypt(nonce, plaintext, output.AsSpan(PointSize + 12, plaintext.Length), output.AsSpan(output.Length - 16), associatedData);
        CryptographicOperations.ZeroMemory(key);
        return output;
    }

    /// <summary>Decrypts inside the TRE; false if the ciphertext or its associated data was altered.</summary>
    internal static bool TryDecrypt(ECDiffieHellman privateKey, ReadOnlySpan<byte> ciphertext, ReadOnlySpan<byte> associatedData, out byte[] plaintext)
    {
        plaintext = [];
        if (ciphertext.Length < PointSize + 12 + 16 || ciphertext[0] != 0x04)
            return false;
        var point = ciphertext[..PointSize].ToArray();
        ECDiffieHellman sender;
        try
        {
            sender = ECDiffieHellman.Create(new ECParameters
            {
                Curve = ECCurve.NamedCurves.nistP256,
                Q = new ECPoint { X = point[1..33], Y = point[33..] },
            });
        }
        catch (CryptographicException)
        {
            return false; // not a point on the curve
        }
        using (sender)
        {
            var key = DeriveKey(privateKey, sender.PublicKey, point);
            var body = ciphertext[(PointSize + 12)..^16];
            var plain = new byte[body.Length];
            try
            {
                using var gcm = new AesGcm(key, 16);
                gcm.Decrypt(ciphertext.Slice(PointSize, 12), body, ciphertext[^16..], plain, associatedData);
                plaintext = plain;
                return true;
            }
            catch (AuthenticationTagMismatchException)
            {
                return false;
            }
            finally
            {
                CryptographicOperations.ZeroMemory(key);
            }
        }
    }

    private static byte[] DeriveKey(ECDiffieHellman own, ECDiffieHellmanPublicKey other, byte[] salt)
    {
        var shared = own.DeriveRawSecretAgreement(other);
        try
        {
            return HKDF.DeriveKey(HashAlgorithmName.SHA256, shared, 32, salt, Info);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(shared);
        }
    }

    private static byte[] Point(ECPoint q) => [0x04, .. q.X!, .. q.Y!];
}
