using Org.BouncyCastle.Crypto;
using Org.BouncyCastle.Crypto.Engines;
using Org.BouncyCastle.Crypto.Parameters;

namespace M2MSec.Ota.Scp80.Internal;

/// <summary>
/// The block ciphers and checksums of TS 102 225 §5.1.2/§5.1.3, CBC with a zero IV as the clauses
/// specify. AES runs constant time (<see cref="OtaAes"/>: AES-NI or the platform); DES and 3DES on
/// BouncyCastle's engines keyed through <see cref="KeyParameter"/>, so that real cards' 3DES keys
/// with K1 = K2 work (the .NET key setters refuse them).
/// </summary>
internal static class OtaCrypto
{
    public static int BlockSize(CipherAlgorithm algorithm) => algorithm == CipherAlgorithm.AesCbc ? 16 : 8;

    public static int ChecksumLength(ChecksumAlgorithm algorithm) => algorithm switch
    {
        ChecksumAlgorithm.Crc16 => 2,
        ChecksumAlgorithm.Crc32 => 4,
        _ => 8,
    };

    public static bool IsSupported(CipherAlgorithm a) => a is CipherAlgorithm.DesCbc or CipherAlgorithm.TripleDes2KeyCbc or CipherAlgorithm.TripleDes3KeyCbc or CipherAlgorithm.DesEcb or CipherAlgorithm.AesCbc;

    public static bool IsSupported(ChecksumAlgorithm a) => a is ChecksumAlgorithm.DesCbcMac or ChecksumAlgorithm.TripleDes2KeyCbcMac or ChecksumAlgorithm.TripleDes3KeyCbcMac or ChecksumAlgorithm.AesCmac or ChecksumAlgorithm.Crc16 or ChecksumAlgorithm.Crc32;

    private static IBlockCipher Engine(int family, int keyLength, byte[] key, bool forEncryption)
    {
        IBlockCipher engine = family switch
        {
            1 when keyLength == 8 => new DesEngine(),
            3 when keyLength is 16 or 24 => new DesEdeEngine(),
            16 when keyLength is 16 or 24 or 32 => new AesEngine(),
            _ => throw new ArgumentException($"a {key.Length}-octet key does not fit the algorithm"),
        };
        engine.Init(forEncryption, new KeyParameter(key));
        return engine;
    }

    private static IBlockCipher CipherEngine(CipherAlgorithm a, byte[] key, bool encrypt) => a switch
    {
        CipherAlgorithm.DesCbc or CipherAlgorithm.DesEcb => Check(key, 8, Engine(1, key.Length, key, encrypt)),
        CipherAlgorithm.TripleDes2KeyCbc => Check(key, 16, Engine(3, key.Length, key, encrypt)),
        CipherAlgorithm.TripleDes3KeyCbc => Check(key, 24, Engine(3, key.Length, key, encrypt)),
        CipherAlgorithm.AesCbc => Engine(16, key.Length, key, encrypt),
        _ => throw new NotSupportedException($"ciphering algorithm {a}"),
    };

    private static IBlockCipher Check(byte[] key, int length, IBlockCipher engine) =>
        key.Length == length ? engine : throw new ArgumentException($"the key must be {length} octets, got {key.Length}");

    /// <summary>Encrypts or decrypts <paramref name="data"/> in place (length a multiple of the block).</summary>
    public static void Cipher(CipherAlgorithm a, byte[] key, Span<byte> data, bool encrypt)
    {
        if (a == CipherAlgorithm.AesCbc)
        {
            if (key.Length is not (16 or 24 or 32))
                throw new ArgumentException($"a {key.Length}-octet key does not fit the algorithm");
            if (data.Length % 16 != 0)
                throw new ArgumentException("data is not a whole number of blocks");
            OtaAes.Cbc(key, data, encrypt);
            return;
        }
        var engine = CipherEngine(a, key, encrypt);
        var block = engine.GetBlockSize();
        if (data.Length % block != 0)
            throw new ArgumentException("data is not a whole number of blocks");
        Span<byte> chain = stackalloc byte[block];
        chain.Clear();
        Span<byte> saved = stackalloc byte[block];
        var cbc = a != CipherAlgorithm.DesEcb;
        for (var i = 0; i < data.Length; i += block)
        {
            var b = data.Slice(i, block);
            if (encrypt)
            {
                if (cbc)
                    Xor(b, chain);
                engine.ProcessBlock(b, b);
                b.CopyTo(chain);
            }
            else
            {
                b.CopyTo(saved);
                engine.ProcessBlock(b, b);
                if (cbc)
                    Xor(b, chain);
                saved.CopyTo(chain);
            }
        }
    }

    /// <summary>The RC or CC over <paramref name="data"/> (block MACs pad it with zeros to the block).</summary>
    public static byte[] Checksum(ChecksumAlgorithm a, byte[] key, ReadOnlySpan<byte> data)
    {
        switch (a)
        {
            case ChecksumAlgorithm.Crc16:
                return Crc.Crc16(data);
            case ChecksumAlgorithm.Crc32:
                return Crc.Crc32(data);
            case ChecksumAlgorithm.AesCmac:
                if (key.Length is not (16 or 24 or 32))
                    throw new ArgumentException($"a {key.Length}-octet key does not fit AES-CMAC");
                return OtaAes.Cmac8(key, data);
            default:
                {
                    var cipher = a switch
                    {
                        ChecksumAlgorithm.DesCbcMac => CipherAlgorithm.DesCbc,
                        ChecksumAlgorithm.TripleDes2KeyCbcMac => CipherAlgorithm.TripleDes2KeyCbc,
                        ChecksumAlgorithm.TripleDes3KeyCbcMac => CipherAlgorithm.TripleDes3KeyCbc,
                        _ => throw new NotSupportedException($"checksum algorithm {a}"),
                    };
                    var padded = new byte[(data.Length + 7) / 8 * 8];
                    data.CopyTo(padded);
                    Cipher(cipher, key, padded, encrypt: true);
                    return padded[^8..];
                }
        }
    }

    private static void Xor(Span<byte> a, ReadOnlySpan<byte> b)
    {
        for (var i = 0; i < a.Length; i++)
            a[i] ^= b[i];
    }
}

/// <summary>The redundancy checks of TS 102 225 §5.1.3 (ISO/IEC 13239 CRC-16 and CRC-32), most significant octet first.</summary>
internal static class Crc
{
    public static byte[] Crc16(ReadOnlySpan<byte> data)
    {
        ushort crc = 0xFFFF;
        foreach (var b in data)
        {
            crc ^= b;
            for (var i = 0; i < 8; i++)
                crc = (crc & 1) != 0 ? (ushort)(crc >> 1 ^ 0x8408) : (ushort)(crc >> 1);
        }
        crc ^= 0xFFFF;
        return [(byte)(crc >> 8), (byte)crc];
    }

    public static byte[] Crc32(ReadOnlySpan<byte> data)
    {
        var crc = 0xFFFFFFFFu;
        foreach (var b in data)
        {
            crc ^= b;
            for (var i = 0; i < 8; i++)
                crc = (crc & 1) != 0 ? crc >> 1 ^ 0xEDB88320u : crc >> 1;
        }
        crc ^= 0xFFFFFFFFu;
        return [(byte)(crc >> 24), (byte)(crc >> 16), (byte)(crc >> 8), (byte)crc];
    }
}
