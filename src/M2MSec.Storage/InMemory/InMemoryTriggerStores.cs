using M2MSec.Storage.MtcIwf;
using M2MSec.Storage.Vno;

namespace M2MSec.Storage.InMemory;

/// <summary>The VNO's NAS contexts and triggers in memory (issue 17): for tests.</summary>
public sealed class InMemoryVnoStore(TimeProvider time) : IVnoStore
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, (VnoNasContextInfo Info, byte[] Key)> _contexts = new(StringComparer.Ordinal);
    private readonly Dictionary<string, VnoTrigger> _triggers = new(StringComparer.Ordinal);
    private readonly Dictionary<string, uint> _uplink = new(StringComparer.Ordinal);

    public ValueTask<VnoUplinkContext?> FindUplinkAsync(string identity, CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            return ValueTask.FromResult(_contexts.TryGetValue(identity, out var c)
                ? new VnoUplinkContext(identity, c.Info.ContextId, (byte[])c.Key.Clone(), _uplink.TryGetValue(identity, out var u) ? u : null, c.Info.State)
                : null);
        }
    }

    private readonly Dictionary<string, VnoBattery> _battery = new(StringComparer.Ordinal);

    public ValueTask PutBatteryAsync(VnoBattery battery, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(battery);
        lock (_lock)
            _battery[battery.Identity] = battery;
        return ValueTask.CompletedTask;
    }

    public ValueTask<VnoBattery?> FindBatteryAsync(string identity, CancellationToken cancellationToken = default)
    {
        lock (_lock)
            return ValueTask.FromResult(_battery.GetValueOrDefault(identity));
    }

    public ValueTask<bool> AcceptUplinkCountAsync(string identity, string contextId, uint count, CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            if (!_contexts.TryGetValue(identity, out var c) || c.Info.ContextId != contextId || (_uplink.TryGetValue(identity, out var last) && count <= last))
                return ValueTask.FromResult(false);
            _uplink[identity] = count;
            return ValueTask.FromResult(true);
        }
    }

    public ValueTask PutContextAsync(string identity, string plmn, ReadOnlyMemory<byte> knasInt, string contextId, string state, CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            _contexts[identity] = (new VnoNasContextInfo(identity, plmn, contextId, 0, state, time.GetUtcNow()), knasInt.ToArray());
            _uplink.Remove(identity);
        }
        return ValueTask.CompletedTask;
    }

    public ValueTask<VnoNasContextInfo?> FindContextAsync(string identity, CancellationToken cancellationToken = default)
    {
        lock (_lock)
            return ValueTask.FromResult(_contexts.TryGetValue(identity, out var c) ? c.Info : null);
    }

    public ValueTask<bool> SetStateAsync(string identity, string state, CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            if (!_contexts.TryGetValue(identity, out var c))
                return ValueTask.FromResult(false);
            _contexts[identity] = (c.Info with { State = state, UpdatedAt = time.GetUtcNow() }, c.Key);
            return ValueTask.FromResult(true);
        }
    }

    public ValueTask<VnoDownlinkCount?> TakeDownlinkCountAsync(string identity, CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            if (!_contexts.TryGetValue(identity, out var c))
                return ValueTask.FromResult<VnoDownlinkCount?>(null);
            if (c.Info.NextDownlinkCount > IVnoStore.MaxCount)
                throw new StoreException($"the NAS downlink COUNT of {identity} is exhausted: the device must attach again (a new context)");
            _contexts[identity] = (c.Info with { NextDownlinkCount = c.Info.NextDownlinkCount + 1 }, c.Key);
            return ValueTask.FromResult<VnoDownlinkCount?>(new VnoDownlinkCount(identity, c.Info.Plmn, c.Info.ContextId, c.Info.NextDownlinkCount,
                (byte[])c.Key.Clone(), c.Info.State));
        }
    }

    public ValueTask AddTriggerAsync(VnoTrigger trigger, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(trigger);
        lock (_lock)
            _triggers.Add(trigger.Id, trigger);
        return ValueTask.CompletedTask;
    }

    public ValueTask<IReadOnlyList<VnoTrigger>> PendingTriggersAsync(string identity, CancellationToken cancellationToken = default)
    {
        var now = time.GetUtcNow();
        lock (_lock)
            return ValueTask.FromResult<IReadOnlyList<VnoTrigger>>([.. _triggers.Values.Where(t => t.Identity == identity && t.ExpiresAt >= now)
                .OrderBy(t => t.Count).ThenBy(t => t.CreatedAt)]);
    }

    public ValueTask<bool> ReprotectTriggerAsync(string id, string contextId, uint count, byte[] message, string delivery, CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            if (!_triggers.TryGetValue(id, out var t))
                return ValueTask.FromResult(false);
            _triggers[id] = t with { ContextId = contextId, Count = count, Message = message, Delivery = delivery };
            return ValueTask.FromResult(true);
        }
    }

    public ValueTask<int> AcknowledgeTriggersAsync(string identity, string contextId, uint throughCount, CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            var gone = _triggers.Values.Where(t => t.Identity == identity && t.ContextId == contextId && t.Count <= throughCount).Select(t => t.Id).ToList();
            foreach (var id in gone)
                _triggers.Remove(id);
            return ValueTask.FromResult(gone.Count);
        }
    }
}

/// <summary>The MTC-IWF's authorisation table in memory (issue 17): for tests.</summary>
public sealed class InMemoryMtcIwfStore : IMtcIwfStore
{
    private readonly System.Collections.Concurrent.ConcurrentDictionary<(string, string), MtcIwfGrant> _grants = new();

    public ValueTask GrantAsync(MtcIwfGrant grant, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(grant);
        _grants[(grant.MtcServer, grant.ExternalId)] = grant;
        return ValueTask.CompletedTask;
    }

    public ValueTask<MtcIwfGrant?> FindGrantAsync(string mtcServer, string externalId, CancellationToken cancellationToken = default) =>
        ValueTask.FromResult(_grants.GetValueOrDefault((mtcServer, externalId)));

    public ValueTask<bool> RevokeAsync(string mtcServer, string externalId, CancellationToken cancellationToken = default) =>
        ValueTask.FromResult(_grants.TryRemove((mtcServer, externalId), out _));

    public ValueTask<IReadOnlyList<MtcIwfGrant>> ListGrantsAsync(CancellationToken cancellationToken = default) =>
        ValueTask.FromResult<IReadOnlyList<MtcIwfGrant>>([.. _grants.Values.OrderBy(g => g.MtcServer, StringComparer.Ordinal).ThenBy(g => g.ExternalId, StringComparer.Ordinal)]);
}
