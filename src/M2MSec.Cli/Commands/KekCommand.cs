using System.CommandLine;
using M2MSec.Cli.Internal;
using M2MSec.Storage;
using M2MSec.Storage.Security;

namespace M2MSec.Cli.Commands;

/// <summary>
/// `m2msec kek new|rotate|retire` and `m2msec store rewrap`: the key-encryption keys of secrets
/// at rest. A rotation is: `kek rotate` (new active key; services keep running and pick it up),
/// `store rewrap` on every store, then `kek retire` of the old key. Keys are never printed.
/// </summary>
internal static class KekCommand
{
    public static Command Create()
    {
        var command = new Command("kek", "Key-encryption keys for secrets at rest");
        var file = CliArgs.ExistingFile("--kek-file", "the key ring file");
        var newFile = CliArgs.OutputFile("--kek-file", "the key ring file to create");

        var create = new Command("new", "Create a key ring with one fresh key (refuses to overwrite)") { newFile };
        CliArgs.Required(create, newFile);
        create.SetAction(r =>
        {
            var path = Path.GetFullPath(r.GetRequiredValue(newFile));
            if (File.Exists(path))
            {
                CliOutput.Error(r, $"--kek-file: {path} exists; refusing to overwrite a key ring");
                return ExitCodes.BadArguments;
            }
            var ring = CliPaths.Guard("--kek-file", path, () => KeyRing.Open(path, createIfMissing: true));
            r.InvocationConfiguration.Output.WriteLine($"created {path} (active key {ring.ActiveKeyId}); keep it outside every data directory and back it up");
            return ExitCodes.Success;
        });

        var rotate = new Command("rotate", "Add a fresh key and make it active; then run `store rewrap`") { file };
        CliArgs.Required(rotate, file);
        rotate.SetAction(r => WithRing(r, file, ring =>
        {
            var id = ring.AddKey();
            r.InvocationConfiguration.Output.WriteLine($"active key is now {id}; run `m2msec store rewrap` on every store, then `m2msec kek retire` the old keys");
        }));

        var keyId = CliArgs.Text("--key-id", "the key to remove", "a key id");
        var retire = new Command("retire", "Remove a key no secret uses any more") { file, keyId };
        CliArgs.Required(retire, file, keyId);
        retire.SetAction(r => WithRing(r, file, ring =>
        {
            ring.RemoveKey(r.GetRequiredValue(keyId));
            r.InvocationConfiguration.Output.WriteLine($"removed {r.GetRequiredValue(keyId)}; keys left: {string.Join(", ", ring.KeyIds)}");
        }));

        command.Subcommands.Add(create);
        command.Subcommands.Add(rotate);
        command.Subcommands.Add(retire);
        return command;
    }

    public static Command CreateStore()
    {
        var command = new Command("store", "Maintenance of a network function's state store");
        var store = new StoreArgs();
        var rewrap = new Command("rewrap", "Re-wrap every secret under the key ring's active key (services may keep running)");
        var json = CliArgs.Flag("--json", "print one JSON object (snake_case fields)");
        store.AddTo(rewrap);
        rewrap.Options.Add(json);
        CliArgs.Required(rewrap, store.Data);
        rewrap.SetAction(async (r, ct) =>
        {
            try
            {
                await using var state = await store.OpenAsync(r, "", ct);
                var n = await state.RewrapSecretsAsync(ct);
                if (r.GetValue(json))
                    CliOutput.Write(r, true, [new("store", state.Description), new("rewrapped", n)]);
                else
                    r.InvocationConfiguration.Output.WriteLine($"{state.Description}: re-wrapped {n} secrets");
                return ExitCodes.Success;
            }
            catch (StoreException e)
            {
                CliOutput.Error(r, e.Message);
                return e is SecretDecryptionException ? ExitCodes.SecurityRefused : ExitCodes.BadArguments;
            }
        });
        command.Subcommands.Add(rewrap);
        return command;
    }

    private static int WithRing(ParseResult r, Option<string> file, Action<KeyRing> action)
    {
        try
        {
            var path = r.GetRequiredValue(file);
            CliPaths.Guard("--kek-file", path, () => action(KeyRing.Open(path)));
            return ExitCodes.Success;
        }
        catch (Exception e) when (e is StoreException or InvalidOperationException or KeyNotFoundException)
        {
            CliOutput.Error(r, $"--kek-file: {e.Message}");
            return ExitCodes.BadArguments;
        }
    }
}
