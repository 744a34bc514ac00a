using System.Buffers.Binary;
using System.Security.Cryptography;
using M2MSec.Crypto;

namespace M2MSec.Aka.Integrity;

/// <summary>
/// 128-EIA2 (TS 33.401 Annex B.2.3): AES-CMAC under the 128-bit integrity key over M = COUNT (32 bits) ‖ BEARER (5 bits) ‖
/// DIRECTION (1 bit) ‖ 26 zero bits ‖ MESSAGE; the MAC is the 32 most significant bits of the tag. Whole-octet messages only.
/// </summary>
public static class Eia2
{
    public const int MacLength = 4;

    /// <summary>DIRECTION: 0 uplink (device to network), 1 downlink (network to device).</summary>
    public const int Uplink = 0;

    public const int Downlink = 1;

    public static void Compute(ReadOnlySpan<byte> key, uint count, int bearer, int direction, ReadOnlySpan<byte> message, Span<byte> mac)
    {
        if (key.Length != 16)
            throw new ArgumentException("128-EIA2 keys are 16 octets.", nameof(key));
        if (bearer is < 0 or > 31)
            throw new ArgumentOutOfRangeException(nameof(bearer), "BEARER is 5 bits");
        if (direction is not (Uplink or Downlink))
            throw new ArgumentOutOfRangeException(nameof(direction), "DIRECTION is 0 or 1");
        if (mac.Length < MacLength)
            throw new ArgumentException("The MAC needs 4 octets.", nameof(mac));
        var m = message.Length <= 512 ? stackalloc byte[8 + message.Length] : new byte[8 + message.Length];
        BinaryPrimitives.WriteUInt32BigEndian(m, count);
        m[4] = (byte)(bearer << 3 | direction << 2);
        m[5] = m[6] = m[7] = 0;
        message.CopyTo(m[8..]);
        Span<byte> tag = stackalloc byte[AesCmac.TagLength];
        AesCmac.Compute(key, m, tag);
        tag[..MacLength].CopyTo(mac);
        CryptographicOperations.ZeroMemory(tag);
    }

    public static byte[] Compute(ReadOnlySpan<byte> key, uint count, int bearer, int direction, ReadOnlySpan<byte> message)
    {
        var mac = new byte[MacLength];
        Compute(key, count, bearer, direction, message, mac);
        return mac;
    }

    /// <summary>Whether <paramref name="mac"/> is the MAC of <paramref name="message"/>, compared in fixed time.</summary>
    public static bool Verify(ReadOnlySpan<byte> key, uint count, int bearer, int direction, ReadOnlySpan<byte> message, ReadOnlySpan<byte> mac)
    {
        Span<byte> expected = stackalloc byte[MacLength];
        Compute(key, count, bearer, direction, message, expected);
        return mac.Length == MacLength && CryptographicOperations.FixedTimeEquals(expected, mac);
    }
}
