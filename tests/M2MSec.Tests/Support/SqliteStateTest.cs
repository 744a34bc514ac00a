using M2MSec.Storage;
using M2MSec.Storage.Security;
using M2MSec.Storage.Sqlite;

namespace M2MSec.Tests.Support;

/// <summary>A test with a function's state on SQLite in a directory of its own (an ephemeral key ring), removed afterwards.</summary>
public abstract class SqliteStateTest : IAsyncLifetime
{
    protected string Dir { get; } = Directory.CreateTempSubdirectory("m2msec-state-").FullName;

    protected IStateStore State { get; private set; } = null!;

    public virtual async ValueTask InitializeAsync() =>
        State = await SqliteStateStore.OpenAsync(Path.Combine(Dir, "store"), KeyRing.CreateEphemeral(), TimeProvider.System);

    public virtual async ValueTask DisposeAsync()
    {
        await State.DisposeAsync();
        Directory.Delete(Dir, recursive: true);
        GC.SuppressFinalize(this);
    }
}
