using System.Runtime.Intrinsics;
using System.Security.Cryptography;
using M2MSec.Crypto;

namespace M2MSec.Ota.Scp80.Internal;

/// <summary>
/// AES-CBC (zero IV) and AES-CMAC (<see cref="AesCmac"/>, leftmost 8 octets as TS 102 225 uses it) in constant
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

    /// <summary>AES-CMAC truncated to 8 octets (TS 102 225).</summary>
    public static byte[] Cmac8(byte[] key, ReadOnlySpan<byte> message)
    {
        Span<byte> tag = stackalloc byte[AesCmac.TagLength];
        AesCmac.Compute(key, message, tag);
        return tag[..8].ToArray();
    }
}
