using M2MSec.Storage.Security;
using M2MSec.Storage.Sql;

namespace M2MSec.Storage.Sqlite;

/// <summary>Opens the embedded SQLite store of a data directory (file <see cref="FileName"/>).</summary>
public static class SqliteStateStore
{
    public const string FileName = "m2msec.db";

    public static async Task<IStateStore> OpenAsync(string dataDirectory, KeyRing keyRing, TimeProvider? time = null, int? schemaVersion = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(dataDirectory);
        ArgumentNullException.ThrowIfNull(keyRing);
        Directory.CreateDirectory(dataDirectory);
        return await SqlStateStore.OpenAsync(new SqliteDialect(Path.Combine(Path.GetFullPath(dataDirectory), FileName)), keyRing, time, schemaVersion, cancellationToken).ConfigureAwait(false);
    }
}
