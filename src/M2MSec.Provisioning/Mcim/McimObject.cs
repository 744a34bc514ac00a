using System.Buffers.Binary;
using System.Security.Cryptography;

namespace M2MSec.Provisioning.Mcim;

/// <summary>
/// The MCIM object (seed 003, TR 33.812 §5.1.3.7.3.3): <c>PK_D(PIK | PCK) | Protected_data</c>, with
/// <c>Protected_data = ENC_PCK(data) | MAC_PIK(ENC_PCK(data))</c> and <c>data = tag | payload_length | payload | version | filling_data</c>.
/// Sealed by the SHO to the platform's encryption key; opened only inside the TRE. docs/decisions/014-mcim-object.md.
/// <para>Octets: <c>kem (1) | wrapped_length (2) | PK_D(PIK ‖ PCK) | suite (1) | version (1) | IV | ENC_PCK(data) | MAC</c>,
/// the MAC (HMAC-SHA1 under PIK, or the GCM tag) covering suite ‖ version ‖ IV ‖ ciphertext (encrypt-then-MAC).</para>
/// </summary>
public static class McimObject
{
    public const byte Version = 0x01;

    /// <summary>Anything longer is refused before any work (RSA-4096 wrap + the largest data fit well below).</summary>
    public const int MaxLength = 4096;

    /// <summary>Seals <paramref name="content"/> to the TRE whose encryption key is <paramref name="pkD"/> (SubjectPublicKeyInfo DER: EC P-256 or RSA).</summary>
    public static byte[] Seal(ReadOnlySpan<byte> pkD, McimContent content, McimSuite suite = McimSuite.Default)
    {
        using var recipient = McimRecipient.FromSubjectPublicKeyInfo(pkD);
        return Seal(recipient, content, suite);
    }

    /// <summary>Seals to a prepared PK_D.</summary>
    public static byte[] Seal(McimRecipient recipient, McimContent content, McimSuite suite = McimSuite.Default) =>
        Seal(recipient, content, suite, [], []);

    /// <summary>With PIK ‖ PCK and the IV given (fixed-vector tests only); empty spans mean fresh random ones.</summary>
    internal static byte[] Seal(McimRecipient recipient, McimContent content, McimSuite suite, ReadOnlySpan<byte> fixedKeys, ReadOnlySpan<byte> fixedIv)
    {
        ArgumentNullException.ThrowIfNull(recipient);
        if (!McimSuites.IsKnown(suite))
            throw new ArgumentOutOfRangeException(nameof(suite));
        var payloadLength = McimContentCodec.GetEncodedLength(content);
        var dataLength = McimData.GetEncodedLength(payloadLength);
        var wrappedLength = recipient.WrappedLength(suite);
        var ivLength = suite.IvLength();
        var output = new byte[3 + wrappedLength + 2 + ivLength + dataLength + suite.MacLength()];
        output[0] = (byte)recipient.Kem;
        BinaryPrimitives.WriteUInt16BigEndian(output.AsSpan(1), (ushort)wrappedLength);
        var protectedData = output.AsSpan(3 + wrappedLength);
        protectedData[0] = (byte)suite;
        protectedData[1] = Version;

        Span<byte> keys = stackalloc byte[suite.WrappedKeyLength()];
        Span<byte> data = stackalloc byte[dataLength];
        Span<byte> payload = data.Slice(3, payloadLength);
        try
        {
            if (fixedKeys.IsEmpty)
                RandomNumberGenerator.Fill(keys);
            else
                fixedKeys.CopyTo(keys);
            Span<byte> aad = [output[0], (byte)suite, Version];
            recipient.Wrap(keys, aad, output.AsSpan(3, wrappedLength));
            McimContentCodec.TryEncode(content, payload, out _);
            McimData.TryEncode(McimData.McimTag, payload, data, out _); // copies onto itself at the same offset
            var iv = protectedData.Slice(2, ivLength);
            if (fixedIv.IsEmpty)
                RandomNumberGenerator.Fill(iv);
            else
                fixedIv.CopyTo(iv);
            var ciphertext = protectedData.Slice(2 + ivLength, dataLength);
            var pik = keys[..suite.IntegrityKeyLength()];
            var pck = keys[suite.IntegrityKeyLength()..];
            if (suite == McimSuite.AesCbcHmacSha1)
            {
                ProtectedDataPrimitives.EncryptCbc(pck, iv, data, ciphertext);
                ProtectedDataPrimitives.MacPik(pik, protectedData[..(2 + ivLength + dataLength)], protectedData[(2 + ivLength + dataLength)..]);
            }
            else
            {
                using var gcm = new AesGcm(pck, 16);
                gcm.Encrypt(iv, data, ciphertext, protectedData[(2 + ivLength + dataLength)..], protectedData[..2]);
            }
            return output;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(keys);
            CryptographicOperations.ZeroMemory(data);
        }
    }

