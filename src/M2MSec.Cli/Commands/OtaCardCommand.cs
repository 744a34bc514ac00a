using System.CommandLine;
using M2MSec.Cli.Internal;
using M2MSec.Ota.Scp80;
using M2MSec.Storage;
using M2MSec.Storage.Ota;

namespace M2MSec.Cli.Commands;

/// <summary>
/// `m2msec ota card add`: registers a card's SCP80 key set and/or SCP81 PSK in the OTA server's store (keys encrypted at rest), with
/// --imsi its ICCID–IMSI link (the console lists the device by it) — all in one transaction, as POST /cards does.
/// </summary>
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
        var kicKey = CliSecret.HexRange("--kic-key", 8, 32, "ciphering key");
        var kidKey = CliSecret.HexRange("--kid-key", 8, 32, "integrity key");
        var pskIdentity = CliArgs.Text("--psk-identity", "SCP81 PSK-TLS identity of the card", "a text");
        var psk = CliSecret.HexRange("--psk", 16, 32, "SCP81 pre-shared key");
        var imsi = CliArgs.Text("--imsi", "the IMSI of the card's USIM (linked to the ICCID, as the console lists the device)", "6 to 15 digits");
        var store = new StoreArgs(createsStore: true);
        var json = CliArgs.Flag("--json", "print one JSON object (snake_case fields, never a key)");
        foreach (var o in new Option[] { iccid, tar, kic, kid, kicKey, kidKey, pskIdentity, psk, imsi, json })
            add.Options.Add(o);
        store.AddTo(add);
        CliArgs.Required(add, iccid, store.Data);
        add.Validators.Add(r =>
        {
            var scp80 = new Option[] { tar, kic, kid, kicKey, kidKey }.Count(o => r.GetResult(o) is not null);
            if (scp80 is not (0 or 5))
                r.AddError("--tar/--kic/--kid/--kic-key/--kid-key: expected all five (an SCP80 key set) or none");
            if ((r.GetResult(pskIdentity) is null) != (r.GetResult(psk) is null))
                r.AddError("--psk-identity/--psk: expected both or neither");
            if (scp80 == 0 && r.GetResult(psk) is null)
                r.AddError("--iccid: expected an SCP80 key set (--tar --kic --kid --kic-key --kid-key) and/or an SCP81 PSK (--psk-identity --psk)");
        });
        add.Validators.Add(r =>
        {
            if (r.GetValue(iccid) is { } i && (i.Length is < 10 or > 20 || !i.All(char.IsAsciiDigit)))
                r.AddError($"--iccid: expected 10 to 20 digits, got {i.Length} characters");
            // TS 23.003 §2.2: MCC (3 digits), MNC (2 or 3), MSIN — at most 15 digits; as POST /cards checks it.
            if (r.GetValue(imsi) is { } m && (m.Length is < 6 or > 15 || !m.All(char.IsAsciiDigit)))
                r.AddError($"--imsi: expected 6 to 15 digits (TS 23.003 §2.2), got {m.Length} characters");
        });
        add.SetAction(async (r, ct) =>
        {
            var hasScp80 = r.GetResult(kic) is not null;
            var kicByte = hasScp80 ? r.GetRequiredValue(kic)[0] : (byte)0;
            var kidByte = hasScp80 ? r.GetRequiredValue(kid)[0] : (byte)0;
            var kvn = KeyIdentifier.KeyIndex(kicByte);
            if (hasScp80 && (kvn == 0 || KeyIdentifier.KeyIndex(kidByte) != kvn))
            {
                CliOutput.Error(r, "--kic/--kid: expected the same key version 1..15 in both");
                return ExitCodes.BadArguments;
            }
            if (hasScp80)
            {
                // The OTA server ciphers with KIc and computes a cryptographic checksum with KID: both must be algorithms it runs.
                var cipher = KeyIdentifier.Cipher(kicByte);
                if (!KeyIdentifier.IsImplemented(cipher))
                    throw CliExitException.Bad($"--kic: '{kicByte:x2}' {OtaCommand.Unusable(cipher.ToString(), kicByte)} (TS 102 225 §5.1.2)");
                OtaCommand.CheckKey(r.GetValue(kicKey), "--kic-key", KeyIdentifier.KeyLengths(cipher), $"{cipher} (KIc '{kicByte:x2}')");
                var checksum = KeyIdentifier.Checksum(kidByte, IntegrityMode.CryptographicChecksum);
                if (!KeyIdentifier.IsImplemented(checksum))
                    throw CliExitException.Bad($"--kid: '{kidByte:x2}' {OtaCommand.Unusable(checksum.ToString(), kidByte)} for a cryptographic checksum (TS 102 225 §5.1.3)");
                OtaCommand.CheckKey(r.GetValue(kidKey), "--kid-key", KeyIdentifier.KeyLengths(checksum), $"{checksum} (KID '{kidByte:x2}')");
            }
            try
            {
                await using var state = await store.OpenAsync(r, "", ct);
                var card = r.GetRequiredValue(iccid);
                var identity = r.GetValue(pskIdentity);
                var tarHex = hasScp80 ? Convert.ToHexStringLower(r.GetRequiredValue(tar)) : null;
                // The PSK, the key set and the ICCID–IMSI link in one transaction: a conflict or a crash leaves none of them.
                var outcome = await state.OtaKeySets.AddCardAsync(new OtaCardRegistration(card,
                    hasScp80 ? new OtaKeySet(card, kvn, (byte)(kicByte & 0x0F), r.GetRequiredValue(kicKey), (byte)(kidByte & 0x0F), r.GetRequiredValue(kidKey), tarHex) : null,
                    identity, identity is null ? null : r.GetRequiredValue(psk), r.GetValue(imsi), M2MSec.NetworkFunctions.Ota.OtaServerFunction.UiccDeviceKind, "card-registered"), ct);
                switch (outcome)
                {
                    case OtaCardAddOutcome.PskIdentityExists:
                        CliOutput.Error(r, $"--psk-identity: {identity} is already registered; nothing was added");
                        return ExitCodes.BadArguments;
                    case OtaCardAddOutcome.KeySetExists:
                        CliOutput.Error(r, $"--iccid: card {card} already has key set {kvn}; nothing was added");
                        return ExitCodes.BadArguments;
                }
                var added = string.Join(", ", new[] { hasScp80 ? $"key set {kvn}" : null, identity is null ? null : $"SCP81 PSK identity {identity}",
                    r.GetValue(imsi) is { } linked ? $"imsi {linked}" : null }.OfType<string>());
                await state.Audit.AppendAsync("cli", "ota.card.add", card, added, ct);
                var fields = new List<KeyValuePair<string, object?>> { new("iccid", card) };
                if (identity is not null)
                    fields.Add(new("psk_identity", identity));
                if (r.GetValue(imsi) is { } i)
                    fields.Add(new("imsi", i));
                if (hasScp80)
                {
                    fields.AddRange([new("key_version", kvn), new("tar", tarHex), new("kic", kicByte.ToString("x2", System.Globalization.CultureInfo.InvariantCulture)),
                        new("kid", kidByte.ToString("x2", System.Globalization.CultureInfo.InvariantCulture))]);
                }
                if (r.GetValue(json))
                    CliOutput.Write(r, true, fields);
                else
                    r.InvocationConfiguration.Output.WriteLine($"card {card}: {added} registered ({state.Description})");
                return ExitCodes.Success;
            }
            catch (StoreException e)
            {
                CliOutput.Error(r, e.Message);
                return ExitCodes.BadArguments;
            }
        });
        card.Subcommands.Add(add);
        card.Subcommands.Add(StoreListCommands.OtaCardList());
        return card;
    }
}
