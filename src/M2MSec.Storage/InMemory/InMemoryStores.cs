using System.Collections.Concurrent;
using System.Security.Cryptography;
using M2MSec.Storage.Audit;
using M2MSec.Storage.Certificates;
using M2MSec.Storage.Devices;
using M2MSec.Storage.Hss;
using M2MSec.Storage.Nonces;
using M2MSec.Storage.Ota;

namespace M2MSec.Storage.InMemory;

/// <summary>In-memory OTA key sets: for tests. <paramref name="devices"/>: the registry a card's ICCID–IMSI link goes to.</summary>
public sealed class InMemoryOtaKeySetStore(IEditableDeviceRegistry? devices = null) : IEditableOtaKeySetStore
{
    private readonly ConcurrentDictionary<(string, int), Entry> _sets = new();
    private readonly Lock _cards = new();

    public ValueTask<OtaKeySet?> FindAsync(string iccid, int keyVersion, CancellationToken cancellationToken = default) =>
        ValueTask.FromResult(_sets.TryGetValue((iccid, keyVersion), out var e) ? e.KeySet : null);

    public ValueTask<ulong?> GetCounterAsync(string iccid, int keyVersion, CancellationToken cancellationToken = default)
    {
        if (!_sets.TryGetValue((iccid, keyVersion), out var e))
            return ValueTask.FromResult<ulong?>(null);
        lock (e)
            return ValueTask.FromResult<ulong?>(e.Counter);
    }

    public ValueTask<bool> AddAsync(OtaKeySet keySet, ulong initialCounter = 0, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(keySet);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(initialCounter, IEditableOtaKeySetStore.MaxCounter);
        return ValueTask.FromResult(_sets.TryAdd((keySet.Iccid, keySet.KeyVersion), new Entry(keySet) { Counter = initialCounter }));
    }

    public ValueTask<ulong?> NextCounterAsync(string iccid, int keyVersion, int count = 1, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(count);
        if (!_sets.TryGetValue((iccid, keyVersion), out var e))
            return ValueTask.FromResult<ulong?>(null);
        lock (e)
        {
            if (e.Counter + (ulong)count > IEditableOtaKeySetStore.MaxCounter)
                throw new InvalidOperationException($"The OTA counter of {iccid}/{keyVersion} is exhausted; the key set must be replaced.");
            var first = e.Counter + 1;
            e.Counter += (ulong)count;
            return ValueTask.FromResult<ulong?>(first);
        }
    }

    private readonly ConcurrentDictionary<string, (string Iccid, byte[] Psk)> _psks = new(StringComparer.Ordinal);

    public ValueTask<(string Iccid, byte[] Psk)?> FindPskAsync(string identity, CancellationToken cancellationToken = default) =>
        ValueTask.FromResult<(string, byte[])?>(_psks.TryGetValue(identity, out var p) ? p : null);

    public ValueTask<bool> AddPskAsync(string identity, string iccid, byte[] psk, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(identity);
        ArgumentNullException.ThrowIfNull(psk);
        return ValueTask.FromResult(_psks.TryAdd(identity, (iccid, (byte[])psk.Clone())));
    }

    public async ValueTask<OtaCardAddOutcome> AddCardAsync(OtaCardRegistration card, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(card);
        card.Check();
        if (card.Imsi is not null && devices is null)
            throw new InvalidOperationException("no device registry for the card's IMSI link");
        // One card at a time: every check before any write, so a conflict leaves nothing behind.
        lock (_cards)
        {
            if (card.PskIdentity is { } identity && _psks.ContainsKey(identity))
                return OtaCardAddOutcome.PskIdentityExists;
            if (card.KeySet is { } ks && _sets.ContainsKey((ks.Iccid, ks.KeyVersion)))
                return OtaCardAddOutcome.KeySetExists;
            if (card.PskIdentity is { } id)
                _psks[id] = (card.Iccid, (byte[])card.Psk!.Clone());
            if (card.KeySet is { } set)
                _sets[(set.Iccid, set.KeyVersion)] = new Entry(set);
        }
        if (card.Imsi is not null)
            await devices!.RegisterAsync(card.Iccid, card.Imsi, null, card.DeviceKind, card.InitialState, cancellationToken).ConfigureAwait(false); // false: already linked
        return OtaCardAddOutcome.Added;
    }

