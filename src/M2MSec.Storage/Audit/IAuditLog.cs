namespace M2MSec.Storage.Audit;

/// <summary>An audit entry: who did what to which subject, when. Never a secret.</summary>
public sealed record AuditEntry(long Sequence, DateTimeOffset At, string Actor, string Action, string Subject, string? Detail);

/// <summary>
/// The append-only audit log. There is no update or delete; the SQL schemas also refuse them
/// with triggers.
/// </summary>
public interface IAuditLog
{
    ValueTask AppendAsync(string actor, string action, string subject, string? detail = null, CancellationToken cancellationToken = default);

    ValueTask<IReadOnlyList<AuditEntry>> ReadAsync(long afterSequence = 0, int limit = 1000, CancellationToken cancellationToken = default);
}
