using System.Data.Common;
using M2MSec.Storage.Sql;
using M2MSec.Storage.Sqlite;

namespace M2MSec.Tests.Storage;

/// <summary>
/// Decision 049: the SQLite dialect keeps its connections open, each with its prepared statements. What a kept statement or connection
/// must never carry to its next user: parameters, an open transaction, an open reader's snapshot.
/// </summary>
public sealed class SqliteStatementCacheTests : IAsyncDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("m2msec-stmt-").FullName;
    private readonly SqliteDialect _dialect;

    public SqliteStatementCacheTests() => _dialect = new SqliteDialect(Path.Combine(_dir, "s.db"));

    public async ValueTask DisposeAsync()
    {
        await _dialect.DisposeAsync();
        Directory.Delete(_dir, recursive: true);
    }

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private async Task<CachingSqliteConnection> OpenAsync() => (CachingSqliteConnection)await _dialect.OpenAsync(Ct);

    private async Task<CachingSqliteConnection> WithTableAsync()
    {
        var c = await OpenAsync();
        await SqlDatabase.ExecuteAsync(c, null, "CREATE TABLE IF NOT EXISTS t (k TEXT PRIMARY KEY, v INTEGER NOT NULL)", Ct);
        return c;
    }

    private static async Task<object?> ScalarAsync(DbConnection c, string sql, params (string, object?)[] parameters)
    {
        await using var statement = SqlDatabase.Command(c, null, sql, parameters);
        return await statement.ExecuteScalarAsync(Ct);
    }

    [Fact]
    public async Task AKeptStatement_IsPreparedOnce_AndServesTheSameTextAgain()
    {
        var c = await OpenAsync();
        Assert.Equal(7L, await ScalarAsync(c, "SELECT @a", ("@a", 7)));
        Assert.Equal(1, c.Count);
        Assert.Equal(8L, await ScalarAsync(c, "SELECT @a", ("@a", 8)));
        Assert.Equal(1, c.Count); // the same statement, its new value bound
        await _dialect.ReleaseAsync(c);
    }

    [Fact]
    public async Task AKeptStatement_NeverRunsWithThePreviousCallersValues_StaleParameterThreat()
    {
        var c = await OpenAsync();
        Assert.Equal(1L, await ScalarAsync(c, "SELECT @nonce", ("@nonce", 1)));
        // SQLite keeps a statement's bindings across a reset: a caller that forgot a parameter must fail, never run with the last one.
        await Assert.ThrowsAsync<InvalidOperationException>(() => ScalarAsync(c, "SELECT @nonce"));
        Assert.Equal(2L, await ScalarAsync(c, "SELECT @nonce", ("@nonce", 2)));
        await _dialect.ReleaseAsync(c);
    }

    [Fact]
    public async Task AConnectionGivenBackInsideATransaction_IsClosed_NotServedToTheNextCaller_TransactionLeakThreat()
    {
        var c = await WithTableAsync();
        await _dialect.ReleaseAsync(c);
        var writer = await OpenAsync();
        Assert.Same(c, writer);
        var tx = await _dialect.BeginWriteAsync(writer, Ct);
        await SqlDatabase.ExecuteAsync(writer, tx, "INSERT INTO t (k, v) VALUES ('a', 1)", Ct);
        await _dialect.ReleaseAsync(writer); // neither committed nor rolled back: a caller's bug, or a crash between the two

        var next = await OpenAsync();
        Assert.NotSame(writer, next);
        Assert.Equal(System.Data.ConnectionState.Closed, writer.State); // closed: SQLite rolled the transaction back
        Assert.Equal(0L, await ScalarAsync(next, "SELECT COUNT(*) FROM t"));
        await _dialect.ReleaseAsync(next);
    }

    [Fact]
    public async Task AStatementLeftWithItsReaderOpen_IsDropped_AndPinsNoSnapshot_StaleSnapshotThreat()
    {
        var reader = await WithTableAsync();
        var writer = await OpenAsync();
        await SqlDatabase.ExecuteAsync(writer, null, "INSERT INTO t (k, v) VALUES ('a', 1)", Ct);

        var statement = SqlDatabase.Command(reader, null, "SELECT v FROM t WHERE k = @k", ("@k", "a"));
        var rows = await statement.ExecuteReaderAsync(Ct);
        Assert.True(await rows.ReadAsync(Ct)); // an open read: under WAL, a snapshot of the database
        await statement.DisposeAsync(); // given back with its reader open
        Assert.Equal(1, reader.Count); // the table's creation is kept; the SELECT was dropped, its reader with it

        await SqlDatabase.ExecuteAsync(writer, null, "UPDATE t SET v = 2 WHERE k = 'a'", Ct);
        Assert.Equal(2L, await ScalarAsync(reader, "SELECT v FROM t WHERE k = @k", ("@k", "a"))); // the committed value, not the old snapshot
        await _dialect.ReleaseAsync(reader);
        await _dialect.ReleaseAsync(writer);
    }

    [Fact]
    public async Task AKeptSelect_SeesWhatAnotherConnectionCommittedSince_StaleReadThreat()
    {
        var reader = await WithTableAsync();
        var writer = await OpenAsync();
        await SqlDatabase.ExecuteAsync(writer, null, "INSERT INTO t (k, v) VALUES ('n', 1)", Ct);
        Assert.Equal(1L, await ScalarAsync(reader, "SELECT v FROM t WHERE k = @k", ("@k", "n")));
        for (var i = 2; i <= 5; i++)
        {
            var tx = await _dialect.BeginWriteAsync(writer, Ct);
            await SqlDatabase.ExecuteAsync(writer, tx, "UPDATE t SET v = @v WHERE k = 'n'", Ct, ("@v", i));
            await tx.CommitAsync(Ct);
            Assert.Equal((long)i, await ScalarAsync(reader, "SELECT v FROM t WHERE k = @k", ("@k", "n")));
        }
        await _dialect.ReleaseAsync(reader);
        await _dialect.ReleaseAsync(writer);
    }

    [Fact]
    public async Task AFailedExecution_DropsItsStatement_AndTheNextUseRunsAfresh()
    {
        var c = await WithTableAsync();
        const string Insert = "INSERT INTO t (k, v) VALUES (@k, @v)";
        await SqlDatabase.ExecuteAsync(c, null, Insert, Ct, ("@k", "x"), ("@v", 1));
        var kept = c.Count;
        await Assert.ThrowsAsync<Microsoft.Data.Sqlite.SqliteException>(() => SqlDatabase.ExecuteAsync(c, null, Insert, Ct, ("@k", "x"), ("@v", 2)).AsTask());
        Assert.Equal(kept - 1, c.Count);
        await SqlDatabase.ExecuteAsync(c, null, Insert, Ct, ("@k", "y"), ("@v", 3));
        Assert.Equal(2L, await ScalarAsync(c, "SELECT COUNT(*) FROM t"));
        Assert.True(c.IsIdle);
        await _dialect.ReleaseAsync(c);
    }

    [Fact]
    public async Task TheSameTextNested_GetsACommandOfItsOwn()
    {
        var c = await WithTableAsync();
        await SqlDatabase.ExecuteAsync(c, null, "INSERT INTO t (k, v) VALUES ('a', 1), ('b', 2)", Ct);
        const string Select = "SELECT v FROM t WHERE k = @k";
        await using (var outer = SqlDatabase.Command(c, null, Select, ("@k", "a")))
        {
            await using var rows = await outer.ExecuteReaderAsync(Ct);
            Assert.True(await rows.ReadAsync(Ct));
            Assert.Equal(2L, await ScalarAsync(c, Select, ("@k", "b"))); // the kept one is in use: a command of its own, disposed after
            Assert.Equal(1L, rows.GetInt64(0));
        }
        Assert.True(c.IsIdle);
        await _dialect.ReleaseAsync(c);
    }

    [Fact]
    public async Task ManyDistinctTexts_TheStatementsKeptStayBounded_MemoryExhaustionThreat()
    {
        var c = await OpenAsync();
        for (var i = 0; i < CachingSqliteConnection.Capacity * 3; i++)
            Assert.Equal((long)i, await ScalarAsync(c, $"SELECT {i}"));
        Assert.Equal(CachingSqliteConnection.Capacity, c.Count);
        await _dialect.ReleaseAsync(c);
    }

    [Fact]
    public async Task ManyConnectionsGivenBack_TheIdleOnesStayBounded_AndNoneOutlivesTheDialect_FileHandleExhaustionThreat()
    {
        var open = new List<CachingSqliteConnection>();
        for (var i = 0; i < SqliteConnectionPool.MaxIdle + 8; i++)
            open.Add(await OpenAsync());
        foreach (var c in open)
            await _dialect.ReleaseAsync(c);
        Assert.Equal(SqliteConnectionPool.MaxIdle, open.Count(c => c.State == System.Data.ConnectionState.Open));

        var late = await OpenAsync(); // one of the kept ones
        await _dialect.DisposeAsync();
        Assert.Equal(System.Data.ConnectionState.Open, late.State);
        Assert.All(open.Where(c => c != late), c => Assert.Equal(System.Data.ConnectionState.Closed, c.State));
        await _dialect.ReleaseAsync(late); // given back after the dialect's end: closed, not kept
        Assert.Equal(System.Data.ConnectionState.Closed, late.State);
    }
}
