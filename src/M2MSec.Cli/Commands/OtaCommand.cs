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
        command.Subcommands.Add(OtaJobCommand.Create());
        return command;
    }

    private sealed class Common
    {
        public Option<byte[]> Spi { get; } = CliArgs.Hex("--spi", 2, "Security Parameter Indicator");
        public Option<byte[]> Kic { get; } = CliArgs.Hex("--kic", 1, "KIc: ciphering algorithm and key index");
        public Option<byte[]> Kid { get; } = CliArgs.Hex("--kid", 1, "KID: integrity algorithm and key index");
        public Option<byte[]> KicKey { get; } = CliSecret.HexRange("--kic-key", 8, 32, "ciphering key (8, 16, 24 or 32 octets)");
        public Option<byte[]> KidKey { get; } = CliSecret.HexRange("--kid-key", 8, 32, "integrity key (8, 16, 24 or 32 octets)");
        public Option<bool> Json { get; } = CliArgs.Flag("--json", "print one JSON object");

        public void AddTo(Command c)
        {
            foreach (var o in new Option[] { Spi, Kic, Kid, KicKey, KidKey, Json })
                c.Options.Add(o);
        }

        public Scp80Keys Keys(ParseResult r) => new(r.GetValue(KicKey) ?? [], r.GetValue(KidKey) ?? []);

        /// <summary>
        /// Before any codec runs: the KIc names a cipher this tool implements when the SPI ciphers, the KID an integrity
        /// algorithm when it asks for an RC or CC, and each key fits its algorithm — each refusal names its own option.
        /// </summary>
        public void CheckKeys(ParseResult r, bool ciphered, IntegrityMode integrity)
        {
            if (integrity == IntegrityMode.DigitalSignature)
                throw CliExitException.Bad("--spi: a digital signature (integrity b2b1 = 11) is not supported");
            if (ciphered)
            {
                var kic = r.GetRequiredValue(Kic)[0];
                var cipher = KeyIdentifier.Cipher(kic);
                if (!KeyIdentifier.IsImplemented(cipher))
                    throw CliExitException.Bad($"--kic: '{kic:x2}' {Unusable(cipher.ToString(), kic)} (TS 102 225 §5.1.2); the SPI asks for ciphering");
                CheckKey(r.GetValue(KicKey), "--kic-key", KeyIdentifier.KeyLengths(cipher), $"{cipher} (KIc '{kic:x2}')");
            }
            if (integrity is IntegrityMode.RedundancyCheck or IntegrityMode.CryptographicChecksum)
            {
                var kid = r.GetRequiredValue(Kid)[0];
                var checksum = KeyIdentifier.Checksum(kid, integrity);
                if (!KeyIdentifier.IsImplemented(checksum))
                    throw CliExitException.Bad($"--kid: '{kid:x2}' {Unusable(checksum.ToString(), kid)} for a {(integrity == IntegrityMode.RedundancyCheck ? "redundancy check" : "cryptographic checksum")} (TS 102 225 §5.1.3)");
                CheckKey(r.GetValue(KidKey), "--kid-key", KeyIdentifier.KeyLengths(checksum), $"{checksum} (KID '{kid:x2}')");
            }
        }
    }

    /// <summary>What KIc/KID b2b1 (and b4b3) name when it is nothing this tool can run.</summary>
    internal static string Unusable(string algorithm, byte keyIdentifier) => (keyIdentifier & 0x03) switch
    {
        0 => "names an algorithm known implicitly by both entities (b2b1 = 00), which this tool cannot know",
        3 => "names a proprietary algorithm (b2b1 = 11)",
        _ => $"is a reserved coding (b2b1 = {Convert.ToString(keyIdentifier & 0x03, 2).PadLeft(2, '0')}, b4b3 = {Convert.ToString(keyIdentifier >> 2 & 0x03, 2).PadLeft(2, '0')}){(algorithm == "Reserved" ? "" : $" ({algorithm})")}",
    };

    /// <summary>A key given for <paramref name="algorithm"/> has one of its lengths (null: any, a CRC uses none).</summary>
    internal static void CheckKey(byte[]? key, string option, IReadOnlyList<int>? lengths, string algorithm)
    {
        if (lengths is null)
            return;
        var expected = string.Join(" or ", lengths);
        if (key is null)
            throw CliExitException.Bad($"{option}: required for {algorithm}, expected {expected} octets");
        if (!lengths.Contains(key.Length))
            throw CliExitException.Bad($"{option}: {algorithm} takes a key of {expected} octets, got {key.Length}");
    }

    private static Command Wrap()
    {
        var c = new Command("wrap", "Build a command packet (from CPL onwards), its SMS user data and SMS-DELIVER TPDUs");
        var o = new Common();
        o.AddTo(c);
        var tar = CliArgs.Hex("--tar", 3, "Toolkit Application Reference");
        var cntr = CliArgs.Hex("--cntr", 5, "counter CNTR");
        var data = CliArgs.HexRange("--payload", 0, 65000, "secured data (C-APDUs)");
        var dataOld = CliArgs.HiddenAlias(CliArgs.HexRange("--data", 0, 65000, "old name of --payload"));
        var originator = CliArgs.Text("--originator", "TP-OA digits of the SMS-DELIVER (default 0000)", "digits");
        var timestamp = CliArgs.Hex("--timestamp", 7, "TP-SCTS, semi-octets as sent (default 00000000000000)");
        var reference = CliArgs.Int("--concat-ref", "concatenation reference when the packet needs several messages", 0, 255, 0);
        foreach (var option in new Option[] { tar, cntr, data, dataOld, originator, timestamp, reference })
            c.Options.Add(option);
        CliArgs.Required(c, o.Spi, o.Kic, o.Kid, tar, cntr);
        CliArgs.RequiredEither(c, data, dataOld);
        c.Validators.Add(r =>
        {
            if (r.GetValue(originator) is { } oa && (oa.Length is 0 or > 20 || !oa.All(char.IsAsciiDigit)))
                r.AddError($"--originator: expected 1 to 20 digits, got {oa.Length} characters");
        });
        c.SetAction(r => Guard(r, () =>
        {
            var spi = Spi.Decode(r.GetRequiredValue(o.Spi));
            o.CheckKeys(r, spi.Ciphering, spi.Integrity);
            var packet = new CommandPacket(spi, r.GetRequiredValue(o.Kic)[0], r.GetRequiredValue(o.Kid)[0],
                r.GetRequiredValue(tar), ReadCounter(r.GetRequiredValue(cntr)), CliArgs.Either(r, data, dataOld)!);
            var bytes = CommandPacketCodec.Encode(packet, o.Keys(r));
            var oa = new AddressField(r.GetValue(originator) ?? "0000", AddressField.TonUnknown, AddressField.NpiIsdn);
            IReadOnlyList<byte[]> tpdus;
            try
            {
                tpdus = OtaSms.CommandTpdus(bytes, oa, CliArgs.Optional(r, timestamp) ?? new byte[7], (byte)r.GetValue(reference));
            }
            catch (ArgumentException)
            {
                throw CliExitException.Bad($"--payload: the packet ({bytes.Length} octets) needs more than 255 concatenated SMS");
            }
            // Text and JSON name the same fields, as wrap-por's do: the packet (from CPL on), its SMS user data, the TPDUs.
            CliOutput.Write(r, r.GetValue(o.Json),
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
            var spi = Spi.Decode(r.GetRequiredValue(o.Spi));
            o.CheckKeys(r, spi.PorCiphered, spi.PorIntegrity);
            var userData = r.GetRequiredValue(ud);
            int consumed;
            try
            {
                var ies = UserDataHeader.Decode(userData, out consumed);
                if (!ies.Any(e => e.Iei == UserDataHeader.ResponsePacket))
                    throw CliExitException.Bad("--ud: no response packet element (IEI '71') in the UDH");
            }
            catch (FormatException e)
            {
                throw CliExitException.Bad($"--ud: {e.Message}");
            }
            var result = ResponsePacketCodec.Open(userData.AsSpan(consumed), spi, r.GetRequiredValue(o.Kic)[0], r.GetRequiredValue(o.Kid)[0],
                o.Keys(r), userData.AsSpan(0, consumed), CliArgs.Optional(r, expectTar), CliArgs.Optional(r, expectCntr) is { } ec ? ReadCounter(ec) : null);
            if (result.Malformed)
                throw CliExitException.Bad($"--ud: no PoR: {result.Failure}");
            if (!result.IsOk)
                return Refuse(r, result.Failure!);
            var p = result.Packet!;
            CliOutput.Write(r, r.GetValue(o.Json),
            [
                new("status", ((byte)p.Status).ToString("x2", System.Globalization.CultureInfo.InvariantCulture)),
                new("status_name", CliOutput.Name(p.Status)),
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
        var kicKey = CliSecret.HexRange("--kic-key", 8, 32, "ciphering key");
        var kidKey = CliSecret.HexRange("--kid-key", 8, 32, "integrity key");
        var packet = CliArgs.HexRange("--packet", 3, 65000, "the command packet from CPL onwards, or the SMS user data (UDH '70') that `ota wrap --json` prints as sms_ud");
        var json = CliArgs.Flag("--json", "print one JSON object");
        foreach (var option in new Option[] { kicKey, kidKey, packet, json })
            c.Options.Add(option);
        CliArgs.Required(c, packet);
        c.SetAction(r => Guard(r, () =>
        {
            var bytes = CommandPacketOf(r.GetRequiredValue(packet));
            CommandHeader header;
            try
            {
                header = CommandPacketCodec.ReadHeader(bytes);
            }
            catch (Scp80FormatException e)
            {
                throw CliExitException.Bad($"--packet: {e.Message}");
            }
            // The keys must fit what the packet's own KIc/KID name; an algorithm it names that the card cannot run is the card's refusal (a PoR status).
            if (header.Spi.Ciphering && KeyIdentifier.Cipher(header.Kic) is var cipher && KeyIdentifier.IsImplemented(cipher))
                CheckKey(r.GetValue(kicKey), "--kic-key", KeyIdentifier.KeyLengths(cipher), $"{cipher} (the packet's KIc '{header.Kic:x2}')");
            if (header.Spi.Integrity is IntegrityMode.RedundancyCheck or IntegrityMode.CryptographicChecksum
                && KeyIdentifier.Checksum(header.Kid, header.Spi.Integrity) is var checksum && KeyIdentifier.IsImplemented(checksum))
                CheckKey(r.GetValue(kidKey), "--kid-key", KeyIdentifier.KeyLengths(checksum), $"{checksum} (the packet's KID '{header.Kid:x2}')");
            var result = CommandPacketCodec.Open(bytes, new Scp80Keys(r.GetValue(kicKey) ?? [], r.GetValue(kidKey) ?? []));
            if (!result.IsOk)
                return Refuse(r, $"{result.Reason} (PoR status {(byte)result.Status:x2} {CliOutput.Name(result.Status)})");
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

    /// <summary>
    /// The command packet in what --packet holds: the packet itself when its CPL counts exactly the octets after it
    /// (TS 102 225 §5.1.1), else SMS user data whose UDH carries the command packet IEI '70' (TS 31.115 §4.2), as
    /// `ota wrap --json` prints in sms_ud. User data starts with its UDHL, so read as a packet its "CPL" is at least
    /// 0x0270 = 624 and matches its length only by coincidence; the bare reading wins then.
    /// </summary>
    internal static byte[] CommandPacketOf(byte[] input)
    {
        if (input.Length >= 2 && (input[0] << 8 | input[1]) == input.Length - 2)
            return input;
        IReadOnlyList<InformationElement> ies;
        int consumed;
        try
        {
            ies = UserDataHeader.Decode(input, out consumed);
        }
        catch (FormatException)
        {
            return input; // neither: the codec names what is wrong with it as a packet
        }
        if (!ies.Any(e => e.Iei == UserDataHeader.CommandPacket))
            return input;
        if (ies.Any(e => e.Iei == UserDataHeader.Concatenation8Bit))
            throw CliExitException.Bad("--packet: SMS user data of one segment of a concatenated message; give the packet (the json's packet field)");
        return input[consumed..];
    }

    private static Command WrapPor()
    {
        var c = new Command("wrap-por", "Build a PoR as the card does (SMS user data with UDH 02 71 00)");
        var o = new Common();
        o.AddTo(c);
        var tar = CliArgs.Hex("--tar", 3, "TAR of the command answered");
        var cntr = CliArgs.Hex("--cntr", 5, "CNTR of the command answered");
        var status = CliArgs.Hex("--status", 1, "response status code (00 = PoR OK)");
        var data = CliArgs.HexRange("--payload", 0, 65000, "additional response data");
        var dataOld = CliArgs.HiddenAlias(CliArgs.HexRange("--data", 0, 65000, "old name of --payload"));
        foreach (var option in new Option[] { tar, cntr, status, data, dataOld })
            c.Options.Add(option);
        CliArgs.Required(c, o.Spi, o.Kic, o.Kid, tar, cntr, status);
        CliArgs.RequiredEither(c, data, dataOld, required: false);
        c.SetAction(r => Guard(r, () =>
        {
            var spi = Spi.Decode(r.GetRequiredValue(o.Spi));
            o.CheckKeys(r, spi.PorCiphered, spi.PorIntegrity);
            var por = ResponsePacketCodec.Encode(
                new ResponsePacket(r.GetRequiredValue(tar), ReadCounter(r.GetRequiredValue(cntr)), (PorStatus)r.GetRequiredValue(status)[0], CliArgs.Either(r, data, dataOld) ?? []),
                spi, r.GetRequiredValue(o.Kic)[0], r.GetRequiredValue(o.Kid)[0], o.Keys(r), ResponsePacketCodec.SmsPorHeader);
            byte[] ud = [.. ResponsePacketCodec.SmsPorHeader, .. por];
            CliOutput.Write(r, r.GetValue(o.Json), [new("packet", CliOutput.Hex(por)), new("sms_ud", CliOutput.Hex(ud))]);
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

    /// <summary>
    /// The keys and algorithms are checked before the codecs run (<see cref="Common.CheckKeys"/>), naming their option;
    /// what a codec still refuses as a caller mistake is a bad argument too.
    /// </summary>
    private static int Guard(ParseResult r, Func<int> action)
    {
        try
        {
            return action();
        }
        catch (Exception e) when (e is ArgumentException or NotSupportedException)
        {
            CliOutput.Error(r, $"--spi/--kic/--kid/--kic-key/--kid-key/--payload: {(e is ArgumentException a ? a.Message.Replace($" (Parameter '{a.ParamName}')", "", StringComparison.Ordinal) : e.Message)}");
            return ExitCodes.BadArguments;
        }
    }
}
