using M2MSec.Storage.Sqlite;
using Microsoft.Data.Sqlite;

namespace M2MSec.Tests.Storage;

/// <summary>Issue 19: the store's pragmas are sent once per SQLite connection, and every connection the store opens runs under them.</summary>
public sealed class SqliteDialectTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("m2msec-dialect-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    internal static async Task<(long Synchronous, long ForeignKeys, long BusyTimeout)> PragmasAsync(SqliteConnection c)
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
    public async Task AKeptConnectionTakenAgain_StillRunsUnderTheStorePragmas_UnsyncedCounterThreat()
    {
        var ct = TestContext.Current.CancellationToken;
        var dialect = new SqliteDialect(Path.Combine(_dir, "s.db"));
        var first = (SqliteConnection)await dialect.OpenAsync(ct);
        Assert.Equal((2L, 1L, 60000L), await PragmasAsync(first)); // synchronous = FULL (2): fsync before a counter is handed out
        await dialect.ReleaseAsync(first);

        var again = (SqliteConnection)await dialect.OpenAsync(ct);
        Assert.Same(first, again); // the connection the dialect kept, not sent the pragmas again
        Assert.Equal((2L, 1L, 60000L), await PragmasAsync(again));
        await dialect.ReleaseAsync(again);

        // Closed with the dialect, and a dialect opened anew: a new connection, configured again.
        await dialect.DisposeAsync();
        var other = new SqliteDialect(Path.Combine(_dir, "s.db"));
        var fresh = (SqliteConnection)await other.OpenAsync(ct);
        Assert.NotSame(first, fresh);
        Assert.Equal((2L, 1L, 60000L), await PragmasAsync(fresh));
        await other.ReleaseAsync(fresh);
        await other.DisposeAsync();
    }
}
