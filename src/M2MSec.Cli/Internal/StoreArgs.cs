using System.CommandLine;
using M2MSec.NetworkFunctions.Hosting;

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
}
