using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace M2MSec.Aka;

/// <summary>
/// The generic key derivation function of TS 33.220 Annex B.2: derived key =
/// HMAC-SHA-256(Key, S) with S = FC || P0 || L0 || P1 || L1 || … || Pn || Ln, each Li the
/// length of Pi in two octets, big-endian; character strings are UTF-8 (B.2.1).
/// </summary>
public static class Kdf3gpp
{
    public const int OutputSize = 32;

    public static byte[] Derive(ReadOnlySpan<byte> key, byte fc, params ReadOnlySpan<byte[]> parameters)
    {
        var output = new byte[OutputSize];
        Derive(key, fc, parameters, output);
        return output;
    }

    public static void Derive(ReadOnlySpan<byte> key, byte fc, ReadOnlySpan<byte[]> parameters, Span<byte> destination)
    {
        if (destination.Length != OutputSize)
            throw new ArgumentException($"The KDF yields {OutputSize} octets.", nameof(destination));
        var length = 1;
        foreach (var p in parameters)
        {
            ArgumentNullException.ThrowIfNull(p, nameof(parameters));
            if (p.Length > ushort.MaxValue)
                throw new ArgumentException("A KDF parameter is at most 65535 octets.", nameof(parameters));
            length += p.Length + 2;
        }
        var s = new byte[length];
        s[0] = fc;
        var offset = 1;
        foreach (var p in parameters)
        {
            p.CopyTo(s, offset);
            offset += p.Length;
            BinaryPrimitives.WriteUInt16BigEndian(s.AsSpan(offset), (ushort)p.Length);
            offset += 2;
        }
        HMACSHA256.HashData(key, s, destination);
        CryptographicOperations.ZeroMemory(s);
    }

    public static byte[] Utf8(string value) => Encoding.UTF8.GetBytes(value);
}
