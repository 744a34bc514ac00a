namespace M2MSec.Ota.SmsPp;

/// <summary>
/// Secured packets over SMS-PP (TS 31.115 §4, §6): a command packet rides in the user data
/// after a header with IEI '70'; when it does not fit one message it is split into concatenated
/// messages (IEI '00'), the '70' element in the first segment only. A PoR rides after IEI '71'.
/// </summary>
public static class OtaSms
{
    /// <summary>The longest command packet 255 concatenated messages carry (first segment 132 octets, later ones 134).</summary>
    public const int MaxCommandPacket = SmsDeliver.MaxUserData - 8 + 254 * (SmsDeliver.MaxUserData - 6);

    /// <summary>The user data of a single-message command: 02 70 00 ‖ packet.</summary>
    public static byte[] CommandUserData(ReadOnlySpan<byte> commandPacket) => [0x02, UserDataHeader.CommandPacket, 0x00, .. commandPacket];

    /// <summary>The SMS-DELIVER TPDUs that carry <paramref name="commandPacket"/> (one, or concatenated).</summary>
    public static IReadOnlyList<byte[]> CommandTpdus(ReadOnlySpan<byte> commandPacket, AddressField originator, byte[] scts, byte concatReference)
    {
        var single = CommandUserData(commandPacket);
        if (single.Length <= SmsDeliver.MaxUserData)
            return [new SmsDeliver(originator, SmsDeliver.PidSimDataDownload, SmsDeliver.DcsClass2EightBit, scts, single, true).Encode()];

        // First segment: UDHL 7 = concatenation (5) + command packet IE (2); later ones: UDHL 5.
        var firstRoom = SmsDeliver.MaxUserData - 8;
        var laterRoom = SmsDeliver.MaxUserData - 6;
        var rest = commandPacket.Length - firstRoom;
        var total = 1 + (rest + laterRoom - 1) / laterRoom;
        if (total > 255)
            throw new ArgumentException("The packet needs more than 255 messages.");
        var tpdus = new List<byte[]>();
        var offset = 0;
        for (var seq = 1; seq <= total; seq++)
        {
            var room = seq == 1 ? firstRoom : laterRoom;
            var chunk = commandPacket.Slice(offset, Math.Min(room, commandPacket.Length - offset));
            offset += chunk.Length;
            List<InformationElement> ies = [new(UserDataHeader.Concatenation8Bit, [concatReference, (byte)total, (byte)seq])];
            if (seq == 1)
                ies.Add(new(UserDataHeader.CommandPacket, []));
            byte[] ud = [.. UserDataHeader.Encode(ies), .. chunk];
            tpdus.Add(new SmsDeliver(originator, SmsDeliver.PidSimDataDownload, SmsDeliver.DcsClass2EightBit, scts, ud, true, seq < total).Encode());
        }
        return tpdus;
    }

    /// <summary>Reassembles a command packet from its SMS-DELIVER TPDUs (any order); throws <see cref="FormatException"/>.</summary>
    public static byte[] CommandPacketFrom(IEnumerable<byte[]> tpdus)
    {
        var parts = new SortedDictionary<int, byte[]>();
        int? total = null, reference = null;
        var sawCommandIe = false;
        foreach (var tpdu in tpdus)
        {
            var sms = SmsDeliver.Decode(tpdu);
            if (!sms.UserDataHeader)
                throw new FormatException("an OTA message carries a user-data header");
            var ies = UserDataHeader.Decode(sms.UserData, out var consumed);
            var body = sms.UserData[consumed..];
            sawCommandIe |= ies.Any(e => e.Iei == UserDataHeader.CommandPacket);
            var concat = ies.FirstOrDefault(e => e.Iei == UserDataHeader.Concatenation8Bit);
            if (concat is null)
            {
                if (parts.Count > 0 || total is not null)
                    throw new FormatException("a single message mixed with concatenated ones");
                parts[1] = body;
                total = 1;
                continue;
            }
            if (concat.Value.Length != 3 || concat.Value[1] == 0 || concat.Value[2] == 0 || concat.Value[2] > concat.Value[1])
                throw new FormatException("malformed concatenation element");
            if ((total ?? concat.Value[1]) != concat.Value[1] || (reference ?? concat.Value[0]) != concat.Value[0])
                throw new FormatException("segments of different concatenated messages");
            total = concat.Value[1];
            reference = concat.Value[0];
            if (!parts.TryAdd(concat.Value[2], body))
                throw new FormatException($"segment {concat.Value[2]} twice");
        }
        if (!sawCommandIe)
            throw new FormatException("no command packet element (IEI '70')");
        if (total is null || parts.Count != total)
            throw new FormatException($"{parts.Count} of {total ?? 0} segments");
        return [.. parts.Values.SelectMany(p => p)];
    }

    /// <summary>
    /// The ENVELOPE (SMS-PP download) the ME hands the UICC (TS 31.111 §7.1.1.2): tag 'D1', device
    /// identities network → UICC, optional SC address, the SMS TPDU.
    /// </summary>
    public static byte[] SmsPpDownloadEnvelope(ReadOnlySpan<byte> tpdu, AddressField? serviceCentre = null)
    {
        byte[] content = [0x82, 0x02, 0x83, 0x81];
        if (serviceCentre is not null)
        {
            var sc = serviceCentre.Encode()[1..]; // TON/NPI + digits, without the length-in-digits octet
            content = [.. content, 0x86, (byte)sc.Length, .. sc];
        }
        content = [.. content, 0x8B, .. BerLength(tpdu.Length), .. tpdu];
        return [0xD1, .. BerLength(content.Length), .. content];
    }

    /// <summary>Extracts the SMS TPDU from an SMS-PP download ENVELOPE; throws <see cref="FormatException"/>.</summary>
    public static byte[] TpduFromEnvelope(ReadOnlySpan<byte> envelope)
    {
        if (envelope.Length < 2 || envelope[0] != 0xD1)
            throw new FormatException("not an SMS-PP download ENVELOPE (tag 'D1')");
        var body = envelope[1..];
        var length = ReadBerLength(ref body);
        if (length != body.Length)
            throw new FormatException("ENVELOPE length does not match its content");
        while (!body.IsEmpty)
        {
            var tag = (byte)(body[0] & 0x7F);
            body = body[1..];
            var l = ReadBerLength(ref body);
            if (l > body.Length)
                throw new FormatException($"ENVELOPE: TLV '{tag:X2}' runs past the end");
            if (tag == 0x0B)
                return body[..l].ToArray();
            body = body[l..];
        }
        throw new FormatException("ENVELOPE carries no SMS TPDU (tag '0B')");
    }

    private static int ReadBerLength(ref ReadOnlySpan<byte> s)
    {
        if (s.IsEmpty)
            throw new FormatException("BER-TLV: missing length");
        if (s[0] < 0x80)
        {
            var l = s[0];
            s = s[1..];
            return l;
        }
        if (s[0] != 0x81 || s.Length < 2)
            throw new FormatException("BER-TLV: unsupported length");
        var v = s[1];
        s = s[2..];
        return v;
    }

    private static byte[] BerLength(int length) => length < 0x80 ? [(byte)length] : [0x81, (byte)length];
}
