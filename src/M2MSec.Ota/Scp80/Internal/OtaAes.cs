using System.Runtime.Intrinsics;
using System.Security.Cryptography;
using M2MSec.Crypto;

namespace M2MSec.Ota.Scp80.Internal;

/// <summary>
/// AES-CBC (zero IV) and AES-CMAC (RFC 4493, leftmost 8 octets as TS 102 225 uses it) in constant
/// time: AES-128 on AES-NI with the key schedule made per call (every card has its own keys),
/// other key sizes and other CPUs through the platform's AES.
/// </summary>
internal static class OtaAes
{
    public static void Cbc(byte[] key, Span<byte> data, bool encrypt)
    {
        if (key.Length == 16 && Aes128Ni.IsSupported)
        {
            Aes128Ni.ExpandKey(Vector128.Create(key), out var rk);
            var chain = Vector128<byte>.Zero;
            if (encrypt)
            {
                for (var i = 0; i < data.Length; i += 16)
                {
                    chain = Aes128Ni.Encrypt(rk, Vector128.Create((ReadOnlySpan<byte>)data.Slice(i, 16)) ^ chain);
                    chain.CopyTo(data.Slice(i, 16));
                }
            }
            else
            {
                Aes128Ni.DecryptionKeys(rk, out var dk);
                for (var i = 0; i < data.Length; i += 16)
                {
                    var c = Vector128.Create((ReadOnlySpan<byte>)data.Slice(i, 16));
                    (Aes128Ni.Decrypt(dk, c) ^ chain).CopyTo(data.Slice(i, 16));
                    chain = c;
                }
            }
            return;
        }
        using var aes = Aes.Create();
        aes.Key = key;
        Span<byte> iv = stackalloc byte[16];
        iv.Clear();
        if (encrypt)
            aes.EncryptCbc(data, iv, data, PaddingMode.None);
        else
            aes.DecryptCbc(data, iv, data, PaddingMode.None);
    }

    /// <summary>AES-CMAC truncated to 8 octets.</summary>
    public static byte[] Cmac8(byte[] key, ReadOnlySpan<byte> message)
    {
        if (key.Length == 16 && Aes128Ni.IsSupported)
            return Cmac8Ni(key, message);
        Span<byte> l = stackalloc byte[16];
        l.Clear();
        Cbc(key, l, encrypt: true); // L = E_K(0)
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
        Cbc(key, buffer, encrypt: true);
        var tag = buffer[^16..^8];
        CryptographicOperations.ZeroMemory(buffer);
        CryptographicOperations.ZeroMemory(l);
        return tag;
    }

    /// <summary>RFC 4493 on AES-NI with one key schedule for the subkey and the chain, straight over the message.</summary>
    private static byte[] Cmac8Ni(byte[] key, ReadOnlySpan<byte> message)
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
        var tag = Aes128Ni.Encrypt(rk, chain ^ Vector128.Create((ReadOnlySpan<byte>)last) ^ sub);
        tag.CopyTo(last);
        return last[..8].ToArray();
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
