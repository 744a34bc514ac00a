using System.Security.Cryptography;

namespace M2MSec.Provisioning.Mcim;

/// <summary>
/// The seed's default primitives for Protected_data: AES-128-CBC without padding (data is already filled to whole blocks)
/// and HMAC-SHA1 (RFC 2104) under PIK. Pinned by NIST SP 800-38A F.2.1 and RFC 2202 in the tests.
/// </summary>
internal static class ProtectedDataPrimitives
{
    public const int MacLength = 20;

    public static void EncryptCbc(ReadOnlySpan<byte> key, ReadOnlySpan<byte> iv, ReadOnlySpan<byte> plaintext, Span<byte> ciphertext)
    {
        using var aes = Aes.Create();
        aes.SetKey(key);
        aes.EncryptCbc(plaintext, iv, ciphertext, PaddingMode.None);
    }

    public static void DecryptCbc(ReadOnlySpan<byte> key, ReadOnlySpan<byte> iv, ReadOnlySpan<byte> ciphertext, Span<byte> plaintext)
    {
        using var aes = Aes.Create();
        aes.SetKey(key);
        aes.DecryptCbc(ciphertext, iv, plaintext, PaddingMode.None);
    }

    public static void MacPik(ReadOnlySpan<byte> pik, ReadOnlySpan<byte> message, Span<byte> mac) => HMACSHA1.HashData(pik, message, mac);

    /// <summary>Fixed-time comparison of the full 20-octet MAC.</summary>
    public static bool VerifyMacPik(ReadOnlySpan<byte> pik, ReadOnlySpan<byte> message, ReadOnlySpan<byte> mac)
    {
        Span<byte> computed = stackalloc byte[MacLength];
        HMACSHA1.HashData(pik, message, computed);
        return mac.Length == MacLength && CryptographicOperations.FixedTimeEquals(computed, mac);
    }
}
