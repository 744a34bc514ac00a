using System.Data.Common;
using M2MSec.Storage.Sql;
using Microsoft.Data.Sqlite;

namespace M2MSec.Storage.Sqlite;

/// <summary>
/// Decision 049: a SQLite connection the dialect keeps open, with the commands it has prepared, by SQL text (at most
/// <see cref="Capacity"/>, the least recently used dropped). Microsoft.Data.Sqlite keeps a command's compiled statements while the
/// command lives and finalizes them when its connection closes, so only a connection kept open can keep them.
/// </summary>
internal sealed class CachingSqliteConnection(string connectionString) : SqliteConnection(connectionString), IStatementCache
{
    /// <summary>The statements kept per connection: the SQL stores run some 150 distinct texts, a function a few dozen of them.</summary>
    internal const int Capacity = 64;

    private readonly Dictionary<string, Entry> _statements = new(StringComparer.Ordinal);
    private long _uses;
    private int _rented;

    /// <summary>The statements kept (tests).</summary>
    internal int Count => _statements.Count;

    /// <summary>No command rented, no transaction open (SQLite's autocommit mode): the connection may serve the next caller.</summary>
    internal bool IsIdle => _rented == 0 && State == System.Data.ConnectionState.Open && SQLitePCL.raw.sqlite3_get_autocommit(Handle) != 0;

    public DbCommand? Rent(string sql)
    {
        if (_statements.TryGetValue(sql, out var entry))
        {
            if (entry.Rented)
                return null;
        }
        else
        {
            if (_statements.Count >= Capacity)
                DropLeastRecentlyUsed();
            entry = new Entry(CreateCommand());
            entry.Command.CommandText = sql;
            _statements.Add(sql, entry);
        }
        entry.Rented = true;
        entry.LastUse = ++_uses;
        _rented++;
        return entry.Command;
    }

    public void Return(DbCommand command, bool keep)
    {
        ArgumentNullException.ThrowIfNull(command);
        if (!_statements.TryGetValue(command.CommandText, out var entry) || entry.Command != command || !entry.Rented)
            throw new InvalidOperationException("This command was not rented from this connection.");
        entry.Rented = false;
        _rented--;
        entry.Command.Parameters.Clear();
        entry.Command.Transaction = null;
        if (!keep)
        {
            _statements.Remove(command.CommandText);
            entry.Command.Dispose();
        }
    }

    private void DropLeastRecentlyUsed()
    {
        KeyValuePair<string, Entry>? oldest = null;
        foreach (var e in _statements)
        {
            if (!e.Value.Rented && (oldest is null || e.Value.LastUse < oldest.Value.Value.LastUse))
                oldest = e;
        }
        if (oldest is { } drop)
        {
            _statements.Remove(drop.Key);
            drop.Value.Command.Dispose();
        }
    }

    private sealed class Entry(SqliteCommand command)
    {
        public SqliteCommand Command { get; } = command;

        public bool Rented { get; set; }

        public long LastUse { get; set; }
    }
}
