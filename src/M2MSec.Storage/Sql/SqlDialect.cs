using System.Data.Common;

namespace M2MSec.Storage.Sql;

/// <summary>
/// What differs between the SQL backends: connections, types, the schema lock, and how driver
/// errors read. Everything else (statements, transactions, crypto) is shared.
/// </summary>
public abstract class SqlDialect
{
    public abstract string Name { get; }

    /// <summary>Where the data is, for messages; never contains a password.</summary>
    public abstract string Location { get; }

    public abstract string BlobType { get; }

    public abstract string BigIntType { get; }

    /// <summary>An auto-incrementing integer primary key column definition.</summary>
    public abstract string SerialPrimaryKey { get; }

    /// <summary>
    /// A connection ready for use (per-connection settings applied): opened, or one the dialect keeps open. Give it back with
    /// <see cref="ReleaseAsync"/>.
    /// </summary>
    public abstract ValueTask<DbConnection> OpenAsync(CancellationToken cancellationToken);

    /// <summary>Gives back a connection from <see cref="OpenAsync"/>: closed, or kept for the next caller (SQLite, decision 049).</summary>
    public virtual ValueTask ReleaseAsync(DbConnection connection)
    {
        ArgumentNullException.ThrowIfNull(connection);
        return connection.DisposeAsync();
    }

    /// <summary>Runs once before migrations: checks the database is usable and readable.</summary>
    public abstract ValueTask PrepareAsync(DbConnection connection, CancellationToken cancellationToken);

    /// <summary>Begins a transaction that holds the write lock from its start.</summary>
    public abstract ValueTask<DbTransaction> BeginWriteAsync(DbConnection connection, CancellationToken cancellationToken);

    /// <summary>Serialises concurrent migrations by several instances (inside the migration transaction).</summary>
    public abstract ValueTask LockSchemaAsync(DbConnection connection, DbTransaction transaction, CancellationToken cancellationToken);

    /// <summary>Statements that make a table refuse UPDATE and DELETE.</summary>
    public abstract IEnumerable<string> AppendOnly(string table);

    public abstract bool IsUniqueViolation(DbException exception);

    /// <summary>Turns a driver error at open time into a message that names the problem.</summary>
    public abstract StoreException TranslateOpenError(Exception exception);

    public virtual ValueTask DisposeAsync() => ValueTask.CompletedTask;

    /// <summary>
    /// Where this process's statements that may write queue, one at a time, or null (the database orders its writers itself).
    /// Issue 16: SQLite lets one writer in at a time and makes the others sleep and retry (busy timeout), unfairly — under a
    /// fleet's load some waited seconds while holding a thread; a FIFO await in the process costs neither.
    /// </summary>
    public virtual SemaphoreSlim? WriteGate => null;

    /// <summary>
    /// Appended to a sub-SELECT that picks one row to claim, so concurrent claimers each take a different row instead of all
    /// picking the same one (PostgreSQL: FOR UPDATE SKIP LOCKED). Empty where writers are serialised anyway (SQLite).
    /// </summary>
    public virtual string SkipLocked => "";

    internal IEnumerable<string> Expand(string statement)
    {
        if (statement.StartsWith("{append_only:", StringComparison.Ordinal))
            return AppendOnly(statement["{append_only:".Length..^1]);
        return [statement.Replace("{blob}", BlobType, StringComparison.Ordinal)
            .Replace("{bigint}", BigIntType, StringComparison.Ordinal)
            .Replace("{serial}", SerialPrimaryKey, StringComparison.Ordinal)];
    }
}
