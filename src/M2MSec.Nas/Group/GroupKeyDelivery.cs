using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace M2MSec.Nas.Group;

/// <summary>What a member learns from a key delivery: the group's key for <see cref="Epoch"/>, the network's public key, and the
/// sequence floor (the group's last sequence when the epoch began: messages of this epoch are above it).</summary>
public sealed record GroupKeyGrant(string GroupId, string Identity, uint Epoch, uint SequenceFloor, byte[] GroupKey, byte[] NetworkPublicKey);

/// <summary>
/// The group key delivered to one member under that member's own K_GRP (docs/decisions/028): <c>version (1) = 1 | group id length (1) |
/// group id | identity length (1) | identity | epoch (4) | floor (4) | nonce (12) | AES-256-GCM(K_GRP; group key (32) ‖ network public
/// key (65)) ‖ tag (16)</c>, the header before the nonce as associated data, so a delivery opens only for the member it names and
/// binds the epoch. The member's acknowledgement on its individual channel is HMAC-SHA-256 under its own K_GRP. No I/O.
/// </summary>
public static class GroupKeyDelivery
{
    private const int NonceSize = 12;
    private const int PlainSize = GroupKeys.KeySize + GroupKeys.PublicKeySize;

    public static byte[] Wrap(ReadOnlySpan<byte> memberKey, GroupKeyGrant grant)
    {
        ArgumentNullException.ThrowIfNull(grant);
        if (memberKey.Length != GroupKeys.KeySize || grant.GroupKey.Length != GroupKeys.KeySize || grant.NetworkPublicKey.Length != GroupKeys.PublicKeySize)
            throw new ArgumentException("K_GRP and the group key are 32 octets, the public key 65");
        var header = Header(grant.GroupId, grant.Identity, grant.Epoch, grant.SequenceFloor);
        var output = new byte[header.Length + NonceSize + PlainSize + GroupMessage.TagSize];
        header.CopyTo(output, 0);
        var nonce = output.AsSpan(header.Length, NonceSize);
        RandomNumberGenerator.Fill(nonce);
        Span<byte> plain = stackalloc byte[PlainSize];
        grant.GroupKey.CopyTo(plain);
        grant.NetworkPublicKey.CopyTo(plain[GroupKeys.KeySize..]);
        using (var gcm = new AesGcm(memberKey, GroupMessage.TagSize))
            gcm.Encrypt(nonce, plain, output.AsSpan(header.Length + NonceSize, PlainSize), output.AsSpan(header.Length + NonceSize + PlainSize), header);
        CryptographicOperations.ZeroMemory(plain);
        return output;
    }

    /// <summary>Opens a delivery for <paramref name="identity"/>; null if it is malformed, for someone else, or not under this K_GRP.</summary>
    public static GroupKeyGrant? Unwrap(ReadOnlySpan<byte> memberKey, string identity, ReadOnlySpan<byte> delivery)
    {
        if (memberKey.Length != GroupKeys.KeySize || delivery.Length < 2 || delivery[0] != GroupMessage.Version)
            return null;
        var idLength = delivery[1];
        if (delivery.Length < 3 + idLength)
            return null;
        var identityLength = delivery[2 + idLength];
        var headerLength = 3 + idLength + identityLength + 8;
        if (delivery.Length != headerLength + NonceSize + PlainSize + GroupMessage.TagSize)
            return null;
        string groupId, named;
        try
        {
            var utf8 = new UTF8Encoding(false, true);
            groupId = utf8.GetString(delivery.Slice(2, idLength));
            named = utf8.GetString(delivery.Slice(3 + idLength, identityLength));
        }
        catch (DecoderFallbackException)
        {
            return null;
        }
        if (!string.Equals(named, identity, StringComparison.Ordinal) || !ExternalGroupId.IsValid(groupId))
            return null;
        var epoch = BinaryPrimitives.ReadUInt32BigEndian(delivery[(headerLength - 8)..]);
        var floor = BinaryPrimitives.ReadUInt32BigEndian(delivery[(headerLength - 4)..]);
        var plain = new byte[PlainSize];
        try
        {
            using var gcm = new AesGcm(memberKey, GroupMessage.TagSize);
            gcm.Decrypt(delivery.Slice(headerLength, NonceSize), delivery.Slice(headerLength + NonceSize, PlainSize), delivery[(headerLength + NonceSize + PlainSize)..],
                plain, delivery[..headerLength]);
        }
        catch (AuthenticationTagMismatchException)
        {
            return null;
        }
        return new GroupKeyGrant(groupId, identity, epoch, floor, plain[..GroupKeys.KeySize], plain[GroupKeys.KeySize..]);
    }

    /// <summary>The member's acknowledgement of an epoch on its individual channel: HMAC-SHA-256(K_GRP, "ack" ‖ header).</summary>
    public static byte[] AckMac(ReadOnlySpan<byte> memberKey, string groupId, string identity, uint epoch)
    {
        if (memberKey.Length != GroupKeys.KeySize)
            throw new ArgumentException("K_GRP is 32 octets", nameof(memberKey));
        return HMACSHA256.HashData(memberKey, [.. "ack"u8, .. Header(groupId, identity, epoch, 0)]);
    }

    private static byte[] Header(string groupId, string identity, uint epoch, uint floor)
    {
        var g = Encoding.UTF8.GetBytes(groupId);
        var i = Encoding.UTF8.GetBytes(identity);
        if (g.Length is 0 or > 255 || i.Length is 0 or > 255)
            throw new ArgumentException("group id and identity are 1 to 255 octets");
        var h = new byte[3 + g.Length + i.Length + 8];
        h[0] = GroupMessage.Version;
        h[1] = (byte)g.Length;
        g.CopyTo(h, 2);
        h[2 + g.Length] = (byte)i.Length;
        i.CopyTo(h, 3 + g.Length);
        BinaryPrimitives.WriteUInt32BigEndian(h.AsSpan(3 + g.Length + i.Length), epoch);
        BinaryPrimitives.WriteUInt32BigEndian(h.AsSpan(7 + g.Length + i.Length), floor);
        return h;
    }
}