    public ValueTask<IReadOnlyList<OtaKeySetSummary>> ListKeySetsAsync(CancellationToken cancellationToken = default) =>
        ValueTask.FromResult<IReadOnlyList<OtaKeySetSummary>>([.. _sets.Values.Select(e =>
        {
            lock (e)
                return new OtaKeySetSummary(e.KeySet.Iccid, e.KeySet.KeyVersion, e.KeySet.KicAlgorithm, e.KeySet.KidAlgorithm, e.KeySet.Tar, e.Counter);
        }).OrderBy(s => s.Iccid, StringComparer.Ordinal).ThenBy(s => s.KeyVersion)]);

    public ValueTask<IReadOnlyList<(string Identity, string Iccid)>> ListPskIdentitiesAsync(CancellationToken cancellationToken = default) =>
        ValueTask.FromResult<IReadOnlyList<(string, string)>>([.. _psks.Select(p => (p.Key, p.Value.Iccid)).OrderBy(p => p.Item2, StringComparer.Ordinal).ThenBy(p => p.Key, StringComparer.Ordinal)]);

    private sealed class Entry(OtaKeySet keySet)
    {
        public OtaKeySet KeySet { get; } = keySet;
        public ulong Counter;
    }
}

/// <summary>In-memory OTA jobs: for tests. Every state change is a compare-and-swap on the record.</summary>
public sealed class InMemoryOtaJobStore : IOtaJobStore
{
    private readonly ConcurrentDictionary<string, OtaJobRecord> _jobs = new(StringComparer.Ordinal);

    public ValueTask AddAsync(OtaJobRecord job, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(job);
        if (!_jobs.TryAdd(job.Id, job with { Script = (byte[]?)job.Script?.Clone() }))
            throw new InvalidOperationException($"job {job.Id} exists");
        return ValueTask.CompletedTask;
    }

    public ValueTask<OtaJobRecord?> FindAsync(string id, CancellationToken cancellationToken = default) =>
        ValueTask.FromResult(_jobs.GetValueOrDefault(id));

    public ValueTask<IReadOnlyList<OtaJobRecord>> PendingAsync(string iccid, CancellationToken cancellationToken = default) =>
        ValueTask.FromResult<IReadOnlyList<OtaJobRecord>>([.. _jobs.Values.Where(j => j.Iccid == iccid && j.State is OtaJobRecord.Submitting or OtaJobRecord.Sent).OrderBy(j => j.Counter)]);

    public ValueTask<IReadOnlyList<OtaJobRecord>> AwaitingSessionAsync(string pskIdentity, CancellationToken cancellationToken = default) =>
        ValueTask.FromResult<IReadOnlyList<OtaJobRecord>>([.. _jobs.Values.Where(j => j.PskIdentity == pskIdentity && j.Transport == "scp81" && j.State is OtaJobRecord.Submitting or OtaJobRecord.Sent or "triggered").OrderBy(j => j.CreatedAt)]);

    public ValueTask<bool> MarkTriggeredAsync(string id, string? porStatus, CancellationToken cancellationToken = default) =>
        Change(id, j => j.State is OtaJobRecord.Submitting or OtaJobRecord.Sent, j => j with { State = "triggered", PorStatus = porStatus, Script = null, UpdatedAt = DateTimeOffset.UtcNow });

    public ValueTask<bool> CompleteAsync(string id, string state, string? porStatus, string? data, string? failure, CancellationToken cancellationToken = default) =>
        Change(id, j => j.State is OtaJobRecord.Submitting or OtaJobRecord.Sent or "triggered",
            j => j with { State = state, PorStatus = porStatus, Data = data, Failure = failure, Script = null, UpdatedAt = DateTimeOffset.UtcNow });

