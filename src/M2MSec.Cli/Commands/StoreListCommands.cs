using System.CommandLine;
using System.Globalization;
using M2MSec.Cli.Internal;

namespace M2MSec.Cli.Commands;

/// <summary>
/// `m2msec dm account list` and `m2msec ota card list`: what a store holds, never a secret (the store lists
/// accounts and key sets without unwrapping a password or a key). Issue 14 item 9.
/// </summary>
internal static class StoreListCommands
{
    public static Command DmAccountList()
    {
        var list = new Command("list", "The DM accounts in the store: DevId, ServerID, user, auth schemes — never a password");
        var store = new StoreArgs();
        var json = CliArgs.Flag("--json", "print one JSON object (snake_case fields)");
        store.AddTo(list);
        list.Options.Add(json);
        CliArgs.Required(list, store.Data);
        list.SetAction((r, ct) => store.RunAsync(r, async state =>
        {
            var accounts = await state.Dm.ListAccountsAsync(ct);
            var rows = accounts.Select(a => new Dictionary<string, object?>
            {
                ["dev_id"] = a.DevId,
                ["server_id"] = a.ServerId,
                ["client_user"] = a.ClientUser,
                ["client_auth"] = a.ClientAuth,
                ["server_auth"] = a.ServerAuth,
                ["created_at"] = a.CreatedAt.ToString("O", CultureInfo.InvariantCulture),
            }).ToArray();
            Print(r, r.GetValue(json), "accounts", rows, "no DM accounts");
            return ExitCodes.Success;
        }, ct));
        return list;
    }

    public static Command OtaCardList()
    {
        var list = new Command("list", "The cards in the store: key sets (KIc/KID, TAR, counter) and SCP81 PSK identities — never a key");
        var store = new StoreArgs();
        var json = CliArgs.Flag("--json", "print one JSON object (snake_case fields)");
        store.AddTo(list);
        list.Options.Add(json);
        CliArgs.Required(list, store.Data);
        list.SetAction((r, ct) => store.RunAsync(r, async state =>
        {
            var keySets = await state.OtaKeySets.ListKeySetsAsync(ct);
            var psks = await state.OtaKeySets.ListPskIdentitiesAsync(ct);
            // KIc/KID as on the air (TS 102 225 §5.1.2, §5.1.3): key version in b8..b5, algorithm in b4..b1.
            var rows = keySets.Select(k => new Dictionary<string, object?>
            {
                ["iccid"] = k.Iccid,
                ["key_version"] = k.KeyVersion,
                ["kic"] = ((byte)(k.KeyVersion << 4 | k.KicAlgorithm)).ToString("x2", CultureInfo.InvariantCulture),
                ["kid"] = ((byte)(k.KeyVersion << 4 | k.KidAlgorithm)).ToString("x2", CultureInfo.InvariantCulture),
                ["tar"] = k.Tar,
                ["counter"] = k.Counter.ToString("x10", CultureInfo.InvariantCulture),
                ["psk_identity"] = null,
            }).Concat(psks.Select(p => new Dictionary<string, object?>
            {
                ["iccid"] = p.Iccid,
                ["key_version"] = null,
                ["kic"] = null,
                ["kid"] = null,
                ["tar"] = null,
                ["counter"] = null,
                ["psk_identity"] = p.Identity,
            })).OrderBy(d => (string)d["iccid"]!, StringComparer.Ordinal).ToArray();
            Print(r, r.GetValue(json), "cards", rows, "no cards");
            return ExitCodes.Success;
        }, ct));
        return list;
    }

    /// <summary>JSON: one object with the rows in an array; text: a header and aligned columns ("-" for none).</summary>
    internal static void Print(ParseResult r, bool json, string name, IReadOnlyList<Dictionary<string, object?>> rows, string none)
    {
        var output = r.InvocationConfiguration.Output;
        if (json)
        {
            CliOutput.Write(r, true, [new(name, rows)]);
            return;
        }
        if (rows.Count == 0)
        {
            output.WriteLine(none);
            return;
        }
        var columns = rows[0].Keys.ToList();
        string Cell(object? v) => v?.ToString() ?? "-";
        var widths = columns.Select(c => Math.Max(c.Length, rows.Max(x => Cell(x[c]).Length))).ToList();
        output.WriteLine(string.Join("  ", columns.Select((c, i) => c.PadRight(widths[i]))).TrimEnd());
        foreach (var row in rows)
            output.WriteLine(string.Join("  ", columns.Select((c, i) => Cell(row[c]).PadRight(widths[i]))).TrimEnd());
    }
}
