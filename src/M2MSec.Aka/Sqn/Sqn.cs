using System.Buffers.Binary;

namespace M2MSec.Aka;

/// <summary>Conversions of the 48-bit SQN to and from its six octets (big-endian, TS 33.102 §6.3.2).</summary>
public static class Sqn
{
    public static ulong Read(ReadOnlySpan<byte> sqn)
    {
        if (sqn.Length != Milenage.SqnSize)
            throw new ArgumentException($"SQN must be 6 octets, got {sqn.Length}.", nameof(sqn));
        return (ulong)BinaryPrimitives.ReadUInt32BigEndian(sqn) << 16 | BinaryPrimitives.ReadUInt16BigEndian(sqn[4..]);
    }

    public static void Write(ulong value, Span<byte> destination)
    {
        if (destination.Length != Milenage.SqnSize)
            throw new ArgumentException($"SQN must be 6 octets, got {destination.Length}.", nameof(destination));
        if (value > SqnScheme.SqnMask)
            throw new ArgumentOutOfRangeException(nameof(value), "SQN is 48 bits.");
        BinaryPrimitives.WriteUInt32BigEndian(destination, (uint)(value >> 16));
        BinaryPrimitives.WriteUInt16BigEndian(destination[4..], (ushort)value);
    }

    public static byte[] ToBytes(ulong value)
    {
        var b = new byte[Milenage.SqnSize];
        Write(value, b);
        return b;
    }
}
