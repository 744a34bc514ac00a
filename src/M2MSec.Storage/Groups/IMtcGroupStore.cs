using M2MSec.Storage.Audit;

namespace M2MSec.Storage.Groups;

/// <summary>An MTC group (issue 17, TR 33.868 §5.2): its External Group Identifier, current key epoch, last message sequence, and the
/// sequence floor of the epoch (the last sequence when the epoch began).</summary>
public sealed record MtcGroup(string Id, uint Epoch, uint Sequence, uint SequenceFloor, int Members, DateTimeOffset CreatedAt);

/// <summary>A member: its identity (IMSI or PCID, as it attached) and the last epoch it acknowledged on its own channel.</summary>
public sealed record MtcGroupMember(string GroupId, string Identity, uint? AckedEpoch, DateTimeOffset AddedAt);

/// <summary>A group key with its epoch and sequence floor.</summary>
public sealed record MtcGroupKey(string GroupId, uint Epoch, uint SequenceFloor, byte[] Key);

/// <summary>A sent group message as stored for members to fetch.</summary>
public sealed record MtcGroupMessage(string GroupId, uint Sequence, byte[] Message, DateTimeOffset At);

/// <summary>
/// The serving network's MTC group state (issue 17, docs/decisions/028): groups and members, the group key (wrapped at rest, replaced —
/// a new epoch — on every membership change), the messages sent, each attached device's K_GRP (wrapped), the MTC features each
/// subscriber may use (clause 4), and the network's group-message signing key (wrapped).
/// </summary>
public interface IMtcGroupStore
{
    /// <summary>Creates the group at epoch 1 with <paramref name="groupKey"/>; false if the id exists.</summary>
    ValueTask<bool> CreateGroupAsync(string groupId, ReadOnlyMemory<byte> groupKey, CancellationToken cancellationToken = default);

    ValueTask<MtcGroup?> FindGroupAsync(string groupId, CancellationToken cancellationToken = default);

    ValueTask<IReadOnlyList<MtcGroup>> ListGroupsAsync(CancellationToken cancellationToken = default);

    ValueTask<IReadOnlyList<MtcGroupMember>> ListMembersAsync(string groupId, CancellationToken cancellationToken = default);

    /// <summary>The groups <paramref name="identity"/> is a member of.</summary>
    ValueTask<IReadOnlyList<string>> GroupsOfAsync(string identity, CancellationToken cancellationToken = default);

    /// <summary>
    /// Adds (<paramref name="add"/>) or removes a member and, in the same transaction, rekeys: the epoch goes up by one, the key becomes
    /// <paramref name="newGroupKey"/>, the floor the current sequence. Null if the group is unknown or nothing changed (already a member /
    /// not a member); else the new epoch.
    /// </summary>
    ValueTask<uint?> ChangeMemberAsync(string groupId, string identity, bool add, ReadOnlyMemory<byte> newGroupKey, CancellationToken cancellationToken = default);

    /// <summary>The current key (unwrapped) of the group; null if unknown.</summary>
    ValueTask<MtcGroupKey?> GetGroupKeyAsync(string groupId, CancellationToken cancellationToken = default);

    /// <summary>Takes the next sequence number (atomically) with the current key; null if the group is unknown.</summary>
    ValueTask<(MtcGroupKey Key, uint Sequence)?> NextSequenceAsync(string groupId, CancellationToken cancellationToken = default);

    ValueTask AppendMessageAsync(string groupId, uint sequence, ReadOnlyMemory<byte> message, CancellationToken cancellationToken = default);

    /// <summary>Messages after <paramref name="afterSequence"/>, oldest first, at most <paramref name="limit"/>.</summary>
    ValueTask<IReadOnlyList<MtcGroupMessage>> ListMessagesAsync(string groupId, uint afterSequence, int limit, CancellationToken cancellationToken = default);

    /// <summary>Records that a member acknowledged <paramref name="epoch"/>; false if it is not a member.</summary>
    ValueTask<bool> RecordAckAsync(string groupId, string identity, uint epoch, CancellationToken cancellationToken = default);

    /// <summary>Keeps (replaces) the attached device's K_GRP, wrapped.</summary>
    ValueTask SetMemberKeyAsync(string identity, ReadOnlyMemory<byte> memberKey, CancellationToken cancellationToken = default);

    ValueTask<byte[]?> GetMemberKeyAsync(string identity, CancellationToken cancellationToken = default);

    /// <summary>Sets the MTC features of a subscriber (clause 4), replacing the previous set.</summary>
    ValueTask SetFeaturesAsync(string identity, IReadOnlyCollection<string> features, CancellationToken cancellationToken = default);

    /// <summary>As <see cref="SetFeaturesAsync(string, IReadOnlyCollection{string}, CancellationToken)"/>, with <paramref name="audit"/> in the same transaction (decision 036).</summary>
    ValueTask SetFeaturesAsync(string identity, IReadOnlyCollection<string> features, AuditRecord audit, CancellationToken cancellationToken = default);

    /// <summary>The subscriber's MTC features (empty if none were set).</summary>
    ValueTask<IReadOnlyList<string>> GetFeaturesAsync(string identity, CancellationToken cancellationToken = default);

    /// <summary>The network's signing key (PKCS#8), created by <paramref name="create"/> on first use; every instance gets the same one.</summary>
    ValueTask<byte[]> GetOrCreateSigningKeyAsync(Func<byte[]> create, CancellationToken cancellationToken = default);
}
