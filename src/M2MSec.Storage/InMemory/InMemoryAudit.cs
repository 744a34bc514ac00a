using M2MSec.Storage.Audit;

namespace M2MSec.Storage.InMemory;

/// <summary>
/// An entry given with a change, for the in-memory stores (decision 036): refused before the change if it could not be written (as
/// the SQL stores' rollback leaves nothing), appended right after the change — nothing in memory survives a crash.
/// </summary>
internal static class InMemoryAudit
{
    public static void Check(AuditRecord? record)
    {
        if (record is null)
            return;
        ArgumentException.ThrowIfNullOrEmpty(record.Actor);
        ArgumentException.ThrowIfNullOrEmpty(record.Action);
        ArgumentNullException.ThrowIfNull(record.Subject);
    }

    public static ValueTask AppendAsync(IAuditLog? log, AuditRecord? record, CancellationToken ct = default) =>
        record is null || log is null ? ValueTask.CompletedTask : log.AppendAsync(record.Actor, record.Action, record.Subject, record.Detail, ct);
}
