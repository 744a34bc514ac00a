using System.Data;
using System.Data.Common;
using M2MSec.Storage.Sql;
using Microsoft.Data.Sqlite;

namespace M2MSec.Storage.Sqlite;

/// <summary>
/// SQLite: one file, WAL journal (readers never block the writer), synchronous=FULL so a counter
/// or nonce is on disk before it is handed out, write transactions that take the lock at BEGIN
/// (IMMEDIATE), a long busy timeout so several processes queue instead of failing.
/// </summary>
internal sealed class SqliteDialect(string path) : SqlDialect
{
    private static readonly byte[] Header = "SQLite format 3\0"u8.ToArray();

    /// <summary>Decision 049: the connections this dialect keeps open with their prepared statements (Microsoft.Data.Sqlite's own pool is off).</summary>
    private readonly SqliteConnectionPool _pool = new(new SqliteConnectionStringBuilder
    {
        DataSource = path,
        Mode = SqliteOpenMode.ReadWriteCreate,
        Pooling = false,
        DefaultTimeout = 60,
    }.ToString(), ConfigureAsync);

    /// <summary>One gate per database file in this process (every store opened on the same file shares it).</summary>
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, SemaphoreSlim> Gates = new(StringComparer.Ordinal);

    public override SemaphoreSlim? WriteGate { get; } = Gates.GetOrAdd(Path.GetFullPath(path), _ => new SemaphoreSlim(1, 1));

    public override string Name => "sqlite";

    public override string Location => path;

    public override string BlobType => "BLOB";

    public override string BigIntType => "INTEGER";

    public override string SerialPrimaryKey => "INTEGER PRIMARY KEY AUTOINCREMENT";

    /// <summary>The pragmas every connection runs under.</summary>
    internal const string Pragmas = "PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 60000;";

    public override async ValueTask<DbConnection> OpenAsync(CancellationToken cancellationToken) =>
        await _pool.RentAsync(cancellationToken).ConfigureAwait(false);

    public override ValueTask ReleaseAsync(DbConnection connection) =>
        connection is CachingSqliteConnection kept ? _pool.ReturnAsync(kept) : base.ReleaseAsync(connection);

    /// <summary>A new connection's settings: a pragma lasts as long as its connection, so each is sent once (issue 19).</summary>
    private static async ValueTask ConfigureAsync(CachingSqliteConnection connection, CancellationToken cancellationToken)
    {
        await using var pragmas = connection.CreateCommand();
        pragmas.CommandText = Pragmas;
        await pragmas.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    public override async ValueTask PrepareAsync(DbConnection connection, CancellationToken cancellationToken)
    {
        // Look at the file before SQLite writes anything to it: a foreign file is refused untouched.
        var info = new FileInfo(path);
        if (info.Exists && info.Length > 0)
        {
            var head = new byte[Header.Length];
            await using (var f = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite))
                await f.ReadAtLeastAsync(head, head.Length, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false);
            if (!head.AsSpan().SequenceEqual(Header))
                throw new StoreException($"{path} is not a SQLite database (bad header); refusing to open it. Nothing was changed.");
        }
        await using var check = connection.CreateCommand();
        check.CommandText = "SELECT COUNT(*) FROM sqlite_master";
        await check.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
        check.CommandText = "PRAGMA journal_mode = WAL";
        await check.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
    }

    public override ValueTask<DbTransaction> BeginWriteAsync(DbConnection connection, CancellationToken cancellationToken) =>
        ValueTask.FromResult<DbTransaction>(((SqliteConnection)connection).BeginTransaction(IsolationLevel.Serializable, deferred: false));

    public override ValueTask LockSchemaAsync(DbConnection connection, DbTransaction transaction, CancellationToken cancellationToken) =>
        ValueTask.CompletedTask; // BEGIN IMMEDIATE already holds the database write lock.

    public override IEnumerable<string> AppendOnly(string table) =>
    [
        $"CREATE TRIGGER {table}_no_update BEFORE UPDATE ON {table} BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END",
        $"CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table} BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END",
    ];

    public override bool IsUniqueViolation(DbException exception) =>
        exception is SqliteException { SqliteErrorCode: 19, SqliteExtendedErrorCode: 1555 or 2067 };

    public override StoreException TranslateOpenError(Exception exception) => exception switch
    {
        SqliteException { SqliteErrorCode: 26 or 11 } e => new StoreException($"{path} is not a SQLite database or is corrupt (SQLite error {e.SqliteErrorCode}: {e.Message}). Nothing was changed.", e),
        SqliteException { SqliteErrorCode: 14 } e => new StoreException($"{path} cannot be opened (SQLite error 14: {e.Message}); check the directory exists and is writable.", e),
        _ => new StoreException($"{path}: {exception.Message}", exception),
    };

    public override ValueTask DisposeAsync()
    {
        _pool.Dispose();
        return ValueTask.CompletedTask;
    }
}
