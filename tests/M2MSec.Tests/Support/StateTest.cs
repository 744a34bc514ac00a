using M2MSec.Storage;
using M2MSec.Storage.PostgreSql;
using M2MSec.Storage.Security;
using M2MSec.Storage.Sqlite;

namespace M2MSec.Tests.Support;

/// <summary>A test with a function's state in a store of its own (an ephemeral key ring) and a directory of its own, removed afterwards.</summary>
public abstract class StateTest : IAsyncLifetime
{
    protected string Dir { get; } = Directory.CreateTempSubdirectory("m2msec-state-").FullName;

    protected IStateStore State { get; private set; } = null!;

    /// <summary>Opens the state (SQLite in <see cref="Dir"/>, or a new PostgreSQL database).</summary>
    protected abstract Task<IStateStore> OpenStateAsync();

    public virtual async ValueTask InitializeAsync() => State = await OpenStateAsync();

    public virtual async ValueTask DisposeAsync()
    {
        await State.DisposeAsync();
        Directory.Delete(Dir, recursive: true);
        GC.SuppressFinalize(this);
    }

    /// <summary>SQLite in the test's directory.</summary>
    protected Task<IStateStore> OpenSqliteAsync() =>
        SqliteStateStore.OpenAsync(Path.Combine(Dir, "store"), KeyRing.CreateEphemeral(), TimeProvider.System);

    /// <summary>A new database on the tests' PostgreSQL cluster (skipped, or failed under M2MSEC_REQUIRE_TOOLS=1, without one).</summary>
    protected static async Task<IStateStore> OpenPostgresAsync(PostgresServer server)
    {
        ArgumentNullException.ThrowIfNull(server);
        return await PostgresStateStore.OpenAsync(await server.CreateDatabaseAsync(), KeyRing.CreateEphemeral(), TimeProvider.System);
    }
}
