namespace M2MSec.Storage.Audit;

/// <summary>An audit entry: who did what to which subject, when. Never a secret.</summary>
public sealed record AuditEntry(long Sequence, DateTimeOffset At, string Actor, string Action, string Subject, string? Detail);

/// <summary>
/// An entry to append together with a state change, in the same transaction (issue 16: a process killed between a committed change
/// and its separate append left the change without its entry). Never a secret.
/// </summary>
public sealed record AuditRecord(string Actor, string Action, string Subject, string? Detail);

/// <summary>
/// The append-only audit log. There is no update or delete; the SQL schemas also refuse them
/// with triggers.
/// </summary>
public interface IAuditLog
{
    ValueTask AppendAsync(string actor, string action, string subject, string? detail = null, CancellationToken cancellationToken = default);

    ValueTask<IReadOnlyList<AuditEntry>> ReadAsync(long afterSequence = 0, int limit = 1000, CancellationToken cancellationToken = default);

    /// <summary>
    /// Issue 20 (the console's device page): the newest <paramref name="limit"/> entries whose subject is one of
    /// <paramref name="subjects"/> (a device's PCID, TRE id, IMSI, ICCID), newest first — one query, not a read of the whole log.
    /// </summary>
    ValueTask<IReadOnlyList<AuditEntry>> ReadBySubjectsAsync(IReadOnlyCollection<string> subjects, int limit, CancellationToken cancellationToken = default);

    /// <summary>Issue 20 (the console's live view starts after it): the sequence of the newest entry, 0 when there is none.</summary>
    ValueTask<long> LastSequenceAsync(CancellationToken cancellationToken = default);
}
