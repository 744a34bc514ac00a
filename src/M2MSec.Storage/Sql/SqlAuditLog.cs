using M2MSec.Storage.Audit;

namespace M2MSec.Storage.Sql;

/// <summary>The audit log in SQL; the schema's triggers refuse UPDATE and DELETE.</summary>
internal sealed class SqlAuditLog(SqlDatabase db) : IAuditLog
{
    public ValueTask AppendAsync(string actor, string action, string subject, string? detail = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(actor);
        ArgumentException.ThrowIfNullOrEmpty(action);
        ArgumentNullException.ThrowIfNull(subject);
        var record = new AuditRecord(actor, action, subject, detail);
        return new ValueTask(db.RunAsync(c => AppendAsync(db, c, null, record, cancellationToken), cancellationToken).AsTask());
    }

    /// <summary>Appends <paramref name="record"/> on <paramref name="c"/>, inside <paramref name="tx"/> when a store commits it with a change.</summary>
    internal static ValueTask<int> AppendAsync(SqlDatabase db, System.Data.Common.DbConnection c, System.Data.Common.DbTransaction? tx, AuditRecord record, CancellationToken ct)
    {
        ArgumentException.ThrowIfNullOrEmpty(record.Actor);
        ArgumentException.ThrowIfNullOrEmpty(record.Action);
        ArgumentNullException.ThrowIfNull(record.Subject);
        return SqlDatabase.ExecuteAsync(c, tx, "INSERT INTO audit_log (at, actor, action, subject, detail) VALUES (@t, @a, @x, @s, @d)",
            ct, ("@t", db.NowMs), ("@a", record.Actor), ("@x", record.Action), ("@s", record.Subject), ("@d", record.Detail));
    }

    public ValueTask<IReadOnlyList<AuditEntry>> ReadAsync(long afterSequence = 0, int limit = 1000, CancellationToken cancellationToken = default) =>
        db.QueryAsync("SELECT seq, at, actor, action, subject, detail FROM audit_log WHERE seq > @after ORDER BY seq LIMIT @limit",
            r => new AuditEntry(r.GetInt64(0), SqlDatabase.FromMs(r.GetInt64(1)), r.GetString(2), r.GetString(3), r.GetString(4), r.IsDBNull(5) ? null : r.GetString(5)),
            cancellationToken, ("@after", afterSequence), ("@limit", limit));

    public async ValueTask<long> LastSequenceAsync(CancellationToken cancellationToken = default) =>
        (await db.QueryAsync("SELECT MAX(seq) FROM audit_log", r => r.IsDBNull(0) ? 0L : r.GetInt64(0), cancellationToken).ConfigureAwait(false))[0];

    public ValueTask<IReadOnlyList<AuditEntry>> ReadBySubjectsAsync(IReadOnlyCollection<string> subjects, int limit, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(subjects);
        if (subjects.Count == 0)
            return ValueTask.FromResult<IReadOnlyList<AuditEntry>>([]);
        var (list, parameters) = SqlDatabase.InList("@s", subjects);
        return db.QueryAsync($"SELECT seq, at, actor, action, subject, detail FROM audit_log WHERE subject IN ({list}) ORDER BY seq DESC LIMIT @limit",
            r => new AuditEntry(r.GetInt64(0), SqlDatabase.FromMs(r.GetInt64(1)), r.GetString(2), r.GetString(3), r.GetString(4), r.IsDBNull(5) ? null : r.GetString(5)),
            cancellationToken, [.. parameters, ("@limit", limit)]);
    }
}
