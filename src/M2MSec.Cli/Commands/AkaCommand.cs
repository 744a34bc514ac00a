using System.CommandLine;
using M2MSec.Aka;
using M2MSec.Cli.Internal;

namespace M2MSec.Cli.Commands;

/// <summary>
/// `m2msec aka vector|auts|resync`: MILENAGE and AKA computations for checking SIMs and cores
/// (TS 35.206, TS 33.102 §6.3). The option names and JSON fields are a public contract.
/// </summary>
internal static class AkaCommand
{
    public static Command Create()
    {
        var command = new Command("aka", "UMTS/EPS AKA computations with MILENAGE (TS 35.206, TS 33.102 §6.3)");
        command.Subcommands.Add(Vector());
        command.Subcommands.Add(Auts());
        command.Subcommands.Add(Resync());
        return command;
    }

    private sealed record KeyOptions(Option<byte[]> K, Option<byte[]> Op, Option<byte[]> Opc, Option<byte[]> Rand, Option<bool> Json);

    private static KeyOptions AddKeyOptions(Command command)
    {
        var o = new KeyOptions(
            CliSecret.Hex("--k", 16, "subscriber key K"),
            CliSecret.Hex("--op", 16, "operator variant OP (OPc is derived)"),
            CliSecret.Hex("--opc", 16, "OPc"),
            CliArgs.Hex("--rand", 16, "RAND"),
            CliArgs.Flag("--json", "print one JSON object"));
        command.Options.Add(o.K);
        command.Options.Add(o.Op);
        command.Options.Add(o.Opc);
        command.Options.Add(o.Rand);
        command.Options.Add(o.Json);
        CliArgs.ExactlyOne(command, o.Op, o.Opc);
        return o;
    }

    private static byte[] Opc(ParseResult r, KeyOptions o)
    {
        if (CliArgs.Optional(r, o.Opc) is { } opc)
            return opc;
        var derived = new byte[16];
        Milenage.Default.ComputeOpc(r.GetRequiredValue(o.K), r.GetRequiredValue(o.Op), derived);
        return derived;
    }

    private static Command Vector()
    {
        var command = new Command("vector", "f1..f5* and AUTN for K, OP/OPc, RAND, SQN, AMF");
        var o = AddKeyOptions(command);
        var sqn = CliArgs.Hex("--sqn", 6, "sequence number SQN");
        var amf = CliArgs.Hex("--amf", 2, "authentication management field AMF");
        command.Options.Add(sqn);
        command.Options.Add(amf);
        CliArgs.Required(command, o.K, o.Rand, sqn, amf);
        command.SetAction(r =>
        {
            var k = r.GetRequiredValue(o.K);
            var opc = Opc(r, o);
            var sqnValue = r.GetRequiredValue(sqn);
            var amfValue = r.GetRequiredValue(amf);
            Milenage.Default.Compute(k, opc, r.GetRequiredValue(o.Rand), sqnValue, amfValue, out var m, includeF5Star: true);
            var autn = new byte[AkaVectors.AutnSize];
            for (var i = 0; i < 6; i++)
                autn[i] = (byte)(sqnValue[i] ^ m.Ak[i]);
            amfValue.CopyTo(autn, 6);
            m.MacA.CopyTo(autn.AsSpan(8));
            CliOutput.Write(r, r.GetValue(o.Json),
            [
                new("opc", CliOutput.Hex(opc)),
                new("mac_a", CliOutput.Hex(m.MacA)),
                new("mac_s", CliOutput.Hex(m.MacS)),
                new("res", CliOutput.Hex(m.Res)),
                new("ck", CliOutput.Hex(m.Ck)),
                new("ik", CliOutput.Hex(m.Ik)),
                new("ak", CliOutput.Hex(m.Ak)),
                new("ak_star", CliOutput.Hex(m.AkStar)),
                new("autn", CliOutput.Hex(autn)),
            ]);
            m.Clear();
            return ExitCodes.Success;
        });
        return command;
    }

    private static Command Auts()
    {
        var command = new Command("auts", "AUTS = SQN_MS ⊕ AK* || MAC-S, as a USIM sends on a synchronisation failure (§6.3.3)");
        var o = AddKeyOptions(command);
        var sqnMs = CliArgs.Hex("--sqn-ms", 6, "the USIM's SQN_MS");
        command.Options.Add(sqnMs);
        CliArgs.Required(command, o.K, o.Rand, sqnMs);
        command.SetAction(r =>
        {
            var auts = AkaVectors.ComputeAuts(Milenage.Default, r.GetRequiredValue(o.K), Opc(r, o), r.GetRequiredValue(o.Rand),
                Sqn.Read(r.GetRequiredValue(sqnMs)));
            CliOutput.Write(r, r.GetValue(o.Json), [new("auts", CliOutput.Hex(auts))]);
            return ExitCodes.Success;
        });
        return command;
    }

    private static Command Resync()
    {
        var command = new Command("resync", "Recover SQN_MS from AUTS and verify MAC-S, as the HE does (§6.3.5); exit 1 if MAC-S fails");
        var o = AddKeyOptions(command);
        var auts = CliArgs.Hex("--auts", AkaVectors.AutsSize, "AUTS from the USIM");
        command.Options.Add(auts);
        CliArgs.Required(command, o.K, o.Rand, auts);
        command.SetAction(r =>
        {
            if (!AkaVectors.TryVerifyAuts(Milenage.Default, r.GetRequiredValue(o.K), Opc(r, o), r.GetRequiredValue(o.Rand),
                    r.GetRequiredValue(auts), out var sqnMs))
            {
                CliOutput.Error(r, "--auts: MAC-S does not verify (wrong K, OPc, RAND or a forged AUTS)");
                return ExitCodes.SecurityRefused;
            }
            CliOutput.Write(r, r.GetValue(o.Json), [new("sqn_ms", CliOutput.Hex(Sqn.ToBytes(sqnMs)))]);
            return ExitCodes.Success;
        });
        return command;
    }
}
