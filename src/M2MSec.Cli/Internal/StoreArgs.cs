using System.CommandLine;
using M2MSec.NetworkFunctions.Hosting;
using M2MSec.Storage;
using M2MSec.Storage.Security;

namespace M2MSec.Cli.Internal;

/// <summary>
/// The options of every command that keeps state: --data, --kek-file, --postgres.
/// <para>
/// The rule: a command that starts a store (<c>createsStore: true</c>) may create the data directory, its m2msec.db and
/// the key ring — `serve …`, `pki init`, `dm account add`, `ota card add`, the first steps on a fresh directory in the
/// README and the demo. Every other command works on an existing store: a --data that does not exist or holds no
/// m2msec.db (with SQLite), or a key ring that does not exist, is exit 2 naming the option, and nothing is created.
/// For both, --data naming a file is exit 2. The key ring is --kek-file, else $M2MSEC_KEK_FILE, else the per-user
/// default (<see cref="CliDefaults"/>), which a command that starts a store creates on first use; a named one must exist.
/// </para>
/// </summary>
internal sealed class StoreArgs(bool createsStore = false)
{
    public Option<string> Data { get; } = CliArgs.Directory("--data", "state directory (SQLite database m2msec.db lives here)");

    public Option<string> KekFile { get; } = CliArgs.Text("--kek-file",
        "key-encryption key ring for secrets at rest, outside the data directory; must exist (default: $M2MSEC_KEK_FILE, else $XDG_CONFIG_HOME/m2msec/kek.json, made on first use)", "a file path");

    public Option<string> Postgres { get; } = CliArgs.Text("--postgres",
        "PostgreSQL connection string; the state then lives there, shared by every instance (default: SQLite in --data)", "a connection string");

    public void AddTo(Command command)
    {
        command.Options.Add(Data);
        command.Options.Add(KekFile);
        command.Options.Add(Postgres);
    }

    public StoreOptions Read(ParseResult r, string defaultDataDirectory) =>
        new(Path.GetFullPath(r.GetValue(Data) ?? defaultDataDirectory), CliDefaults.KekFile(r.GetValue(KekFile)).Path, r.GetValue(Postgres));

    /// <summary>A store that could not be opened: 1 a secret that does not decrypt, 4 a PostgreSQL server that is unreachable or refuses, 2 otherwise.</summary>
    public static int ExitCodeOf(StoreException e, StoreOptions options) => e switch
    {
        SecretDecryptionException => ExitCodes.SecurityRefused,
        { InnerException: System.Data.Common.DbException } when !string.IsNullOrEmpty(options.PostgresConnectionString) => ExitCodes.CouldNotRun,
        _ => ExitCodes.BadArguments,
    };

    /// <summary>What opening <paramref name="options"/> would create (its SQLite files, the directory, the key ring): for <see cref="Remove"/>.</summary>
    public static IReadOnlyList<string> NotYetCreated(StoreOptions options)
    {
        var db = Path.Combine(options.DataDirectory, M2MSec.Storage.Sqlite.SqliteStateStore.FileName);
        var paths = Directory.Exists(options.DataDirectory) ? [db, db + "-wal", db + "-shm", db + "-journal"] : new List<string> { options.DataDirectory };
        if (!string.IsNullOrEmpty(options.PostgresConnectionString))
            paths.Clear();
        if (options.KekFile is { Length: > 0 } kek)
        {
            paths.Add(Path.GetFullPath(kek));
            paths.Add(KeyRingStores.PathFor(kek)); // the ring's record of the stores that opened it
        }
        return [.. paths.Where(p => !Path.Exists(p))];
    }

