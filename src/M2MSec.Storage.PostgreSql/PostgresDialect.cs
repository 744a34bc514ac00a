using System.Data;
using System.Data.Common;
using M2MSec.Storage.Sql;
using Npgsql;

namespace M2MSec.Storage.PostgreSql;

/// <summary>
/// PostgreSQL: counters and nonces are single-statement UPDATE … RETURNING (row locks make them
/// atomic across instances); migrations take a transaction-scoped advisory lock.
/// </summary>
internal sealed class PostgresDialect(NpgsqlDataSource dataSource) : SqlDialect
{
    private const long SchemaLockKey = 0x4D324D53_6563; // "M2MSec"

    public override string SkipLocked => " FOR UPDATE SKIP LOCKED";

    public override string Name => "postgresql";

    public override string Location
    {
        get
        {
            var b = new NpgsqlConnectionStringBuilder(dataSource.ConnectionString);
            return $"{b.Host}:{b.Port}/{b.Database}";
        }
    }

    public override string BlobType => "BYTEA";

    public override string BigIntType => "BIGINT";

    public override string SerialPrimaryKey => "BIGSERIAL PRIMARY KEY";

    public override async ValueTask<DbConnection> OpenAsync(CancellationToken cancellationToken) =>
        await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);

    public override async ValueTask PrepareAsync(DbConnection connection, CancellationToken cancellationToken)
    {
        // Serialise the creation of the version table between instances starting together.
        await using var command = connection.CreateCommand();
        command.CommandText = $"SELECT pg_advisory_lock({SchemaLockKey}); CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL, applied_at BIGINT NOT NULL); SELECT pg_advisory_unlock({SchemaLockKey});";
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    public override async ValueTask<DbTransaction> BeginWriteAsync(DbConnection connection, CancellationToken cancellationToken) =>
        await ((NpgsqlConnection)connection).BeginTransactionAsync(IsolationLevel.ReadCommitted, cancellationToken).ConfigureAwait(false);

    public override async ValueTask LockSchemaAsync(DbConnection connection, DbTransaction transaction, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = $"SELECT pg_advisory_xact_lock({SchemaLockKey})";
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    public override IEnumerable<string> AppendOnly(string table) =>
    [
        "CREATE OR REPLACE FUNCTION m2msec_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION '% is append-only', TG_TABLE_NAME; END $$",
        $"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} FOR EACH ROW EXECUTE FUNCTION m2msec_append_only()",
    ];

    public override bool IsUniqueViolation(DbException exception) =>
        exception is PostgresException { SqlState: PostgresErrorCodes.UniqueViolation };

    public override StoreException TranslateOpenError(Exception exception) => exception switch
    {
        PostgresException e => new StoreException($"PostgreSQL {Location}: {e.SqlState} {e.MessageText}", e),
        NpgsqlException e => new StoreException($"PostgreSQL {Location} is unreachable: {e.Message}", e),
        _ => new StoreException($"PostgreSQL {Location}: {exception.Message}", exception),
    };

    public override ValueTask DisposeAsync() => dataSource.DisposeAsync();
}
