using System.CommandLine;
using M2MSec.Cli.Internal;
using M2MSec.Ota.Scp80;
using M2MSec.Ota.SmsPp;

namespace M2MSec.Cli.Commands;

/// <summary>
/// `m2msec ota wrap|unwrap-por|unwrap-command|wrap-por`: SCP80 secured packets (TS 102 225,
/// TS 31.115) for debugging real cards. Output is exact and deterministic; the option names and
/// JSON fields are a public contract.
/// </summary>
internal static class OtaCommand
{
    public static Command Create()
    {
        var command = new Command("ota", "UICC OTA secured packets (SCP80)");
        command.Subcommands.Add(Wrap());
        command.Subcommands.Add(UnwrapPor());
        command.Subcommands.Add(UnwrapCommand());
        command.Subcommands.Add(WrapPor());
        command.Subcommands.Add(OtaCardCommand.Create());
        return command;
    }

    private sealed class Common
    {
        public Option<byte[]> Spi { get; } = CliArgs.Hex("--spi", 2, "Security Parameter Indicator");
        public Option<byte[]> Kic { get; } = CliArgs.Hex("--kic", 1, "KIc: ciphering algorithm and key index");
        public Option<byte[]> Kid { get; } = CliArgs.Hex("--kid", 1, "KID: integrity algorithm and key index");
        public Option<byte[]> KicKey { get; } = CliArgs.HexRange("--kic-key", 8, 32, "ciphering key (8, 16, 24 or 32 octets)");
        public Option<byte[]> KidKey { get; } = CliArgs.HexRange("--kid-key", 8, 32, "integrity key (8, 16, 24 or 32 octets)");
        public Option<bool> Json { get; } = CliArgs.Flag("--json", "print one JSON object");

        public void AddTo(Command c)
        {
            foreach (var o in new Option[] { Spi, Kic, Kid, KicKey, KidKey, Json })
                c.Options.Add(o);
        }

        public Scp80Keys Keys(ParseResult r) => new(r.GetValue(KicKey) ?? [], r.GetValue(KidKey) ?? []);
    }

    private static Command Wrap()
    {
        var c = new Command("wrap", "Build a command packet (from CPL onwards), its SMS user data and SMS-DELIVER TPDUs");
        var o = new Common();
        o.AddTo(c);
        var tar = CliArgs.Hex("--tar", 3, "Toolkit Application Reference");
        var cntr = CliArgs.Hex("--cntr", 5, "counter CNTR");
        var data = CliArgs.HexRange("--data", 0, 65000, "secured data (C-APDUs)");
        var originator = CliArgs.Text("--originator", "TP-OA digits of the SMS-DELIVER (default 0000)", "digits");
        var timestamp = CliArgs.Hex("--timestamp", 7, "TP-SCTS, semi-octets as sent (default 00000000000000)");
        var reference = CliArgs.Int("--concat-ref", "concatenation reference when the packet needs several messages", 0, 255, 0);
        foreach (var option in new Option[] { tar, cntr, data, originator, timestamp, reference })
            c.Options.Add(option);
        CliArgs.Required(c, o.Spi, o.Kic, o.Kid, tar, cntr, data);
        c.Validators.Add(r =>
        {
            if (r.GetValue(originator) is { } oa && (oa.Length is 0 or > 20 || !oa.All(char.IsAsciiDigit)))
                r.AddError($"--originator: expected 1 to 20 digits, got {oa.Length} characters");
        });
        c.SetAction(r => Guard(r, () =>
        {
            var packet = new CommandPacket(Spi.Decode(r.GetRequiredValue(o.Spi)), r.GetRequiredValue(o.Kic)[0], r.GetRequiredValue(o.Kid)[0],
                r.GetRequiredValue(tar), ReadCounter(r.GetRequiredValue(cntr)), r.GetRequiredValue(data));
            var bytes = CommandPacketCodec.Encode(packet, o.Keys(r));
            var oa = new AddressField(r.GetValue(originator) ?? "0000", AddressField.TonUnknown, AddressField.NpiIsdn);
            var tpdus = OtaSms.CommandTpdus(bytes, oa, CliArgs.Optional(r, timestamp) ?? new byte[7], (byte)r.GetValue(reference));
            if (!r.GetValue(o.Json))
            {
                r.InvocationConfiguration.Output.WriteLine(CliOutput.Hex(bytes));
                return ExitCodes.Success;
            }
            CliOutput.Write(r, true,
            [
                new("packet", CliOutput.Hex(bytes)),
                new("sms_ud", CliOutput.Hex(OtaSms.CommandUserData(bytes))),
                new("tpdus", tpdus.Select(t => CliOutput.Hex(t)).ToArray()),
            ]);
            return ExitCodes.Success;
        }));
        return c;
    }

