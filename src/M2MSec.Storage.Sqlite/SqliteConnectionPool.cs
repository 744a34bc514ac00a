using System.Collections.Concurrent;

namespace M2MSec.Storage.Sqlite;

/// <summary>
/// Decision 049: the open connections of one <see cref="SqliteDialect"/>, so that each keeps its prepared statements
/// (<see cref="CachingSqliteConnection"/>). A connection comes back only when it is idle — no command in use, no transaction
/// open — and while fewer than <see cref="MaxIdle"/> wait; otherwise, or once the pool is disposed, it is closed.
/// </summary>
internal sealed class SqliteConnectionPool(string connectionString, Func<CachingSqliteConnection, CancellationToken, ValueTask> configure)
{
    /// <summary>The most connections kept open while unused (SQLite's readers run side by side; one writer at a time).</summary>
    internal const int MaxIdle = 16;

    private readonly ConcurrentStack<CachingSqliteConnection> _idle = new();
    private int _idleCount;
    private volatile bool _disposed;

    public async ValueTask<CachingSqliteConnection> RentAsync(CancellationToken ct)
    {
        if (_idle.TryPop(out var kept))
        {
            Interlocked.Decrement(ref _idleCount);
            return kept;
        }
        var fresh = new CachingSqliteConnection(connectionString);
        try
        {
            await fresh.OpenAsync(ct).ConfigureAwait(false);
            await configure(fresh, ct).ConfigureAwait(false);
            return fresh;
        }
        catch
        {
            await fresh.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    public ValueTask ReturnAsync(CachingSqliteConnection connection)
    {
        ArgumentNullException.ThrowIfNull(connection);
        if (_disposed || !connection.IsIdle)
            return connection.DisposeAsync();
        if (Interlocked.Increment(ref _idleCount) > MaxIdle)
        {
            Interlocked.Decrement(ref _idleCount);
            return connection.DisposeAsync();
        }
        _idle.Push(connection);
        if (_disposed)
            CloseIdle(); // disposed meanwhile: nothing may stay open
        return ValueTask.CompletedTask;
    }

    /// <summary>Closes every idle connection; those in use are closed when they come back.</summary>
    public void Dispose()
    {
        _disposed = true;
        CloseIdle();
    }

    private void CloseIdle()
    {
        while (_idle.TryPop(out var connection))
        {
            Interlocked.Decrement(ref _idleCount);
            connection.Dispose();
        }
    }
}
