using System.CommandLine;
using M2MSec.Aka;
using M2MSec.Cli.Internal;

namespace M2MSec.Cli.Commands;

/// <summary>
/// `m2msec kdf ks-naf|ks-ext-naf|ks-int-naf`: the GBA NAF keys (TS 33.220 §4.5.2, §5.3.2, Annex B.3); issue 18 added the
/// GBA_U pair, same options, JSON fields <c>ks_ext_naf</c> / <c>ks_int_naf</c>.
/// </summary>
internal static class KdfCommand
{
    private delegate byte[] NafKeyDerivation(ReadOnlySpan<byte> ck, ReadOnlySpan<byte> ik, ReadOnlySpan<byte> rand, string impi, ReadOnlySpan<byte> nafId);

    public static Command Create()
    {
        var command = new Command("kdf", "3GPP key derivations (TS 33.220 Annex B)");
        command.Subcommands.Add(NafKey("ks-naf", "Ks_NAF = KDF(CK || IK, \"gba-me\", RAND, IMPI, NAF_Id) (GBA_ME)", "ks_naf", GbaKeys.KsNaf));
        command.Subcommands.Add(NafKey("ks-ext-naf", "Ks_ext_NAF = KDF(CK || IK, \"gba-me\", RAND, IMPI, NAF_Id) (GBA_U, the key the ME gets)", "ks_ext_naf",
            GbaKeys.KsNaf));
        command.Subcommands.Add(NafKey("ks-int-naf", "Ks_int_NAF = KDF(CK || IK, \"gba-u\", RAND, IMPI, NAF_Id) (GBA_U, kept in the UICC)", "ks_int_naf",
            GbaKeys.KsIntNaf));
        return command;
    }

    private static Command NafKey(string name, string description, string field, NafKeyDerivation derive)
    {
        var command = new Command(name, description);
        var ck = CliSecret.Hex("--ck", 16, "cipher key CK");
        var ik = CliSecret.Hex("--ik", 16, "integrity key IK");
        var rand = CliArgs.Hex("--rand", 16, "RAND of the bootstrapping run");
        var impi = CliArgs.Text("--impi", "IMS private identity, e.g. 001010000000001@ims.mnc001.mcc001.3gppnetwork.org", "an IMPI");
        var nafId = CliArgs.HexRange("--naf-id", GbaKeys.UaProtocolIdSize + 1, 1024,
            "NAF_Id = the NAF FQDN octets || the 5-octet Ua security protocol identifier");
        var json = CliArgs.Flag("--json", "print one JSON object");
        foreach (var option in new Option[] { ck, ik, rand, impi, nafId, json })
            command.Options.Add(option);
        CliArgs.Required(command, ck, ik, rand, impi, nafId);
        command.SetAction(r =>
        {
            var impiValue = r.GetRequiredValue(impi);
            if (impiValue.Length == 0)
            {
                CliOutput.Error(r, "--impi: expected an IMPI, got an empty string");
                return ExitCodes.BadArguments;
            }
            var key = derive(r.GetRequiredValue(ck), r.GetRequiredValue(ik), r.GetRequiredValue(rand), impiValue, r.GetRequiredValue(nafId));
            CliOutput.Write(r, r.GetValue(json), [new(field, CliOutput.Hex(key))]);
            return ExitCodes.Success;
        });
        return command;
    }
}
