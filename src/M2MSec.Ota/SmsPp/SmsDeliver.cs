namespace M2MSec.Ota.SmsPp;

/// <summary>
/// An SMS-DELIVER TPDU (TS 23.040 §9.2.2.1): first octet (MTI 00, MMS, UDHI…), originating
/// address, PID, DCS, service-centre time stamp, UDL and user data. For OTA: PID '7F' (USIM data
/// download), DCS 'F6' (8-bit, class 2), UDHI set (TS 31.115 §4).
/// </summary>
public sealed record SmsDeliver(AddressField Originator, byte Pid, byte Dcs, byte[] Scts, byte[] UserData, bool UserDataHeader, bool MoreMessagesToSend = false)
{
    public const byte PidSimDataDownload = 0x7F;
    public const byte DcsClass2EightBit = 0xF6;
    public const int MaxUserData = 140;

    public byte[] Encode()
    {
        if (Scts is not { Length: 7 })
            throw new ArgumentException("SCTS is 7 octets.");
        if (UserData.Length > MaxUserData)
            throw new ArgumentException($"8-bit user data is at most {MaxUserData} octets.");
        // MMS is "more messages to send": 0 when more follow, 1 when none (TS 23.040 §9.2.3.2).
        var first = (byte)((MoreMessagesToSend ? 0 : 0x04) | (UserDataHeader ? 0x40 : 0));
        return [first, .. Originator.Encode(), Pid, Dcs, .. Scts, (byte)UserData.Length, .. UserData];
    }

    public static SmsDeliver Decode(ReadOnlySpan<byte> tpdu)
    {
        if (tpdu.IsEmpty || (tpdu[0] & 0x03) != 0)
            throw new FormatException("not an SMS-DELIVER (TP-MTI)");
        var first = tpdu[0];
        var oa = AddressField.Decode(tpdu[1..], out var n);
        var at = 1 + n;
        if (tpdu.Length < at + 10)
            throw new FormatException("SMS-DELIVER: truncated before the user data");
        var pid = tpdu[at];
        var dcs = tpdu[at + 1];
        var scts = tpdu.Slice(at + 2, 7).ToArray();
        var udl = tpdu[at + 9];
        if ((dcs & 0x0C) != 0x04 && (dcs & 0xF4) != 0xF4)
            throw new FormatException($"SMS-DELIVER: DCS '{dcs:X2}' is not 8-bit data");
        if (udl > MaxUserData || tpdu.Length != at + 10 + udl)
            throw new FormatException($"SMS-DELIVER: UDL {udl} does not match the {tpdu.Length - at - 10} octets that follow");
        return new SmsDeliver(oa, pid, dcs, scts, tpdu.Slice(at + 10, udl).ToArray(), (first & 0x40) != 0, (first & 0x04) == 0);
    }
}