    /// <summary>
    /// Opens an MCIM object with the TRE's private key (EC P-256 <see cref="ECDiffieHellman"/> or <see cref="RSA"/>):
    /// the MAC is checked (fixed time) before anything is decrypted. Throws <see cref="ProvisioningException"/>.
    /// </summary>
    public static McimContent Open(AsymmetricAlgorithm pkDPrivate, ReadOnlySpan<byte> mcimObject)
    {
        ArgumentNullException.ThrowIfNull(pkDPrivate);
        if (mcimObject.Length > MaxLength)
            throw new ProvisioningException("oversized", $"MCIM object over {MaxLength} octets");
        if (mcimObject.Length < 3)
            throw Malformed("truncated before the wrapped keys");
        var kem = (McimKem)mcimObject[0];
        if (kem is not (McimKem.EciesP256 or McimKem.RsaOaepSha256))
            throw new ProvisioningException("unknown-kem", $"unknown PK_D scheme 0x{(byte)kem:x2}");
        int wrappedLength = BinaryPrimitives.ReadUInt16BigEndian(mcimObject[1..]);
        if (wrappedLength > mcimObject.Length - 3 - 2)
            throw Malformed("wrapped_length runs past the object");
        var wrapped = mcimObject.Slice(3, wrappedLength);
        var protectedData = mcimObject[(3 + wrappedLength)..];
        var suite = (McimSuite)protectedData[0];
        if (!McimSuites.IsKnown(suite))
            throw new ProvisioningException("unknown-suite", $"unknown suite 0x{(byte)suite:x2}");
        if (protectedData[1] != Version)
            throw new ProvisioningException("unknown-version", $"MCIM object version {protectedData[1]} is not {Version}");
        var ivLength = suite.IvLength();
        var macLength = suite.MacLength();
        var ciphertextLength = protectedData.Length - 2 - ivLength - macLength;
        if (ciphertextLength < McimData.BlockSize || ciphertextLength % McimData.BlockSize != 0)
            throw Malformed("the ciphertext is not a whole number of blocks");
        var expectedWrapped = kem == McimKem.EciesP256 ? PkDEcies.Overhead + suite.WrappedKeyLength() : pkDPrivate.KeySize / 8;
        var keyFits = kem == McimKem.EciesP256 ? pkDPrivate is ECDiffieHellman : pkDPrivate is RSA;
        if (!keyFits)
            throw new ProvisioningException("cannot-open", "the object is sealed to another kind of platform key");
        if (wrappedLength != expectedWrapped)
            throw new ProvisioningException("cannot-open", "PK_D(PIK | PCK) does not fit this platform key");

        Span<byte> keys = stackalloc byte[suite.WrappedKeyLength()];
        var data = new byte[ciphertextLength];
        try
        {
            ReadOnlySpan<byte> aad = [(byte)kem, (byte)suite, Version];
            if (!Unwrap(pkDPrivate, kem, wrapped, aad, keys))
                throw new ProvisioningException("cannot-open", "PK_D(PIK | PCK) does not open with this platform key");
            var iv = protectedData.Slice(2, ivLength);
            var ciphertext = protectedData.Slice(2 + ivLength, ciphertextLength);
            var mac = protectedData[^macLength..];
            var pik = keys[..suite.IntegrityKeyLength()];
            var pck = keys[suite.IntegrityKeyLength()..];
            if (suite == McimSuite.AesCbcHmacSha1)
            {
                // Encrypt-then-MAC: nothing is decrypted before the MAC is found right (fixed-time compare).
                if (!ProtectedDataPrimitives.VerifyMacPik(pik, protectedData[..^macLength], mac))
                    throw new ProvisioningException("mac-mismatch", "MAC_PIK does not verify");
                ProtectedDataPrimitives.DecryptCbc(pck, iv, ciphertext, data);
            }
            else
            {
                try
                {
                    using var gcm = new AesGcm(pck, 16);
                    gcm.Decrypt(iv, ciphertext, mac, data, protectedData[..2]);
                }
                catch (AuthenticationTagMismatchException)
                {
                    throw new ProvisioningException("mac-mismatch", "the GCM tag does not verify");
                }
            }
            var payload = McimData.Decode(data, out _);
            return McimContentCodec.Decode(payload);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(keys);
            CryptographicOperations.ZeroMemory(data);
        }
    }

    private static bool Unwrap(AsymmetricAlgorithm key, McimKem kem, ReadOnlySpan<byte> wrapped, ReadOnlySpan<byte> aad, Span<byte> keys)
    {
        if (kem == McimKem.EciesP256)
            return PkDEcies.TryDecrypt((ECDiffieHellman)key, wrapped, aad, keys);
        var rsa = (RSA)key;
        var buffer = new byte[rsa.KeySize / 8];
        try
        {
            if (!rsa.TryDecrypt(wrapped, buffer, RSAEncryptionPadding.OaepSHA256, out var written) || written != keys.Length)
                return false;
            buffer.AsSpan(0, written).CopyTo(keys);
            return true;
        }
        catch (CryptographicException)
        {
            return false; // OAEP decoding error: sealed to another key, or altered
        }
        finally
        {
            CryptographicOperations.ZeroMemory(buffer);
        }
    }

    private static ProvisioningException Malformed(string detail) => new("malformed", $"MCIM object: {detail}");
}
