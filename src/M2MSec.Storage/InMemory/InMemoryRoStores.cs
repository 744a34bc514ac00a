using System.Collections.Concurrent;
using M2MSec.Storage.Drf;
using M2MSec.Storage.Icf;

namespace M2MSec.Storage.InMemory;

/// <summary>The ICF's state in memory: for tests.</summary>
public sealed class InMemoryIcfStore(TimeProvider time) : IIcfStore
{
    private readonly ConcurrentDictionary<(string, string), (byte[] Key, DateTimeOffset ExpiresAt)> _pending = new();
    private readonly ConcurrentDictionary<string, IcfPcidUse> _uses = new(StringComparer.Ordinal);

    public ValueTask AddPendingKeyAsync(string pcid, ReadOnlyMemory<byte> rand, ReadOnlyMemory<byte> kRo, DateTimeOffset expiresAt, CancellationToken cancellationToken = default)
    {
        _pending[(pcid, Convert.ToHexStringLower(rand.Span))] = (kRo.ToArray(), expiresAt);
        return ValueTask.CompletedTask;
    }

    public ValueTask<byte[]?> TakePendingKeyAsync(string pcid, ReadOnlyMemory<byte> rand, CancellationToken cancellationToken = default) =>
        ValueTask.FromResult(_pending.TryRemove((pcid, Convert.ToHexStringLower(rand.Span)), out var e) && e.ExpiresAt >= time.GetUtcNow() ? e.Key : null);

    public ValueTask<IcfPcidUse?> FindUseAsync(string pcid, CancellationToken cancellationToken = default) =>
        ValueTask.FromResult(_uses.GetValueOrDefault(pcid));

    public ValueTask<bool> TryRecordUseAsync(IcfPcidUse use, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(use);
        return ValueTask.FromResult(_uses.TryAdd(use.Pcid, use));
    }

    public ValueTask<bool> ClearUseAsync(string pcid, CancellationToken cancellationToken = default) => ValueTask.FromResult(_uses.TryRemove(pcid, out _));

    public ValueTask<IReadOnlyList<IcfPcidUse>> FindUsesAsync(IReadOnlyCollection<string> pcids, CancellationToken cancellationToken = default) =>
        ValueTask.FromResult<IReadOnlyList<IcfPcidUse>>([.. pcids.Distinct(StringComparer.Ordinal).Select(_uses.GetValueOrDefault).OfType<IcfPcidUse>()]);
}

/// <summary>The DRF's state in memory: for tests.</summary>
public sealed class InMemoryDrfStore(TimeProvider time) : IDrfStore
{
    private readonly ConcurrentDictionary<string, string> _assignments = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, DrfBootstrapRequest> _requests = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, DrfRegistration> _registrations = new(StringComparer.Ordinal);

    public ValueTask SetAssignmentAsync(string pcid, string shoId, CancellationToken cancellationToken = default)
    {
        _assignments[pcid] = shoId;
        return ValueTask.CompletedTask;
    }

    public ValueTask<string?> FindAssignmentAsync(string pcid, CancellationToken cancellationToken = default) => ValueTask.FromResult(_assignments.GetValueOrDefault(pcid));

    public ValueTask PutBootstrapRequestAsync(DrfBootstrapRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        _requests[request.Pcid] = request with { KRo = (byte[])request.KRo.Clone() };
        return ValueTask.CompletedTask;
    }

    public ValueTask<DrfBootstrapRequest?> TakeBootstrapRequestAsync(string pcid, CancellationToken cancellationToken = default) =>
        ValueTask.FromResult(_requests.TryRemove(pcid, out var r) && r.ExpiresAt >= time.GetUtcNow() ? r : null);

    public ValueTask PutRegistrationAsync(DrfRegistration registration, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(registration);
        _registrations[registration.Pcid] = registration;
        return ValueTask.CompletedTask;
    }

    public ValueTask<DrfRegistration?> FindRegistrationAsync(string pcid, CancellationToken cancellationToken = default) =>
        ValueTask.FromResult(_registrations.GetValueOrDefault(pcid));

    public ValueTask<bool> TryMoveRegistrationAsync(string pcid, string from, string to, CancellationToken cancellationToken = default)
    {
        if (!_registrations.TryGetValue(pcid, out var r) || r.State != from)
            return ValueTask.FromResult(false);
        return ValueTask.FromResult(_registrations.TryUpdate(pcid, r with { State = to, UpdatedAt = time.GetUtcNow() }, r));
    }

    private readonly ConcurrentDictionary<string, DrfChange> _changes = new(StringComparer.Ordinal);

    public ValueTask<bool> StartChangeAsync(DrfChange change, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(change);
        while (true)
        {
            if (!_changes.TryGetValue(change.Pcid, out var old))
            {
                if (_changes.TryAdd(change.Pcid, change))
                    return ValueTask.FromResult(true);
                continue;
            }
            if (old.State is DrfChange.Provisioning or DrfChange.Installed)
                return ValueTask.FromResult(false);
            if (_changes.TryUpdate(change.Pcid, change, old))
                return ValueTask.FromResult(true);
        }
    }

    public ValueTask<DrfChange?> FindChangeAsync(string pcid, CancellationToken cancellationToken = default) => ValueTask.FromResult(_changes.GetValueOrDefault(pcid));

    public ValueTask<bool> TryMoveChangeAsync(string pcid, string from, string to, string? reason, CancellationToken cancellationToken = default)
    {
        if (!_changes.TryGetValue(pcid, out var c) || c.State != from)
            return ValueTask.FromResult(false);
        return ValueTask.FromResult(_changes.TryUpdate(pcid, c with { State = to, Reason = reason, UpdatedAt = time.GetUtcNow() }, c));
    }

    public ValueTask<IReadOnlyList<DrfRegistration>> FindRegistrationsAsync(IReadOnlyCollection<string> pcids, CancellationToken cancellationToken = default) =>
        ValueTask.FromResult<IReadOnlyList<DrfRegistration>>([.. pcids.Distinct(StringComparer.Ordinal).Select(_registrations.GetValueOrDefault).OfType<DrfRegistration>()]);

    public ValueTask<IReadOnlyList<DrfChange>> FindChangesAsync(IReadOnlyCollection<string> pcids, CancellationToken cancellationToken = default) =>
        ValueTask.FromResult<IReadOnlyList<DrfChange>>([.. pcids.Distinct(StringComparer.Ordinal).Select(_changes.GetValueOrDefault).OfType<DrfChange>()]);

    public ValueTask<IReadOnlyList<string>> ListRegistrationPcidsAsync(string state, string? after, int limit, CancellationToken cancellationToken = default) =>
        ValueTask.FromResult<IReadOnlyList<string>>([.. _registrations.Values.Where(x => x.State == state && string.CompareOrdinal(x.Pcid, after ?? "") > 0).Select(x => x.Pcid)
            .Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).Take(limit)]);

    public ValueTask<IReadOnlyList<string>> ListChangePcidsAsync(string state, string? after, int limit, CancellationToken cancellationToken = default) =>
        ValueTask.FromResult<IReadOnlyList<string>>([.. _changes.Values.Where(x => x.State == state && string.CompareOrdinal(x.Pcid, after ?? "") > 0).Select(x => x.Pcid)
            .Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).Take(limit)]);
}
