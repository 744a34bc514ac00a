using System.Buffers.Binary;
using M2MSec.Nas.Group;

namespace M2MSec.Device.Groups;

/// <summary>
/// Where a member keeps its group secrets (issue 17, docs/decisions/028): its own K_GRP and, per group, the key, epoch, the network's
/// public key and the last accepted sequence — the replay state, written before a message is handed to the application. A TRE
/// device keeps them sealed in the TRE (<see cref="TreGroupVault"/>); a UICC device in the ME's storage (<see cref="FileGroupVault"/>),
/// as a phone keeps its EPS NAS security context.
/// </summary>
public interface IGroupVault
{
    byte[]? MemberKey { get; }

    void SetMemberKey(ReadOnlySpan<byte> memberKey);

    GroupMemberState? Find(string groupId);

    void Save(GroupMemberState state);
}

/// <summary>The state of one group as stored: epoch (4) ‖ last sequence (4) ‖ group key (32) ‖ network public key (65).</summary>
internal static class GroupStateCodec
{
    private const int Length = 8 + GroupKeys.KeySize + GroupKeys.PublicKeySize;

    public static byte[] Encode(GroupMemberState s)
    {
        var b = new byte[Length];
        BinaryPrimitives.WriteUInt32BigEndian(b, s.Epoch);
        BinaryPrimitives.WriteUInt32BigEndian(b.AsSpan(4), s.LastSequence);
        s.GroupKey.CopyTo(b, 8);
        s.NetworkPublicKey.CopyTo(b, 8 + GroupKeys.KeySize);
        return b;
    }

    public static GroupMemberState? Decode(string groupId, byte[]? b) =>
        b is not { Length: Length } ? null
        : new GroupMemberState(groupId, BinaryPrimitives.ReadUInt32BigEndian(b), b[8..(8 + GroupKeys.KeySize)], b[(8 + GroupKeys.KeySize)..],
            BinaryPrimitives.ReadUInt32BigEndian(b.AsSpan(4)));
}
