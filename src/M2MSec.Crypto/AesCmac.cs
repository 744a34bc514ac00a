using System.Runtime.Intrinsics;
using System.Security.Cryptography;

namespace M2MSec.Crypto;

/// <summary>
/// AES-CMAC (RFC 4493, NIST SP 800-38B) in constant time: AES-128 on AES-NI with the key schedule made per call (SCP80 per-card
/// keys, 128-EIA2 per-context keys), other key sizes and other CPUs through the platform's AES-CBC. Callers truncate the tag
/// (TS 102 225: 8 octets; 128-EIA2, TS 33.401 Annex B.2.3: 4 octets).
/// </summary>
public static class AesCmac
{
    public const int TagLength = 16;

    /// <summary>The full 16-octet tag of <paramref name="message"/> under <paramref name="key"/> (16, 24 or 32 octets) into <paramref name="tag"/>.</summary>
    public static void Compute(ReadOnlySpan<byte> key, ReadOnlySpan<byte> message, Span<byte> tag)
    {
        if (key.Length is not (16 or 24 or 32))
            throw new ArgumentException("AES keys are 16, 24 or 32 octets.", nameof(key));
        if (tag.Length < TagLength)
            throw new ArgumentException("The tag needs 16 octets.", nameof(tag));
        if (key.Length == 16 && Aes128Ni.IsSupported)
            ComputeNi(key, message, tag);
        else
            ComputePlatform(key, message, tag);
    }

    /// <summary>RFC 4493 on AES-NI with one key schedule for the subkey and the chain, straight over the message.</summary>
    private static void ComputeNi(ReadOnlySpan<byte> key, ReadOnlySpan<byte> message, Span<byte> tag)
    {
        Aes128Ni.ExpandKey(Vector128.Create(key), out var rk);
        var l = Aes128Ni.Encrypt(rk, Vector128<byte>.Zero);
        var blocks = Math.Max(1, (message.Length + 15) / 16);
        var chain = Vector128<byte>.Zero;
        for (var b = 0; b < blocks - 1; b++)
            chain = Aes128Ni.Encrypt(rk, chain ^ Vector128.Create(message.Slice(b * 16, 16)));
        Span<byte> last = stackalloc byte[16];
        last.Clear();
        var tail = message[((blocks - 1) * 16)..];
        tail.CopyTo(last);
        var complete = message.Length > 0 && message.Length % 16 == 0;
        var k1 = Double(l);
        Vector128<byte> sub;
        if (complete)
        {
            sub = k1;
        }
        else
        {
            last[tail.Length] = 0x80;
            sub = Double(k1);
        }
        Aes128Ni.Encrypt(rk, chain ^ Vector128.Create((ReadOnlySpan<byte>)last) ^ sub).CopyTo(tag);
    }

    private static void ComputePlatform(ReadOnlySpan<byte> key, ReadOnlySpan<byte> message, Span<byte> tag)
    {
        using var aes = Aes.Create();
        aes.Key = key.ToArray();
        Span<byte> iv = stackalloc byte[16];
        iv.Clear();
        Span<byte> l = stackalloc byte[16];
        l.Clear();
        aes.EncryptCbc(l, iv, l, PaddingMode.None); // L = E_K(0)
        Span<byte> k1 = stackalloc byte[16];
        Span<byte> k2 = stackalloc byte[16];
        Double(l, k1);
        Double(k1, k2);

        var blocks = Math.Max(1, (message.Length + 15) / 16);
        var complete = message.Length > 0 && message.Length % 16 == 0;
        var buffer = new byte[blocks * 16];
        message.CopyTo(buffer);
        if (!complete)
            buffer[message.Length] = 0x80;
        var last = buffer.AsSpan((blocks - 1) * 16, 16);
        var sub = complete ? k1 : k2;
        for (var i = 0; i < 16; i++)
            last[i] ^= sub[i];
        aes.EncryptCbc(buffer, iv, buffer, PaddingMode.None);
        buffer.AsSpan(^16).CopyTo(tag);
        CryptographicOperations.ZeroMemory(buffer);
        CryptographicOperations.ZeroMemory(l);
        CryptographicOperations.ZeroMemory(k1);
        CryptographicOperations.ZeroMemory(k2);
    }

    /// <summary>Multiplication by x in GF(2^128) on a vector (big-endian bit order, RFC 4493 §2.3), constant time.</summary>
    private static Vector128<byte> Double(Vector128<byte> v)
    {
        Span<byte> a = stackalloc byte[16];
        Span<byte> b = stackalloc byte[16];
        v.CopyTo(a);
        Double(a, b);
        return Vector128.Create((ReadOnlySpan<byte>)b);
    }

    /// <summary>Multiplication by x in GF(2^128) (RFC 4493 §2.3), in constant time.</summary>
    private static void Double(ReadOnlySpan<byte> input, Span<byte> output)
    {
        var carry = input[0] >> 7;
        for (var i = 0; i < 15; i++)
            output[i] = (byte)(input[i] << 1 | input[i + 1] >> 7);
        output[15] = (byte)(input[15] << 1 ^ (0x87 & -carry));
    }
}
