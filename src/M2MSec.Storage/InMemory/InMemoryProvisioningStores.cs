using System.Collections.Concurrent;
using M2MSec.Storage.Audit;
using M2MSec.Storage.Ccif;
using M2MSec.Storage.Pva;

namespace M2MSec.Storage.InMemory;

/// <summary>In-memory CCIF store: for tests.</summary>
public sealed class InMemoryCcifStore : ICcifStore
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, CcifDevice> _devices = new(StringComparer.Ordinal);

    public ValueTask<bool> AddDeviceAsync(CcifDevice device, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(device);
        lock (_lock)
        {
            if (_devices.ContainsKey(device.Pcid) || _devices.Values.Any(d => d.TreId == device.TreId))
                return ValueTask.FromResult(false);
            _devices[device.Pcid] = device with { K = (byte[])device.K.Clone(), Opc = (byte[])device.Opc.Clone() };
            return ValueTask.FromResult(true);
        }
    }

    public ValueTask<CcifDevice?> FindDeviceAsync(string pcid, CancellationToken cancellationToken = default)
    {
        lock (_lock)
            return ValueTask.FromResult(_devices.TryGetValue(pcid, out var d) ? d with { K = (byte[])d.K.Clone(), Opc = (byte[])d.Opc.Clone() } : null);
    }

    public ValueTask<bool> MarkRevokedAsync(string pcid, string reason, DateTimeOffset at, CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            if (!_devices.TryGetValue(pcid, out var d) || d.RevokedAt is not null)
                return ValueTask.FromResult(false);
            _devices[pcid] = d with { RevokedAt = at, RevocationReason = reason };
            return ValueTask.FromResult(true);
        }
    }

    public ValueTask<IReadOnlyList<CcifPfcRecord>> ListValidPfcsAsync(string? after, int limit, CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            return ValueTask.FromResult<IReadOnlyList<CcifPfcRecord>>([.. _devices.Values.Where(d => d.RevokedAt is null && string.CompareOrdinal(d.Pcid, after ?? "") > 0)
                .OrderBy(d => d.Pcid, StringComparer.Ordinal).Take(limit).Select(d => new CcifPfcRecord(d.Pcid, d.TreId, d.AttestationCertificate, d.EncryptionCertificate))]);
        }
    }

    public ValueTask<IReadOnlyList<string>> ListRevokedPcidsAsync(string? after, int limit, CancellationToken cancellationToken = default)
    {
        lock (_lock)
            return ValueTask.FromResult<IReadOnlyList<string>>([.. _devices.Values.Where(x => x.RevokedAt is not null && string.CompareOrdinal(x.Pcid, after ?? "") > 0).Select(x => x.Pcid)
            .Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).Take(limit)]);
    }

    private static CcifDeviceSummary Summary(CcifDevice d) => new(d.Pcid, d.TreId, d.CreatedAt, d.RevokedAt, d.RevocationReason);

    private IEnumerable<CcifDevice> Matching(string? text) =>
        _devices.Values.Where(d => text is null || d.Pcid.Contains(text, StringComparison.Ordinal) || d.TreId.Contains(text, StringComparison.Ordinal));

    public ValueTask<IReadOnlyList<CcifDeviceSummary>> SearchDevicesAsync(string? text, int offset, int limit, CancellationToken cancellationToken = default)
    {
        lock (_lock)
            return ValueTask.FromResult<IReadOnlyList<CcifDeviceSummary>>([.. Matching(text).OrderBy(d => d.Pcid, StringComparer.Ordinal).Skip(offset).Take(limit).Select(Summary)]);
    }

    public ValueTask<int> CountDevicesAsync(string? text, CancellationToken cancellationToken = default)
    {
        lock (_lock)
            return ValueTask.FromResult(Matching(text).Count());
    }

    public ValueTask<IReadOnlyList<CcifDeviceSummary>> FindByIdsAsync(IReadOnlyCollection<string> ids, CancellationToken cancellationToken = default)
    {
        lock (_lock)
            return ValueTask.FromResult<IReadOnlyList<CcifDeviceSummary>>([.. _devices.Values.Where(d => ids.Contains(d.TreId) || ids.Contains(d.Pcid)).Select(Summary)]);
    }
}

/// <summary>In-memory PVA store: for tests.</summary>
public sealed class InMemoryPvaStore(IAuditLog? log = null) : IPvaStore
{
    private readonly ConcurrentDictionary<string, PvaReference> _references = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, PvaValidation> _validations = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<PvaMeasurementSet> _sets = new();

