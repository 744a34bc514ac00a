using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Security.Cryptography;
using M2MSec.Crypto;

namespace M2MSec.Provisioning.Mcim;

/// <summary>
/// The seed's default primitives for Protected_data: AES-128-CBC without padding (data is already filled to whole blocks)
/// and HMAC-SHA1 (RFC 2104) under PIK. Pinned by NIST SP 800-38A F.2.1 and RFC 2202 in the tests. A fresh PCK per object:
/// on AES-NI the key schedule is expanded in registers (<see cref="Aes128Ni"/>) rather than an OpenSSL context made per call,
/// which cost about a fifth of an RSA seal (docs/BENCHMARKS.md "MCIM object").
/// </summary>
internal static class ProtectedDataPrimitives
{
    public const int MacLength = 20;

    public static void EncryptCbc(ReadOnlySpan<byte> key, ReadOnlySpan<byte> iv, ReadOnlySpan<byte> plaintext, Span<byte> ciphertext)
    {
        if (Aes128Ni.IsSupported && key.Length == 16 && plaintext.Length % 16 == 0)
        {
            Aes128Ni.ExpandKey(Vector128.Create(key), out var rk);
            var chain = Vector128.Create(iv);
            for (var i = 0; i < plaintext.Length; i += 16)
            {
                chain = Aes128Ni.Encrypt(rk, chain ^ Vector128.Create(plaintext.Slice(i, 16)));
                chain.CopyTo(ciphertext.Slice(i, 16));
            }
            CryptographicOperations.ZeroMemory(MemoryMarshal.AsBytes(MemoryMarshal.CreateSpan(ref rk[0], 11)));
            return;
        }
        using var aes = Aes.Create();
        aes.SetKey(key);
        aes.EncryptCbc(plaintext, iv, ciphertext, PaddingMode.None);
    }

    public static void DecryptCbc(ReadOnlySpan<byte> key, ReadOnlySpan<byte> iv, ReadOnlySpan<byte> ciphertext, Span<byte> plaintext)
    {
        if (Aes128Ni.IsSupported && key.Length == 16 && ciphertext.Length % 16 == 0)
        {
            Aes128Ni.ExpandKey(Vector128.Create(key), out var rk);
            Aes128Ni.DecryptionKeys(rk, out var dk);
            var previous = Vector128.Create(iv);
            for (var i = 0; i < ciphertext.Length; i += 16)
            {
                var block = Vector128.Create(ciphertext.Slice(i, 16));
                (Aes128Ni.Decrypt(dk, block) ^ previous).CopyTo(plaintext.Slice(i, 16));
                previous = block;
            }
            CryptographicOperations.ZeroMemory(MemoryMarshal.AsBytes(MemoryMarshal.CreateSpan(ref rk[0], 11)));
            CryptographicOperations.ZeroMemory(MemoryMarshal.AsBytes(MemoryMarshal.CreateSpan(ref dk[0], 11)));
            return;
        }
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
