using System.CommandLine;
using System.Text.Json;
using M2MSec.Cli.Internal;
using M2MSec.Storage;
using M2MSec.Storage.Security;

namespace M2MSec.Cli.Commands;

/// <summary>
/// `m2msec kek new|rotate|retire|list` and `m2msec store rewrap`: the key-encryption keys of secrets
/// at rest. A rotation is: `kek rotate` (new active key; services keep running and pick it up),
/// `store rewrap` on every store, then `kek retire` of the old key, which refuses (exit 1) while a
/// store the ring knows of (<see cref="KeyRingStores"/>) still has secrets under it. Keys are never printed.
/// </summary>
internal static class KekCommand
{
    public static Command Create()
    {
        var command = new Command("kek", "Key-encryption keys for secrets at rest");
        const string Default = "(default: $M2MSEC_KEK_FILE, else $XDG_CONFIG_HOME/m2msec/kek.json)";
        var file = CliArgs.ExistingFile("--kek-file", $"the key ring file {Default}");
        var newFile = CliArgs.OutputFile("--kek-file", $"the key ring file to create {Default}");
        var json = CliArgs.Flag("--json", "print one JSON object");

        var create = new Command("new", "Create a key ring with one fresh key (refuses to overwrite)") { newFile, json };
        create.SetAction(r =>
        {
            var (path, named) = CliDefaults.KekFile(r.GetValue(newFile));
            if (File.Exists(path))
            {
                CliOutput.Error(r, $"--kek-file: {path} exists; refusing to overwrite a key ring");
                return ExitCodes.BadArguments;
            }
            if (!named)
                CliPaths.Guard("--kek-file", path, () => CliDefaults.CreatePrivateDirectory(Path.GetDirectoryName(path)!));
            var ring = CliPaths.Guard("--kek-file", path, () => KeyRing.Open(path, createIfMissing: true));
            if (r.GetValue(json))
                CliOutput.Write(r, true, [new("kek_file", path), new("active_key_id", ring.ActiveKeyId)]);
            else
                r.InvocationConfiguration.Output.WriteLine($"created {path} (active key {ring.ActiveKeyId}); keep it outside every data directory and back it up");
            return ExitCodes.Success;
        });

        var rotate = new Command("rotate", "Add a fresh key and make it active; then run `store rewrap`") { file, json };
        rotate.SetAction(r => WithRing(r, file, ring =>
        {
            var id = ring.AddKey();
            if (r.GetValue(json))
                CliOutput.Write(r, true, [new("kek_file", ring.Path), new("active_key_id", id), new("key_ids", ring.KeyIds.ToArray())]);
            else
                r.InvocationConfiguration.Output.WriteLine($"active key is now {id}; run `m2msec store rewrap` on every store, then `m2msec kek retire` the old keys");
            return ExitCodes.Success;
        }));

        var keyId = CliArgs.Text("--key-id", "the key to remove", "a key id");
        var force = CliArgs.Flag("--force", "remove the key even though a store the ring knows still has secrets under it (they become unreadable)");
        var retire = new Command("retire", "Remove a key no store uses any more (exit 1 if a known store still does, unless --force)") { file, keyId, force, json };
        CliArgs.Required(retire, keyId);
        retire.SetAction(r => WithRing(r, file, ring =>
        {
            var id = r.GetRequiredValue(keyId);
            if (!ring.KeyIds.Contains(id))
            {
                CliOutput.Error(r, $"--key-id: no key {id} in {ring.Path}");
                return ExitCodes.BadArguments;
            }
            if (id == ring.ActiveKeyId)
            {
                CliOutput.Error(r, $"--key-id: {id} is the active key; `m2msec kek rotate` first");
                return ExitCodes.BadArguments;
            }
            var users = StoresUsing(ring, id);
            if (users.Count > 0 && !r.GetValue(force))
            {
                // Refused for safety (exit 1): the secrets of these stores would no longer decrypt.
                CliOutput.Error(r, $"--key-id: {id} still wraps secrets of {string.Join(", ", users)}; run `m2msec store rewrap` on each first (or --force)");
                return ExitCodes.SecurityRefused;
            }
            ring.RemoveKey(id);
            if (r.GetValue(json))
                CliOutput.Write(r, true, [new("kek_file", ring.Path), new("removed_key_id", id), new("key_ids", ring.KeyIds.ToArray()), new("forced", users.Count > 0)]);
            else
                r.InvocationConfiguration.Output.WriteLine($"removed {id}; keys left: {string.Join(", ", ring.KeyIds)}");
            return ExitCodes.Success;
        }));

        var list = new Command("list", "The ring's keys, the active one, and which known stores still use each (never a key)") { file, json };
        list.SetAction(r => WithRing(r, file, ring =>
        {
            var stores = KeyRingStores.Read(ring.Path!);
            var keys = ring.KeyIds.Order(StringComparer.Ordinal).Select(id => new
            {
                id,
                active = id == ring.ActiveKeyId,
                stores = StoresUsing(ring, id, stores),
            }).ToList();
            var output = r.InvocationConfiguration.Output;
            if (r.GetValue(json))
            {
                output.WriteLine(JsonSerializer.Serialize(new
                {
                    kek_file = ring.Path,
                    active_key_id = ring.ActiveKeyId,
                    keys = keys.Select(k => new { key_id = k.id, k.active, k.stores }),
                    stores = stores.Select(s => new { store = s.Store, key_ids = s.KeyIds, present = Present(s.Store) }),
                }));
                return ExitCodes.Success;
            }
            output.WriteLine($"key ring {ring.Path}");
            foreach (var k in keys)
                output.WriteLine($"  {k.id}{(k.active ? "  (active)" : "")}  used by: {(k.stores.Count == 0 ? "no known store" : string.Join(", ", k.stores))}");
            return ExitCodes.Success;
        }));

        command.Subcommands.Add(create);
        command.Subcommands.Add(rotate);
        command.Subcommands.Add(retire);
        command.Subcommands.Add(list);
        return command;
    }

    /// <summary>The known stores (recorded in the ring's store record) with secrets under <paramref name="keyId"/>; a SQLite store whose file is gone no longer counts.</summary>
    private static List<string> StoresUsing(KeyRing ring, string keyId, IReadOnlyList<KeyRingStoreUse>? stores = null) =>
        [.. (stores ?? KeyRingStores.Read(ring.Path!)).Where(s => s.KeyIds.Contains(keyId) && Present(s.Store)).Select(s => s.Store)];

    private static bool Present(string store) =>
        !store.StartsWith("sqlite:", StringComparison.Ordinal) || File.Exists(store["sqlite:".Length..]);

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

    /// <summary>Opens the ring (--kek-file, $M2MSEC_KEK_FILE or the per-user default, which must exist) and runs <paramref name="action"/>.</summary>
    private static int WithRing(ParseResult r, Option<string> file, Func<KeyRing, int> action)
    {
        var (path, named) = CliDefaults.KekFile(r.GetValue(file));
        if (!named && !File.Exists(path))
            throw CliExitException.Bad($"--kek-file: the default key ring {path} does not exist (`m2msec kek new` creates it)");
        var ring = CliDefaults.OpenNamedKeyRing(path);
        try
        {
            return CliPaths.Guard("--kek-file", path, () => action(ring));
        }
        catch (Exception e) when (e is StoreException or InvalidOperationException or KeyNotFoundException)
        {
            CliOutput.Error(r, $"--kek-file: {e.Message}");
            return ExitCodes.BadArguments;
        }
    }
}
