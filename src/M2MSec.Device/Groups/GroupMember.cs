using System.Security.Cryptography;
using M2MSec.Nas.Group;

namespace M2MSec.Device.Groups;

/// <summary>Outcome of a key delivery at the member.</summary>
public enum GroupKeyDeliveryStatus
{
    Installed,

    /// <summary>Not for this member, not under its K_GRP, or malformed.</summary>
    Refused,

    /// <summary>An epoch not above the one the member holds (an old delivery replayed).</summary>
    Stale,
}

/// <summary>
/// The member side of MTC groups (issue 17, docs/decisions/028), no I/O: K_GRP from the attach's K_ASME (FC 0xF1), key deliveries
/// opened under it (only an epoch above the held one), group messages checked against the stored state — shape, group, epoch,
/// sequence, then the network's signature, then decryption — and the sequence stored before the payload is returned.
/// </summary>
public sealed class GroupMember(string identity, IGroupVault vault)
{
    private readonly Lock _lock = new();

    public string Identity { get; } = identity;

    /// <summary>After an attach: keeps K_GRP = KDF(K_ASME, FC 0xF1) in the vault.</summary>
    public void OnAttached(ReadOnlySpan<byte> kasme)
    {
        var k = GroupKeys.MemberKey(kasme);
        vault.SetMemberKey(k);
        CryptographicOperations.ZeroMemory(k);
    }

    public GroupMemberState? StateOf(string groupId) => vault.Find(groupId);

    public GroupKeyDeliveryStatus AcceptDelivery(ReadOnlySpan<byte> delivery)
    {
        lock (_lock)
        {
            if (vault.MemberKey is not { } k)
                return GroupKeyDeliveryStatus.Refused;
            var grant = GroupKeyDelivery.Unwrap(k, Identity, delivery);
            CryptographicOperations.ZeroMemory(k);
            if (grant is null)
                return GroupKeyDeliveryStatus.Refused;
            var held = vault.Find(grant.GroupId);
            if (held is not null && grant.Epoch <= held.Epoch)
                return GroupKeyDeliveryStatus.Stale;
            var last = Math.Max(grant.SequenceFloor, held?.LastSequence ?? 0);
            vault.Save(new GroupMemberState(grant.GroupId, grant.Epoch, grant.GroupKey, grant.NetworkPublicKey, last));
            return GroupKeyDeliveryStatus.Installed;
        }
    }

    /// <summary>Checks and opens one group message; an accepted one moves the stored sequence before it is returned.</summary>
    public GroupMessageResult Receive(ReadOnlySpan<byte> message)
    {
        GroupMessage header;
        try
        {
            header = GroupMessageCodec.Decode(message);
        }
        catch (GroupMessageFormatException e)
        {
            return new GroupMessageResult(GroupMessageStatus.Malformed, e.Message);
        }
        lock (_lock)
        {
            if (vault.Find(header.GroupId) is not { } state)
                return new GroupMessageResult(GroupMessageStatus.WrongGroup, $"group_id: {header.GroupId} is not one of this member's groups");
            var result = GroupMessageProtection.Open(state, message);
            if (result.IsAccepted)
                vault.Save(state with { LastSequence = result.Sequence });
            return result;
        }
    }

    /// <summary>The acknowledgement MAC of <paramref name="epoch"/> on this member's own channel.</summary>
    public byte[] AckMac(string groupId, uint epoch)
    {
        var k = vault.MemberKey ?? throw new InvalidOperationException("no K_GRP: attach first");
        try
        {
            return GroupKeyDelivery.AckMac(k, groupId, Identity, epoch);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(k);
        }
    }
}
