using M2MSec.Storage.Audit;

namespace M2MSec.Storage.Groups;

/// <summary>MTC groups in memory (tests, throwaway runs); one lock keeps a rekey and a membership change together.</summary>
public sealed class InMemoryMtcGroupStore(TimeProvider time, IAuditLog? log = null) : IMtcGroupStore
{
    private sealed class Row
    {
        public required string Id;
        public uint Epoch = 1;
        public uint Sequence;
        public uint Floor;
        public required byte[] Key;
        public DateTimeOffset CreatedAt;
        public readonly Dictionary<string, MtcGroupMember> Members = new(StringComparer.Ordinal);
        public readonly List<MtcGroupMessage> Messages = [];
    }

    private readonly Lock _lock = new();
    private readonly Dictionary<string, Row> _groups = new(StringComparer.Ordinal);
    private readonly Dictionary<string, byte[]> _memberKeys = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string[]> _features = new(StringComparer.Ordinal);
    private byte[]? _signingKey;

    public ValueTask<bool> CreateGroupAsync(string groupId, ReadOnlyMemory<byte> groupKey, CancellationToken cancellationToken = default)
    {
        lock (_lock)
            return ValueTask.FromResult(_groups.TryAdd(groupId, new Row { Id = groupId, Key = groupKey.ToArray(), CreatedAt = time.GetUtcNow() }));
    }

    public ValueTask<MtcGroup?> FindGroupAsync(string groupId, CancellationToken cancellationToken = default)
    {
        lock (_lock)
            return ValueTask.FromResult(_groups.TryGetValue(groupId, out var g) ? ToGroup(g) : null);
    }

    public ValueTask<IReadOnlyList<MtcGroup>> ListGroupsAsync(CancellationToken cancellationToken = default)
    {
        lock (_lock)
            return ValueTask.FromResult<IReadOnlyList<MtcGroup>>([.. _groups.Values.OrderBy(g => g.Id, StringComparer.Ordinal).Select(ToGroup)]);
    }

    public ValueTask<IReadOnlyList<MtcGroupMember>> ListMembersAsync(string groupId, CancellationToken cancellationToken = default)
    {
        lock (_lock)
            return ValueTask.FromResult<IReadOnlyList<MtcGroupMember>>(_groups.TryGetValue(groupId, out var g)
                ? [.. g.Members.Values.OrderBy(m => m.Identity, StringComparer.Ordinal)] : []);
    }

    public ValueTask<IReadOnlyList<string>> GroupsOfAsync(string identity, CancellationToken cancellationToken = default)
    {
        lock (_lock)
            return ValueTask.FromResult<IReadOnlyList<string>>([.. _groups.Values.Where(g => g.Members.ContainsKey(identity)).Select(g => g.Id).Order(StringComparer.Ordinal)]);
    }

