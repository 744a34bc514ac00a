using System.Data.Common;

namespace M2MSec.Storage.Sql;

/// <summary>
/// A connection that keeps its prepared statements for the next use of the same SQL text (decision 049: SQLite compiles a statement
/// at every new command otherwise). Used by one caller at a time, as its connection is.
/// </summary>
internal interface IStatementCache
{
    /// <summary>The command kept for exactly <paramref name="sql"/>, with no parameters and no transaction; null when it is in use.</summary>
    DbCommand? Rent(string sql);

    /// <summary>
    /// Gives back a command from <see cref="Rent"/>: kept, its parameters cleared, when <paramref name="keep"/>; dropped (its statements
    /// finalized) when its use failed or left a reader open.
    /// </summary>
    void Return(DbCommand command, bool keep);
}
