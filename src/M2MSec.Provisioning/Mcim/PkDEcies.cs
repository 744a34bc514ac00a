using System.Security.Cryptography;
using M2MSec.Crypto.Metering;

namespace M2MSec.Provisioning.Mcim;

/// <summary>
/// Encryption to an EC P-256 PK_D (the MCIM object's PK_D(PIK ‖ PCK) for EC platform keys): ECIES with an ephemeral ECDH
/// key, HKDF-SHA256 (salt = the ephemeral point, info = "M2MSec PK_D ECIES v1"), AES-256-GCM. Output: ephemeral point
/// (65, uncompressed) ‖ nonce (12) ‖ ciphertext ‖ tag (16). docs/decisions/007 and 014.
/// </summary>
public static class PkDEcies
{
    public const int PointSize = 65;
    public const int NonceSize = 12;
    public const int TagSize = 16;

    /// <summary>What ECIES adds to the plaintext.</summary>
    public const int Overhead = PointSize + NonceSize + TagSize;

    private static ReadOnlySpan<byte> Info => "M2MSec PK_D ECIES v1"u8;

    /// <summary>Encrypts to the recipient's PK_D (SubjectPublicKeyInfo DER).</summary>
    public static byte[] Encrypt(ReadOnlySpan<byte> recipientSpki, ReadOnlySpan<byte> plaintext, ReadOnlySpan<byte> associatedData)
    {
        using var recipient = ECDiffieHellman.Create();
        recipient.ImportSubjectPublicKeyInfo(recipientSpki, out _);
        using var publicKey = recipient.PublicKey;
        var output = new byte[Overhead + plaintext.Length];
        Encrypt(publicKey, plaintext, associatedData, output);
        return output;
    }

    /// <summary>Encrypts into <paramref name="destination"/> (exactly <see cref="Overhead"/> + plaintext length).</summary>
    public static void Encrypt(ECDiffieHellmanPublicKey recipient, ReadOnlySpan<byte> plaintext, ReadOnlySpan<byte> associatedData, Span<byte> destination)
    {
        ArgumentNullException.ThrowIfNull(recipient);
        if (destination.Length != Overhead + plaintext.Length)
            throw new ArgumentException("destination is not the ciphertext length", nameof(destination));
        using var ephemeral = ECDiffieHellman.Create(ECCurve.NamedCurves.nistP256);
        var q = ephemeral.ExportParameters(false).Q;
        destination[0] = 0x04;
        q.X.CopyTo(destination[1..]);
        q.Y.CopyTo(destination[33..]);
        Span<byte> key = stackalloc byte[32];
        try
        {
            DeriveKey(ephemeral, recipient, destination[..PointSize], key);
            var nonce = destination.Slice(PointSize, NonceSize);
            RandomNumberGenerator.Fill(nonce);
            using var gcm = new AesGcm(key, TagSize);
            gcm.Encrypt(nonce, plaintext, destination.Slice(PointSize + NonceSize, plaintext.Length), destination[^TagSize..], associatedData);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(key);
        }
    }

    /// <summary>Decrypts with the private key; false if the ciphertext or its associated data was altered or is for another key.</summary>
    public static bool TryDecrypt(ECDiffieHellman privateKey, ReadOnlySpan<byte> ciphertext, ReadOnlySpan<byte> associatedData, out byte[] plaintext)
    {
        plaintext = [];
        if (ciphertext.Length < Overhead)
            return false;
        var plain = new byte[ciphertext.Length - Overhead];
        if (!TryDecrypt(privateKey, ciphertext, associatedData, plain))
            return false;
        plaintext = plain;
        return true;
    }

    /// <summary>Decrypts into <paramref name="plaintext"/> (exactly the ciphertext length minus <see cref="Overhead"/>).</summary>
    public static bool TryDecrypt(ECDiffieHellman privateKey, ReadOnlySpan<byte> ciphertext, ReadOnlySpan<byte> associatedData, Span<byte> plaintext)
    {
        ArgumentNullException.ThrowIfNull(privateKey);
        if (ciphertext.Length < Overhead || ciphertext[0] != 0x04 || plaintext.Length != ciphertext.Length - Overhead)
            return false;
        ECDiffieHellman sender;
        try
        {
            sender = ECDiffieHellman.Create(new ECParameters
            {
                Curve = ECCurve.NamedCurves.nistP256,
                Q = new ECPoint { X = ciphertext[1..33].ToArray(), Y = ciphertext[33..PointSize].ToArray() },
            });
        }
        catch (CryptographicException)
        {
            return false; // not a point on the curve
        }
        Span<byte> key = stackalloc byte[32];
        using (sender)
        using (var senderPublic = sender.PublicKey)
        {
            try
            {
                DeriveKey(privateKey, senderPublic, ciphertext[..PointSize], key);
                using var gcm = new AesGcm(key, TagSize);
                gcm.Decrypt(ciphertext.Slice(PointSize, NonceSize), ciphertext[(PointSize + NonceSize)..^TagSize], ciphertext[^TagSize..], plaintext, associatedData);
                return true;
            }
            catch (AuthenticationTagMismatchException)
            {
                return false;
            }
            catch (CryptographicException)
            {
                return false; // e.g. a private key on another curve
            }
            finally
            {
                CryptographicOperations.ZeroMemory(key);
            }
        }
    }

    private static void DeriveKey(ECDiffieHellman own, ECDiffieHellmanPublicKey other, ReadOnlySpan<byte> salt, Span<byte> key)
    {
        OperationMeter.Count(MeteredOperation.Ecdh);
        var shared = own.DeriveRawSecretAgreement(other);
        try
        {
            HKDF.DeriveKey(HashAlgorithmName.SHA256, shared, key, salt, Info);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(shared);
        }
    }
}