    public ValueTask AddMeasurementSetAsync(PvaMeasurementSet set, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(set);
        _sets.Enqueue(set);
        return ValueTask.CompletedTask;
    }

    public ValueTask<IReadOnlyList<PvaMeasurementSet>> ListMeasurementSetsAsync(string pcid, CancellationToken cancellationToken = default) =>
        ValueTask.FromResult<IReadOnlyList<PvaMeasurementSet>>([.. _sets.Where(s => s.Pcid == pcid)]);

    public ValueTask<bool> AddReferenceAsync(PvaReference reference, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(reference);
        return ValueTask.FromResult(_references.TryAdd(reference.Pcid, reference));
    }

    public ValueTask<PvaReference?> FindReferenceAsync(string pcid, CancellationToken cancellationToken = default) =>
        ValueTask.FromResult(_references.GetValueOrDefault(pcid));

    // Decision 036: a bad entry refused first, then the change, then its entry only if the change was made (nothing in memory survives a crash).

    public async ValueTask<bool> AddReferenceAsync(PvaReference reference, AuditRecord audit, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(audit);
        InMemoryAudit.Check(audit);
        if (!await AddReferenceAsync(reference, cancellationToken).ConfigureAwait(false))
            return false;
        await InMemoryAudit.AppendAsync(log, audit, cancellationToken).ConfigureAwait(false);
        return true;
    }

    public async ValueTask AddValidationAsync(PvaValidation validation, AuditRecord audit, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(audit);
        InMemoryAudit.Check(audit);
        await AddValidationAsync(validation, cancellationToken).ConfigureAwait(false);
        await InMemoryAudit.AppendAsync(log, audit, cancellationToken).ConfigureAwait(false);
    }

    public async ValueTask<bool> CompleteValidationAsync(string id, string state, string? reason, string verdict, DateTimeOffset at, AuditRecord audit,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(audit);
        InMemoryAudit.Check(audit);
        if (!await CompleteValidationAsync(id, state, reason, verdict, at, cancellationToken).ConfigureAwait(false))
            return false;
        await InMemoryAudit.AppendAsync(log, audit, cancellationToken).ConfigureAwait(false);
        return true;
    }

    public ValueTask AddValidationAsync(PvaValidation validation, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(validation);
        if (!_validations.TryAdd(validation.Id, validation))
            throw new InvalidOperationException($"validation {validation.Id} exists");
        return ValueTask.CompletedTask;
    }

    public ValueTask<PvaValidation?> FindValidationAsync(string id, CancellationToken cancellationToken = default) =>
        ValueTask.FromResult(_validations.GetValueOrDefault(id));

    public ValueTask<bool> CompleteValidationAsync(string id, string state, string? reason, string verdict, DateTimeOffset at, CancellationToken cancellationToken = default)
    {
        while (_validations.TryGetValue(id, out var v) && v.State == PvaValidation.Pending)
        {
            if (_validations.TryUpdate(id, v with { State = state, Reason = reason, Verdict = verdict, CompletedAt = at }, v))
                return ValueTask.FromResult(true);
        }
        return ValueTask.FromResult(false);
    }

    public ValueTask<IReadOnlyList<PvaValidation>> ListValidationsAsync(string pcid, int limit = 100, CancellationToken cancellationToken = default) =>
        ValueTask.FromResult<IReadOnlyList<PvaValidation>>([.. _validations.Values.Where(v => v.Pcid == pcid).OrderBy(v => v.CreatedAt).ThenBy(v => v.Id, StringComparer.Ordinal).TakeLast(limit)]);

    public ValueTask<IReadOnlyList<string>> ListPcidsAsync(string state, string? after, int limit, CancellationToken cancellationToken = default) =>
        ValueTask.FromResult<IReadOnlyList<string>>([.. _validations.Values.Where(x => x.State == state && string.CompareOrdinal(x.Pcid, after ?? "") > 0).Select(x => x.Pcid)
            .Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).Take(limit)]);

    public ValueTask<IReadOnlyList<PvaValidation>> ListValidationsAsync(IReadOnlyCollection<string> pcids, int limitPerPcid, CancellationToken cancellationToken = default)
    {
        var wanted = pcids.ToHashSet(StringComparer.Ordinal);
        return ValueTask.FromResult<IReadOnlyList<PvaValidation>>([.. _validations.Values.Where(v => wanted.Contains(v.Pcid)).GroupBy(v => v.Pcid, StringComparer.Ordinal)
            .SelectMany(g => g.OrderBy(v => v.CreatedAt).ThenBy(v => v.Id, StringComparer.Ordinal).TakeLast(limitPerPcid))]);
    }
}
