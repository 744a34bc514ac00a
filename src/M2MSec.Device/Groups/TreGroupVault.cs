using M2MSec.Device.Tre;
using M2MSec.Nas.Group;

namespace M2MSec.Device.Groups;

/// <summary>A TRE device's group secrets: sealed objects under <c>grp/</c>, readable and writable by the network caller only (TrePolicy).</summary>
public sealed class TreGroupVault(TrustedEnvironment tre) : IGroupVault
{
    private const string MemberKeyName = "grp/k_grp";

    public byte[]? MemberKey => tre.ReadObject(TreCaller.Network, MemberKeyName);

    public void SetMemberKey(ReadOnlySpan<byte> memberKey) => tre.WriteObject(TreCaller.Network, MemberKeyName, memberKey);

    public GroupMemberState? Find(string groupId) => GroupStateCodec.Decode(groupId, tre.ReadObject(TreCaller.Network, Name(groupId)));

    public void Save(GroupMemberState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        tre.WriteObject(TreCaller.Network, Name(state.GroupId), GroupStateCodec.Encode(state));
    }

    private static string Name(string groupId) => ExternalGroupId.IsValid(groupId) ? $"grp/state/{groupId}" : throw new ArgumentException("not a group id", nameof(groupId));
}