    public ValueTask<uint?> ChangeMemberAsync(string groupId, string identity, bool add, ReadOnlyMemory<byte> newGroupKey, CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            if (!_groups.TryGetValue(groupId, out var g))
                return ValueTask.FromResult<uint?>(null);
            var changed = add ? g.Members.TryAdd(identity, new MtcGroupMember(groupId, identity, null, time.GetUtcNow())) : g.Members.Remove(identity);
            if (!changed)
                return ValueTask.FromResult<uint?>(null);
            g.Epoch++;
            g.Floor = g.Sequence;
            g.Key = newGroupKey.ToArray();
            return ValueTask.FromResult<uint?>(g.Epoch);
        }
    }

    public ValueTask<MtcGroupKey?> GetGroupKeyAsync(string groupId, CancellationToken cancellationToken = default)
    {
        lock (_lock)
            return ValueTask.FromResult(_groups.TryGetValue(groupId, out var g) ? new MtcGroupKey(g.Id, g.Epoch, g.Floor, (byte[])g.Key.Clone()) : null);
    }

    public ValueTask<(MtcGroupKey Key, uint Sequence)?> NextSequenceAsync(string groupId, CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            if (!_groups.TryGetValue(groupId, out var g))
                return ValueTask.FromResult<(MtcGroupKey, uint)?>(null);
            if (g.Sequence == uint.MaxValue)
                throw new StoreException($"group {groupId}: the sequence number is exhausted");
            g.Sequence++;
            return ValueTask.FromResult<(MtcGroupKey, uint)?>((new MtcGroupKey(g.Id, g.Epoch, g.Floor, (byte[])g.Key.Clone()), g.Sequence));
        }
    }

    public ValueTask AppendMessageAsync(string groupId, uint sequence, ReadOnlyMemory<byte> message, CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            if (_groups.TryGetValue(groupId, out var g))
                g.Messages.Add(new MtcGroupMessage(groupId, sequence, message.ToArray(), time.GetUtcNow()));
        }
        return ValueTask.CompletedTask;
    }

    public ValueTask<IReadOnlyList<MtcGroupMessage>> ListMessagesAsync(string groupId, uint afterSequence, int limit, CancellationToken cancellationToken = default)
    {
        lock (_lock)
            return ValueTask.FromResult<IReadOnlyList<MtcGroupMessage>>(_groups.TryGetValue(groupId, out var g)
                ? [.. g.Messages.Where(m => m.Sequence > afterSequence).OrderBy(m => m.Sequence).Take(limit)] : []);
    }

    public ValueTask<bool> RecordAckAsync(string groupId, string identity, uint epoch, CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            if (!_groups.TryGetValue(groupId, out var g) || !g.Members.TryGetValue(identity, out var m))
                return ValueTask.FromResult(false);
            g.Members[identity] = m with { AckedEpoch = epoch };
            return ValueTask.FromResult(true);
        }
    }

    public ValueTask SetMemberKeyAsync(string identity, ReadOnlyMemory<byte> memberKey, CancellationToken cancellationToken = default)
    {
        lock (_lock)
            _memberKeys[identity] = memberKey.ToArray();
        return ValueTask.CompletedTask;
    }

    public ValueTask<byte[]?> GetMemberKeyAsync(string identity, CancellationToken cancellationToken = default)
    {
        lock (_lock)
            return ValueTask.FromResult(_memberKeys.TryGetValue(identity, out var k) ? (byte[])k.Clone() : null);
    }

    public ValueTask SetFeaturesAsync(string identity, IReadOnlyCollection<string> features, CancellationToken cancellationToken = default)
    {
        lock (_lock)
            _features[identity] = [.. features.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)];
        return ValueTask.CompletedTask;
    }

    /// <summary>Decision 036: a bad entry refused first, then the features, then the entry (nothing in memory survives a crash).</summary>
    public async ValueTask SetFeaturesAsync(string identity, IReadOnlyCollection<string> features, AuditRecord audit, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(audit);
        M2MSec.Storage.InMemory.InMemoryAudit.Check(audit);
        await SetFeaturesAsync(identity, features, cancellationToken).ConfigureAwait(false);
        await M2MSec.Storage.InMemory.InMemoryAudit.AppendAsync(log, audit, cancellationToken).ConfigureAwait(false);
    }

    public ValueTask<IReadOnlyList<string>> GetFeaturesAsync(string identity, CancellationToken cancellationToken = default)
    {
        lock (_lock)
            return ValueTask.FromResult<IReadOnlyList<string>>(_features.TryGetValue(identity, out var f) ? f : []);
    }

    public ValueTask<byte[]> GetOrCreateSigningKeyAsync(Func<byte[]> create, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(create);
        lock (_lock)
            return ValueTask.FromResult((byte[])(_signingKey ??= create()).Clone());
    }

    private static MtcGroup ToGroup(Row g) => new(g.Id, g.Epoch, g.Sequence, g.Floor, g.Members.Count, g.CreatedAt);
}