    public ValueTask<bool> MarkSentAsync(string id, ulong counter, DateTimeOffset now, CancellationToken cancellationToken = default) =>
        Change(id, j => j.State == OtaJobRecord.Submitting && j.Counter == counter, j => j with { State = OtaJobRecord.Sent, Script = null, UpdatedAt = now });

    public ValueTask<bool> FailSubmissionAsync(string id, string failure, DateTimeOffset now, CancellationToken cancellationToken = default) =>
        Change(id, j => j.State == OtaJobRecord.Submitting, j => j with { State = OtaJobRecord.Failed, Failure = failure, Script = null, UpdatedAt = now });

    public ValueTask<IReadOnlyList<OtaJobRecord>> StuckAsync(DateTimeOffset notAfter, int limit, CancellationToken cancellationToken = default) =>
        ValueTask.FromResult<IReadOnlyList<OtaJobRecord>>([.. _jobs.Values.Where(j => j.State == OtaJobRecord.Submitting && j.UpdatedAt <= notAfter).OrderBy(j => j.UpdatedAt).Take(limit)]);

    public ValueTask<bool> ClaimAsync(string id, DateTimeOffset seenUpdatedAt, DateTimeOffset now, CancellationToken cancellationToken = default) =>
        Change(id, j => j.State == OtaJobRecord.Submitting && j.UpdatedAt == seenUpdatedAt,
            j => j with { UpdatedAt = now > seenUpdatedAt ? now : seenUpdatedAt.AddTicks(1) });

    public ValueTask<bool> RecounterAsync(string id, ulong oldCounter, ulong newCounter, DateTimeOffset now, CancellationToken cancellationToken = default) =>
        Change(id, j => j.State == OtaJobRecord.Submitting && j.Counter == oldCounter, j => j with { Counter = newCounter, UpdatedAt = now });

    private ValueTask<bool> Change(string id, Func<OtaJobRecord, bool> when, Func<OtaJobRecord, OtaJobRecord> change)
    {
        while (_jobs.TryGetValue(id, out var job) && when(job))
            if (_jobs.TryUpdate(id, change(job), job))
                return ValueTask.FromResult(true);
        return ValueTask.FromResult(false);
    }
}

/// <summary>In-memory nonces: for tests.</summary>
public sealed class InMemoryNonceStore(TimeProvider time) : INonceStore
{
    private readonly ConcurrentDictionary<string, (DateTimeOffset Expires, bool Consumed)> _nonces = new(StringComparer.Ordinal);

    public ValueTask<byte[]> IssueAsync(string purpose, TimeSpan lifetime, int size = 16, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(purpose);
        ArgumentOutOfRangeException.ThrowIfLessThan(size, 8);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(lifetime, TimeSpan.Zero);
        var nonce = RandomNumberGenerator.GetBytes(size);
        _nonces[Key(purpose, nonce)] = (time.GetUtcNow() + lifetime, false);
        return ValueTask.FromResult(nonce);
    }

    public ValueTask<bool> ConsumeAsync(string purpose, ReadOnlyMemory<byte> nonce, CancellationToken cancellationToken = default)
    {
        var key = Key(purpose, nonce.Span);
        var now = time.GetUtcNow();
        while (_nonces.TryGetValue(key, out var v))
        {
            if (v.Consumed || v.Expires <= now)
                return ValueTask.FromResult(false);
            if (_nonces.TryUpdate(key, (v.Expires, true), v))
                return ValueTask.FromResult(true);
        }
        return ValueTask.FromResult(false);
    }

    public ValueTask<int> PurgeExpiredAsync(CancellationToken cancellationToken = default)
    {
        var now = time.GetUtcNow();
        var removed = 0;
        foreach (var (key, value) in _nonces)
            if (value.Expires <= now && _nonces.TryRemove(key, out _))
                removed++;
        return ValueTask.FromResult(removed);
    }

    private static string Key(string purpose, ReadOnlySpan<byte> nonce) => purpose + "|" + Convert.ToHexString(nonce);
}

