using System.Data.Common;

namespace M2MSec.Storage.Sql;

/// <summary>
/// One use of a SQL statement (<see cref="SqlDatabase.Command"/>): a command of its own, or one its connection keeps prepared
/// (decision 049), which disposing gives back — kept only when its execution did not fail and its reader is closed.
/// </summary>
internal sealed class SqlStatement(DbCommand command, IStatementCache? cache) : IAsyncDisposable
{
    // Each Execute awaits its call inside its own try: Microsoft.Data.Sqlite throws synchronously, before any task exists.
    private DbDataReader? _reader;
    private bool _failed;
    private bool _disposed;

    public async Task<DbDataReader> ExecuteReaderAsync(CancellationToken ct)
    {
        try
        {
            return _reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
        }
        catch
        {
            _failed = true;
            throw;
        }
    }

    public async Task<object?> ExecuteScalarAsync(CancellationToken ct)
    {
        try
        {
            return await command.ExecuteScalarAsync(ct).ConfigureAwait(false);
        }
        catch
        {
            _failed = true;
            throw;
        }
    }

    public async Task<int> ExecuteNonQueryAsync(CancellationToken ct)
    {
        try
        {
            return await command.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        }
        catch
        {
            _failed = true;
            throw;
        }
    }

    public ValueTask DisposeAsync()
    {
        if (_disposed)
            return ValueTask.CompletedTask;
        _disposed = true;
        if (cache is null)
            return command.DisposeAsync();
        cache.Return(command, keep: !_failed && _reader is null or { IsClosed: true });
        return ValueTask.CompletedTask;
    }
}