    /// <summary>Removes what a command that did not complete created (best effort).</summary>
    public static void Remove(IReadOnlyList<string> created)
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        foreach (var path in created)
        {
            try
            {
                if (Directory.Exists(path))
                    Directory.Delete(path, recursive: true);
                else
                    File.Delete(path);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Best effort: the command's own error is what the user needs.
            }
        }
    }

    /// <summary>Checks (<see cref="Check"/>), then opens the store.</summary>
    public async Task<IStateStore> OpenAsync(ParseResult r, string defaultDataDirectory, CancellationToken ct)
    {
        var options = Check(r, defaultDataDirectory);
        try
        {
            return await options.OpenAsync(cancellationToken: ct); // Check made the default key ring if this command may
        }
        catch (StoreException e) when (ExitCodeOf(e, options) == ExitCodes.CouldNotRun)
        {
            throw new CliExitException(ExitCodes.CouldNotRun, $"--postgres: {e.Message}");
        }
        catch (StoreException e) when (e is not SecretDecryptionException && !e.Message.StartsWith("--", StringComparison.Ordinal))
        {
            throw CliExitException.Bad($"--data: {e.Message}");
        }
        catch (UnauthorizedAccessException)
        {
            throw new CliExitException(ExitCodes.CouldNotRun, $"--data: {options.DataDirectory}: permission denied");
        }
        catch (IOException)
        {
            throw new CliExitException(ExitCodes.CouldNotRun, $"--data: {options.DataDirectory}: I/O error");
        }
    }

    /// <summary>Checks --data and the key ring against the rule above without opening anything (throws <see cref="CliExitException"/>).</summary>
    public StoreOptions Check(ParseResult r, string defaultDataDirectory)
    {
        var options = Read(r, defaultDataDirectory);
        var sqlite = string.IsNullOrEmpty(options.PostgresConnectionString);
        CliPaths.Check("--data", options.DataDirectory, PathKind.Directory);
        if (!createsStore && sqlite)
        {
            if (!Directory.Exists(options.DataDirectory))
                throw CliExitException.Bad($"--data: {options.DataDirectory} does not exist, expected the directory of an existing store");
            var db = Path.Combine(options.DataDirectory, M2MSec.Storage.Sqlite.SqliteStateStore.FileName);
            if (!File.Exists(db))
                throw CliExitException.Bad($"--data: {options.DataDirectory} holds no store (no {M2MSec.Storage.Sqlite.SqliteStateStore.FileName})");
            CliPaths.Check("--data", db, PathKind.ExistingFile);
        }
        var (kek, named) = CliDefaults.KekFile(r.GetValue(KekFile));
        try
        {
            kek = KeyRing.ResolvePath(kek, options.DataDirectory);
        }
        catch (StoreException e)
        {
            throw CliExitException.Bad(e.Message); // "--kek-file: … inside the data directory"
        }
        if (named || File.Exists(kek))
            CliDefaults.OpenNamedKeyRing(kek); // a named key ring must exist: a typo must not start a new, unbacked one
        else if (createsStore)
            CliDefaults.EnsureDefaultKeyRing(r.InvocationConfiguration.Error);
        else
            throw CliExitException.Bad($"--kek-file: the default key ring {kek} does not exist; name the store's key ring with --kek-file or ${KeyRing.EnvironmentVariable}");
        return options;
    }

    /// <summary>
    /// Opens the store, runs <paramref name="action"/>, closes it. A store that cannot be opened, or a refusal of the
    /// operation, is one line on stderr: exit 1 for a secret that does not decrypt, 4 for an I/O failure, 2 otherwise.
    /// </summary>
    public async Task<int> RunAsync(ParseResult r, Func<IStateStore, Task<int>> action, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(action);
        try
        {
            await using var state = await OpenAsync(r, "", ct);
            return await action(state);
        }
        catch (StoreException e)
        {
            CliOutput.Error(r, e.Message);
            return e is SecretDecryptionException ? ExitCodes.SecurityRefused : ExitCodes.BadArguments;
        }
        catch (Exception e) when (e is M2MSec.Pki.PkiException or ArgumentException)
        {
            CliOutput.Error(r, e.Message);
            return ExitCodes.BadArguments;
        }
    }
}