/// <summary>In-memory device registry: for tests.</summary>
public sealed class InMemoryDeviceRegistry(TimeProvider time) : IEditableDeviceRegistry
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, DeviceRecord> _devices = new(StringComparer.Ordinal);
    private readonly List<DeviceTransition> _history = [];

    public ValueTask<DeviceRecord?> FindAsync(string deviceId, CancellationToken cancellationToken = default)
    {
        lock (_lock)
            return ValueTask.FromResult(_devices.GetValueOrDefault(deviceId));
    }

    public ValueTask<IReadOnlyList<DeviceTransition>> GetHistoryAsync(string deviceId, CancellationToken cancellationToken = default)
    {
        lock (_lock)
            return ValueTask.FromResult<IReadOnlyList<DeviceTransition>>([.. _history.Where(h => h.DeviceId == deviceId)]);
    }

    public ValueTask<IReadOnlyDictionary<string, int>> CountByStateAsync(CancellationToken cancellationToken = default)
    {
        lock (_lock)
            return ValueTask.FromResult<IReadOnlyDictionary<string, int>>(_devices.Values.GroupBy(d => d.State).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal));
    }

    public ValueTask<IReadOnlyList<DeviceRecord>> ListAsync(string kind, string? text, string? after, int limit, CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            return ValueTask.FromResult<IReadOnlyList<DeviceRecord>>([.. _devices.Values
                .Where(d => d.Kind == kind && string.CompareOrdinal(d.DeviceId, after ?? "") > 0
                    && (text is null || d.DeviceId.Contains(text, StringComparison.Ordinal) || (d.Pcid?.Contains(text, StringComparison.Ordinal) ?? false)))
                .OrderBy(d => d.DeviceId, StringComparer.Ordinal).Take(limit)]);
        }
    }

    public ValueTask<bool> RegisterAsync(string deviceId, string? pcid, string? treId, string kind, string initialState, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(deviceId);
        ArgumentException.ThrowIfNullOrEmpty(initialState);
        var now = time.GetUtcNow();
        lock (_lock)
        {
            if (!_devices.TryAdd(deviceId, new DeviceRecord(deviceId, pcid, treId, kind, initialState, now)))
                return ValueTask.FromResult(false);
            _history.Add(new DeviceTransition(deviceId, null, initialState, now, "registered"));
            return ValueTask.FromResult(true);
        }
    }

    public ValueTask<bool> TransitionAsync(string deviceId, string expectedState, string newState, string? reason = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(newState);
        var now = time.GetUtcNow();
        lock (_lock)
        {
            if (!_devices.TryGetValue(deviceId, out var d) || d.State != expectedState)
                return ValueTask.FromResult(false);
            _devices[deviceId] = d with { State = newState, UpdatedAt = now };
            _history.Add(new DeviceTransition(deviceId, expectedState, newState, now, reason));
            return ValueTask.FromResult(true);
        }
    }
}

/// <summary>In-memory audit log: for tests.</summary>
public sealed class InMemoryAuditLog(TimeProvider time) : IAuditLog
{
    private readonly Lock _lock = new();
    private readonly List<AuditEntry> _entries = [];

    public ValueTask AppendAsync(string actor, string action, string subject, string? detail = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(actor);
        ArgumentException.ThrowIfNullOrEmpty(action);
        ArgumentNullException.ThrowIfNull(subject);
        lock (_lock)
            _entries.Add(new AuditEntry(_entries.Count + 1, time.GetUtcNow(), actor, action, subject, detail));
        return ValueTask.CompletedTask;
    }

    public ValueTask<IReadOnlyList<AuditEntry>> ReadAsync(long afterSequence = 0, int limit = 1000, CancellationToken cancellationToken = default)
    {
        lock (_lock)
            return ValueTask.FromResult<IReadOnlyList<AuditEntry>>([.. _entries.Where(e => e.Sequence > afterSequence).Take(limit)]);
    }

