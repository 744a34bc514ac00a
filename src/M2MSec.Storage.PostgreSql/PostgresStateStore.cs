using M2MSec.Storage.Security;
using M2MSec.Storage.Sql;
using Npgsql;

namespace M2MSec.Storage.PostgreSql;

/// <summary>Opens the PostgreSQL store named by a connection string (several instances may share it).</summary>
public static class PostgresStateStore
{
    public static async Task<IStateStore> OpenAsync(string connectionString, KeyRing keyRing, TimeProvider? time = null, int? schemaVersion = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(connectionString);
        ArgumentNullException.ThrowIfNull(keyRing);
        NpgsqlDataSource dataSource;
        try
        {
            dataSource = NpgsqlDataSource.Create(connectionString);
        }
        catch (ArgumentException e)
        {
            throw new StoreException("--postgres: not a valid connection string (expected Host=…;Database=…;Username=…)", e);
        }
        return await SqlStateStore.OpenAsync(new PostgresDialect(dataSource), keyRing, time, schemaVersion, cancellationToken).ConfigureAwait(false);
    }
}