    private static Command UnwrapPor()
    {
        var c = new Command("unwrap-por", "Check and open a PoR (SMS user data with its UDH); exit 1 if it does not verify");
        var o = new Common();
        o.AddTo(c);
        var ud = CliArgs.HexRange("--ud", 3, 65000, "the PoR's SMS user data, UDH included");
        var expectTar = CliArgs.Hex("--expect-tar", 3, "TAR the PoR must answer");
        var expectCntr = CliArgs.Hex("--expect-cntr", 5, "CNTR the PoR must answer");
        foreach (var option in new Option[] { ud, expectTar, expectCntr })
            c.Options.Add(option);
        CliArgs.Required(c, o.Spi, o.Kic, o.Kid, ud);
        c.SetAction(r => Guard(r, () =>
        {
            var userData = r.GetRequiredValue(ud);
            int consumed;
            try
            {
                var ies = UserDataHeader.Decode(userData, out consumed);
                if (!ies.Any(e => e.Iei == UserDataHeader.ResponsePacket))
                    return Refuse(r, "no response packet element (IEI '71') in the UDH");
            }
            catch (FormatException e)
            {
                return Refuse(r, e.Message);
            }
            var result = ResponsePacketCodec.Open(userData.AsSpan(consumed), Spi.Decode(r.GetRequiredValue(o.Spi)), r.GetRequiredValue(o.Kic)[0], r.GetRequiredValue(o.Kid)[0],
                o.Keys(r), userData.AsSpan(0, consumed), CliArgs.Optional(r, expectTar), CliArgs.Optional(r, expectCntr) is { } ec ? ReadCounter(ec) : null);
            if (!result.IsOk)
                return Refuse(r, result.Failure!);
            var p = result.Packet!;
            CliOutput.Write(r, r.GetValue(o.Json),
            [
                new("status", ((byte)p.Status).ToString("x2", System.Globalization.CultureInfo.InvariantCulture)),
                new("status_name", p.Status.ToString()),
                new("tar", CliOutput.Hex(p.Tar)),
                new("cntr", p.Counter.ToString("x10", System.Globalization.CultureInfo.InvariantCulture)),
                new("data", CliOutput.Hex(p.AdditionalData)),
            ]);
            return ExitCodes.Success;
        }));
        return c;
    }

    private static Command UnwrapCommand()
    {
        var c = new Command("unwrap-command", "Open a command packet as the card does; exit 1 with the PoR status if it is refused");
        var kicKey = CliArgs.HexRange("--kic-key", 8, 32, "ciphering key");
        var kidKey = CliArgs.HexRange("--kid-key", 8, 32, "integrity key");
        var packet = CliArgs.HexRange("--packet", 3, 65000, "the command packet from CPL onwards");
        var json = CliArgs.Flag("--json", "print one JSON object");
        foreach (var option in new Option[] { kicKey, kidKey, packet, json })
            c.Options.Add(option);
        CliArgs.Required(c, packet);
        c.SetAction(r => Guard(r, () =>
        {
            CommandOpenResult result;
            try
            {
                result = CommandPacketCodec.Open(r.GetRequiredValue(packet), new Scp80Keys(r.GetValue(kicKey) ?? [], r.GetValue(kidKey) ?? []));
            }
            catch (Scp80FormatException e)
            {
                return Refuse(r, e.Message);
            }
            if (!result.IsOk)
                return Refuse(r, $"{result.Reason} (PoR status {(byte)result.Status:x2} {result.Status})");
            var p = result.Packet!;
            CliOutput.Write(r, r.GetValue(json),
            [
                new("spi", CliOutput.Hex(p.Spi.Encode())),
                new("kic", p.Kic.ToString("x2", System.Globalization.CultureInfo.InvariantCulture)),
                new("kid", p.Kid.ToString("x2", System.Globalization.CultureInfo.InvariantCulture)),
                new("tar", CliOutput.Hex(p.Tar)),
                new("cntr", p.Counter.ToString("x10", System.Globalization.CultureInfo.InvariantCulture)),
                new("data", CliOutput.Hex(p.SecuredData)),
            ]);
            return ExitCodes.Success;
        }));
        return c;
    }

    private static Command WrapPor()
    {
        var c = new Command("wrap-por", "Build a PoR as the card does (SMS user data with UDH 02 71 00)");
        var o = new Common();
        o.AddTo(c);
        var tar = CliArgs.Hex("--tar", 3, "TAR of the command answered");
        var cntr = CliArgs.Hex("--cntr", 5, "CNTR of the command answered");
        var status = CliArgs.Hex("--status", 1, "response status code (00 = PoR OK)");
        var data = CliArgs.HexRange("--data", 0, 65000, "additional response data");
        foreach (var option in new Option[] { tar, cntr, status, data })
            c.Options.Add(option);
        CliArgs.Required(c, o.Spi, o.Kic, o.Kid, tar, cntr, status);
        c.SetAction(r => Guard(r, () =>
        {
            var por = ResponsePacketCodec.Encode(
                new ResponsePacket(r.GetRequiredValue(tar), ReadCounter(r.GetRequiredValue(cntr)), (PorStatus)r.GetRequiredValue(status)[0], r.GetValue(data) ?? []),
                Spi.Decode(r.GetRequiredValue(o.Spi)), r.GetRequiredValue(o.Kic)[0], r.GetRequiredValue(o.Kid)[0], o.Keys(r), ResponsePacketCodec.SmsPorHeader);
            byte[] ud = [.. ResponsePacketCodec.SmsPorHeader, .. por];
            if (!r.GetValue(o.Json))
            {
                r.InvocationConfiguration.Output.WriteLine(CliOutput.Hex(ud));
                return ExitCodes.Success;
            }
            CliOutput.Write(r, true, [new("packet", CliOutput.Hex(por)), new("sms_ud", CliOutput.Hex(ud))]);
            return ExitCodes.Success;
        }));
        return c;
    }

    private static ulong ReadCounter(byte[] cntr) => cntr.Aggregate(0UL, (v, b) => v << 8 | b);

    private static int Refuse(ParseResult r, string reason)
    {
        CliOutput.Error(r, reason);
        return ExitCodes.SecurityRefused;
    }

    /// <summary>A key that does not fit its algorithm, or a packet the SPI cannot express, is a bad argument.</summary>
    private static int Guard(ParseResult r, Func<int> action)
    {
        try
        {
            return action();
        }
        catch (Exception e) when (e is ArgumentException or NotSupportedException)
        {
            CliOutput.Error(r, $"--kic-key/--kid-key/--spi: {e.Message}");
            return ExitCodes.BadArguments;
        }
    }
}