    public ValueTask<IReadOnlyList<AuditEntry>> ReadBySubjectsAsync(IReadOnlyCollection<string> subjects, int limit, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(subjects);
        lock (_lock)
            return ValueTask.FromResult<IReadOnlyList<AuditEntry>>([.. _entries.Where(e => subjects.Contains(e.Subject)).Reverse().Take(limit)]);
    }

    public ValueTask<long> LastSequenceAsync(CancellationToken cancellationToken = default)
    {
        lock (_lock)
            return ValueTask.FromResult(_entries.Count == 0 ? 0L : _entries[^1].Sequence);
    }
}

/// <summary>In-memory certificate store: for tests.</summary>
public sealed class InMemoryCertificateStore(TimeProvider time) : IEditableCertificateStore
{
    private readonly ConcurrentDictionary<(string, string), IssuedCertificate> _certificates = new();
    private readonly ConcurrentDictionary<(string, string), AuthorityKey> _keys = new();
    private readonly ConcurrentDictionary<string, PkiHierarchyRecord> _hierarchies = new();
    private readonly ConcurrentDictionary<string, long> _crlNumbers = new();

    public ValueTask<PkiHierarchyRecord?> FindHierarchyAsync(string name, CancellationToken cancellationToken = default) =>
        ValueTask.FromResult(_hierarchies.GetValueOrDefault(name));

    public ValueTask<bool> AddHierarchyAsync(PkiHierarchyRecord hierarchy, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(hierarchy);
        return ValueTask.FromResult(_hierarchies.TryAdd(hierarchy.Name, hierarchy));
    }

    public ValueTask<bool> SetHierarchyOcspUrlAsync(string name, string? ocspUrl, CancellationToken cancellationToken = default)
    {
        while (_hierarchies.TryGetValue(name, out var old))
        {
            if (_hierarchies.TryUpdate(name, old with { OcspUrl = ocspUrl }, old))
                return ValueTask.FromResult(true);
        }
        return ValueTask.FromResult(false);
    }

    public ValueTask<long> NextCrlNumberAsync(string hierarchy, CancellationToken cancellationToken = default) =>
        _hierarchies.ContainsKey(hierarchy)
            ? ValueTask.FromResult(_crlNumbers.AddOrUpdate(hierarchy, 1, (_, n) => n + 1))
            : throw new StoreException($"no PKI hierarchy '{hierarchy}'");

    public ValueTask<IReadOnlyList<IssuedCertificate>> ListAsync(string issuer, CancellationToken cancellationToken = default) =>
        ValueTask.FromResult<IReadOnlyList<IssuedCertificate>>([.. _certificates.Values.Where(c => c.Issuer == issuer).OrderBy(c => c.SerialHex, StringComparer.Ordinal)]);

    // Copies in and out, as a database would: callers zero their key buffers after use.
    public ValueTask<AuthorityKey?> FindAuthorityKeyAsync(string hierarchy, string slot, CancellationToken cancellationToken = default) =>
        ValueTask.FromResult(_keys.GetValueOrDefault((hierarchy, slot)) is { } k ? k with { PrivateKeyPkcs8 = (byte[])k.PrivateKeyPkcs8.Clone() } : null);

    public ValueTask<bool> PutAuthorityKeyAsync(AuthorityKey key, bool replace, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(key);
        key = key with { PrivateKeyPkcs8 = (byte[])key.PrivateKeyPkcs8.Clone(), CertificateDer = (byte[])key.CertificateDer.Clone() };
        if (!replace)
            return ValueTask.FromResult(_keys.TryAdd((key.Hierarchy, key.Slot), key));
        _keys[(key.Hierarchy, key.Slot)] = key;
        return ValueTask.FromResult(true);
    }

    public ValueTask<IssuedCertificate?> FindAsync(string issuer, string serialHex, CancellationToken cancellationToken = default) =>
        ValueTask.FromResult(_certificates.GetValueOrDefault((issuer, serialHex.ToLowerInvariant())));

