using M2MSec.Storage.Sqlite;
using Microsoft.Data.Sqlite;

namespace M2MSec.Tests.Storage;

/// <summary>Issue 19: the store's pragmas are sent once per SQLite connection, and every connection the store opens runs under them.</summary>
public sealed class SqliteDialectTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("m2msec-dialect-").FullName;

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(_dir, recursive: true);
    }

    private static async Task<(long Synchronous, long ForeignKeys, long BusyTimeout)> PragmasAsync(SqliteConnection c)
    {
        async Task<long> Read(string pragma)
        {
            await using var command = c.CreateCommand();
            command.CommandText = $"PRAGMA {pragma}";
            return (long)(await command.ExecuteScalarAsync(TestContext.Current.CancellationToken))!;
        }
        return (await Read("synchronous"), await Read("foreign_keys"), await Read("busy_timeout"));
    }

    [Fact]
    public async Task APooledConnectionTakenAgain_StillRunsUnderTheStorePragmas_UnsyncedCounterThreat()
    {
        var ct = TestContext.Current.CancellationToken;
        var dialect = new SqliteDialect(Path.Combine(_dir, "s.db"));
        SQLitePCL.sqlite3? first;
        await using (var c = (SqliteConnection)await dialect.OpenAsync(ct))
        {
            first = c.Handle;
            Assert.Equal((2L, 1L, 60000L), await PragmasAsync(c)); // synchronous = FULL (2): fsync before a counter is handed out
        }
        await using (var again = (SqliteConnection)await dialect.OpenAsync(ct))
        {
            Assert.Same(first, again.Handle); // the pool's connection, not sent the pragmas again
            Assert.Equal((2L, 1L, 60000L), await PragmasAsync(again));
        }

        // Closed by the pool and opened anew: a new handle, configured again.
        SqliteConnection.ClearAllPools();
        await using var fresh = (SqliteConnection)await dialect.OpenAsync(ct);
        Assert.NotSame(first, fresh.Handle);
        Assert.Equal((2L, 1L, 60000L), await PragmasAsync(fresh));
    }
}
