using System.CommandLine;
using M2MSec.Cli.Internal;
using M2MSec.Ota.Scp80;
using M2MSec.Storage;
using M2MSec.Storage.Ota;

namespace M2MSec.Cli.Commands;

/// <summary>`m2msec ota card add`: registers a card's SCP80 key set in the OTA server's store (keys encrypted at rest).</summary>
internal static class OtaCardCommand
{
    public static Command Create()
    {
        var card = new Command("card", "Cards the OTA server administers");
        var add = new Command("add", "Register a card's key set (KIc/KID give algorithm and key version)");
        var iccid = CliArgs.Text("--iccid", "the card's ICCID", "10 to 20 digits");
        var tar = CliArgs.Hex("--tar", 3, "TAR the key set serves");
        var kic = CliArgs.Hex("--kic", 1, "KIc");
        var kid = CliArgs.Hex("--kid", 1, "KID");
        var kicKey = CliArgs.HexRange("--kic-key", 8, 32, "ciphering key");
        var kidKey = CliArgs.HexRange("--kid-key", 8, 32, "integrity key");
        var store = new StoreArgs();
        foreach (var o in new Option[] { iccid, tar, kic, kid, kicKey, kidKey })
            add.Options.Add(o);
        store.AddTo(add);
        CliArgs.Required(add, iccid, tar, kic, kid, kicKey, kidKey, store.Data);
        add.Validators.Add(r =>
        {
            if (r.GetValue(iccid) is { } i && (i.Length is < 10 or > 20 || !i.All(char.IsAsciiDigit)))
                r.AddError($"--iccid: expected 10 to 20 digits, got {i.Length} characters");
        });
        add.SetAction(async (r, ct) =>
        {
            var kicByte = r.GetRequiredValue(kic)[0];
            var kidByte = r.GetRequiredValue(kid)[0];
            var kvn = KeyIdentifier.KeyIndex(kicByte);
            if (kvn == 0 || KeyIdentifier.KeyIndex(kidByte) != kvn)
            {
                CliOutput.Error(r, "--kic/--kid: expected the same key version 1..15 in both");
                return ExitCodes.BadArguments;
            }
            try
            {
                await using var state = await store.Read(r, "").OpenAsync(createKeyRing: true, cancellationToken: ct);
                var added = await state.OtaKeySets.AddAsync(new OtaKeySet(r.GetRequiredValue(iccid), kvn, (byte)(kicByte & 0x0F), r.GetRequiredValue(kicKey),
                    (byte)(kidByte & 0x0F), r.GetRequiredValue(kidKey), Convert.ToHexStringLower(r.GetRequiredValue(tar))), 0, ct);
                if (!added)
                {
                    CliOutput.Error(r, $"--iccid: card {r.GetRequiredValue(iccid)} already has key set {kvn}");
                    return ExitCodes.BadArguments;
                }
                await state.Audit.AppendAsync("cli", "ota.card.add", r.GetRequiredValue(iccid), $"key set {kvn}", ct);
                r.InvocationConfiguration.Output.WriteLine($"card {r.GetRequiredValue(iccid)}: key set {kvn} registered ({state.Description})");
                return ExitCodes.Success;
            }
            catch (StoreException e)
            {
                CliOutput.Error(r, e.Message);
                return ExitCodes.BadArguments;
            }
        });
        card.Subcommands.Add(add);
        return card;
    }
}
