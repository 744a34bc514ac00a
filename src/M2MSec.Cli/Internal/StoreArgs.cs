using System.CommandLine;
using M2MSec.NetworkFunctions.Hosting;
using M2MSec.Storage;

namespace M2MSec.Cli.Internal;

/// <summary>The options of every command that keeps state: --data, --kek-file, --postgres.</summary>
internal sealed class StoreArgs
{
    public Option<string> Data { get; } = CliArgs.Text("--data", "state directory (SQLite database m2msec.db lives here)", "a directory");

    public Option<string> KekFile { get; } = CliArgs.Text("--kek-file",
        "key-encryption key ring for secrets at rest, outside the data directory (default: $M2MSEC_KEK_FILE)", "a file path");

    public Option<string> Postgres { get; } = CliArgs.Text("--postgres",
        "PostgreSQL connection string; the state then lives there, shared by every instance (default: SQLite in --data)", "a connection string");

    public void AddTo(Command command)
    {
        command.Options.Add(Data);
        command.Options.Add(KekFile);
        command.Options.Add(Postgres);
    }

    public StoreOptions Read(ParseResult r, string defaultDataDirectory) =>
        new(Path.GetFullPath(r.GetValue(Data) ?? defaultDataDirectory), r.GetValue(KekFile), r.GetValue(Postgres));

    /// <summary>
    /// Opens the store (creating the key ring if missing), runs <paramref name="action"/>, closes it. A store
    /// that cannot be opened, or a refusal of the operation, is one line on stderr: exit 1 for a secret that
    /// does not decrypt, 2 otherwise.
    /// </summary>
    public async Task<int> RunAsync(ParseResult r, Func<IStateStore, Task<int>> action, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(action);
        try
        {
            await using var state = await Read(r, "").OpenAsync(createKeyRing: true, cancellationToken: ct);
            return await action(state);
        }
        catch (StoreException e)
        {
            CliOutput.Error(r, e.Message);
            return e is SecretDecryptionException ? ExitCodes.SecurityRefused : ExitCodes.BadArguments;
        }
        catch (Exception e) when (e is M2MSec.Pki.PkiException or ArgumentException or IOException or UnauthorizedAccessException)
        {
            CliOutput.Error(r, e.Message);
            return ExitCodes.BadArguments;
        }
    }
}