    public ValueTask<IReadOnlyList<IssuedCertificate>> ListRevokedAsync(string issuer, CancellationToken cancellationToken = default) =>
        ValueTask.FromResult<IReadOnlyList<IssuedCertificate>>([.. _certificates.Values.Where(c => c.Issuer == issuer && c.IsRevoked).OrderBy(c => c.SerialHex, StringComparer.Ordinal)]);

    public ValueTask<bool> AddAsync(IssuedCertificate certificate, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        var normalised = certificate with { SerialHex = certificate.SerialHex.ToLowerInvariant() };
        return ValueTask.FromResult(_certificates.TryAdd((normalised.Issuer, normalised.SerialHex), normalised));
    }

    public ValueTask<bool> RevokeAsync(string issuer, string serialHex, int reason, CancellationToken cancellationToken = default)
    {
        var key = (issuer, serialHex.ToLowerInvariant());
        while (_certificates.TryGetValue(key, out var c))
        {
            if (c.IsRevoked)
                return ValueTask.FromResult(false);
            if (_certificates.TryUpdate(key, c with { RevokedAt = time.GetUtcNow(), RevocationReason = reason }, c))
                return ValueTask.FromResult(true);
        }
        return ValueTask.FromResult(false);
    }
}

/// <summary>All stores in memory: for unit tests and throwaway runs. Secrets are not encrypted (nothing is at rest).</summary>
public sealed class InMemoryStateStore : IStateStore
{
    public InMemoryStateStore(TimeProvider? time = null)
    {
        var clock = time ?? TimeProvider.System;
        Nonces = new InMemoryNonceStore(clock);
        Devices = new InMemoryDeviceRegistry(clock);
        OtaKeySets = new InMemoryOtaKeySetStore(Devices);
        Audit = new InMemoryAuditLog(clock);
        Sho = new InMemoryShoStore(Audit);
        Certificates = new InMemoryCertificateStore(clock);
        Dm = new InMemoryDmStore(clock, Audit);
        Dpf = new InMemoryDpfStore(Audit);
        Pva = new InMemoryPvaStore(Audit);
        Icf = new InMemoryIcfStore(clock);
        Drf = new InMemoryDrfStore(clock);
        Vno = new InMemoryVnoStore(clock);
        MtcGroups = new M2MSec.Storage.Groups.InMemoryMtcGroupStore(clock, Audit);
        Bsf = new InMemoryBsfStore(clock, Audit);
    }

    public string Description => "memory";

    public IEditableHssSubscriberStore Subscribers { get; } = new InMemoryHssSubscriberStore();

    public IEditableOtaKeySetStore OtaKeySets { get; }

    public IOtaJobStore OtaJobs { get; } = new InMemoryOtaJobStore();

    public INonceStore Nonces { get; }

    public IEditableDeviceRegistry Devices { get; }

    public IAuditLog Audit { get; }

    public IEditableCertificateStore Certificates { get; }

    public Dm.IDmStore Dm { get; }

    public Ccif.ICcifStore Ccif { get; } = new InMemoryCcifStore();

    public Pva.IPvaStore Pva { get; }

    public M2MSec.Storage.Icf.IIcfStore Icf { get; }

    public M2MSec.Storage.Drf.IDrfStore Drf { get; }

    public M2MSec.Storage.Sho.IShoStore Sho { get; }

    public M2MSec.Storage.Dpf.IDpfStore Dpf { get; }

    public M2MSec.Storage.Vno.IVnoStore Vno { get; }

    public M2MSec.Storage.MtcIwf.IMtcIwfStore MtcIwf { get; } = new InMemoryMtcIwfStore();

    public M2MSec.Storage.Groups.IMtcGroupStore MtcGroups { get; }

    public M2MSec.Storage.Bsf.IBsfStore Bsf { get; }

    public M2MSec.Storage.Bsf.IHssGussStore Guss { get; } = new InMemoryHssGussStore();

    public ValueTask<int> RewrapSecretsAsync(CancellationToken cancellationToken = default) => ValueTask.FromResult(0);

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
