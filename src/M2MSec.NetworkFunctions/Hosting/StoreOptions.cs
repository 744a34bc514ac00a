using M2MSec.Storage;
using M2MSec.Storage.InMemory;
using M2MSec.Storage.PostgreSql;
using M2MSec.Storage.Security;
using M2MSec.Storage.Sqlite;

namespace M2MSec.NetworkFunctions.Hosting;

/// <summary>
/// Where a network function keeps its state: SQLite in its data directory (the default),
/// PostgreSQL when a connection string is given, or memory (tests). Secrets are wrapped under
/// the key ring at <see cref="KekFile"/> — never inside the data directory.
/// </summary>
public sealed record StoreOptions(string DataDirectory, string? KekFile = null, string? PostgresConnectionString = null, bool InMemory = false)
{
    /// <summary>Opens the store these options name; creates the key ring when <paramref name="createKeyRing"/> and it is missing.</summary>
    public async Task<IStateStore> OpenAsync(TimeProvider? time = null, bool createKeyRing = false, CancellationToken cancellationToken = default)
    {
        if (InMemory)
            return new InMemoryStateStore(time);
        var ring = KeyRing.Open(KeyRing.ResolvePath(KekFile, DataDirectory), createKeyRing);
        return PostgresConnectionString is { Length: > 0 } pg
            ? await PostgresStateStore.OpenAsync(pg, ring, time, cancellationToken: cancellationToken).ConfigureAwait(false)
            : await SqliteStateStore.OpenAsync(DataDirectory, ring, time, cancellationToken: cancellationToken).ConfigureAwait(false);
    }
}
