using System.Buffers.Binary;
using System.Text;

namespace M2MSec.Nas.Group;

/// <summary>
/// A protected group message as sent (docs/decisions/028): <c>version (1) = 1 | group id length (1) | group id (UTF-8) | epoch (4) |
/// sequence (4) | ciphertext length (2) | AES-256-GCM ciphertext ‖ tag (16) | ECDSA P-256 signature (64, r ‖ s)</c>. The header
/// (version … sequence) is the GCM associated data; the signature covers every octet before it.
/// </summary>
public sealed record GroupMessage(string GroupId, uint Epoch, uint Sequence, byte[] Ciphertext, byte[] Signature)
{
    public const byte Version = 1;
    public const int TagSize = 16;
    public const int MaxPayload = 1024;

    /// <summary>The octets the GCM associated data and the nonce come from: version … sequence.</summary>
    public static byte[] Header(string groupId, uint epoch, uint sequence)
    {
        var id = Encoding.UTF8.GetBytes(groupId);
        if (id.Length is 0 or > ExternalGroupId.MaxLength)
            throw new ArgumentException("a group id is 1 to 255 octets", nameof(groupId));
        var h = new byte[2 + id.Length + 8];
        h[0] = Version;
        h[1] = (byte)id.Length;
        id.CopyTo(h, 2);
        BinaryPrimitives.WriteUInt32BigEndian(h.AsSpan(2 + id.Length), epoch);
        BinaryPrimitives.WriteUInt32BigEndian(h.AsSpan(6 + id.Length), sequence);
        return h;
    }

    public int GetEncodedLength() => Header(GroupId, Epoch, Sequence).Length + 2 + Ciphertext.Length + Signature.Length;

    /// <summary>The octets the signature covers.</summary>
    public byte[] SignedPart()
    {
        var h = Header(GroupId, Epoch, Sequence);
        var s = new byte[h.Length + 2 + Ciphertext.Length];
        h.CopyTo(s, 0);
        BinaryPrimitives.WriteUInt16BigEndian(s.AsSpan(h.Length), (ushort)Ciphertext.Length);
        Ciphertext.CopyTo(s, h.Length + 2);
        return s;
    }

    public byte[] Encode()
    {
        if (Ciphertext.Length is < TagSize or > MaxPayload + TagSize || Signature.Length != GroupKeys.SignatureSize)
            throw new ArgumentException("ciphertext is 16 to 1040 octets and the signature 64");
        return [.. SignedPart(), .. Signature];
    }
}

/// <summary>A group message that does not parse; <see cref="Offset"/> is where, <see cref="Field"/> which field.</summary>
public sealed class GroupMessageFormatException(string field, int offset, string message) : FormatException($"{field} at offset {offset}: {message}")
{
    public string Field { get; } = field;

    public int Offset { get; } = offset;
}

/// <summary>The I/O-free decoder of <see cref="GroupMessage"/>: the length must match exactly (no trailing octets).</summary>
public static class GroupMessageCodec
{
    public static GroupMessage Decode(ReadOnlySpan<byte> m)
    {
        if (m.Length < 2)
            throw new GroupMessageFormatException("version", m.Length, "truncated");
        if (m[0] != GroupMessage.Version)
            throw new GroupMessageFormatException("version", 0, $"version {m[0]} is not 1");
        var idLength = m[1];
        if (idLength == 0)
            throw new GroupMessageFormatException("group_id", 1, "empty");
        var at = 2;
        if (m.Length < at + idLength + 10)
            throw new GroupMessageFormatException("group_id", at, "truncated");
        string groupId;
        try
        {
            groupId = new UTF8Encoding(false, true).GetString(m.Slice(at, idLength));
        }
        catch (DecoderFallbackException)
        {
            throw new GroupMessageFormatException("group_id", at, "not UTF-8");
        }
        if (!ExternalGroupId.IsValid(groupId))
            throw new GroupMessageFormatException("group_id", at, "not local@domain");
        at += idLength;
        var epoch = BinaryPrimitives.ReadUInt32BigEndian(m[at..]);
        var sequence = BinaryPrimitives.ReadUInt32BigEndian(m[(at + 4)..]);
        at += 8;
        var length = BinaryPrimitives.ReadUInt16BigEndian(m[at..]);
        if (length is < GroupMessage.TagSize or > GroupMessage.MaxPayload + GroupMessage.TagSize)
            throw new GroupMessageFormatException("ciphertext_length", at, $"{length} is not 16 to {GroupMessage.MaxPayload + GroupMessage.TagSize}");
        at += 2;
        if (m.Length != at + length + GroupKeys.SignatureSize)
            throw new GroupMessageFormatException("signature", Math.Min(m.Length, at + length), $"the message is {m.Length} octets, expected {at + length + GroupKeys.SignatureSize}");
        return new GroupMessage(groupId, epoch, sequence, m.Slice(at, length).ToArray(), m[(at + length)..].ToArray());
    }
}
