namespace M2MSec.Ota.SmsPp;

/// <summary>
/// WDP over SMS (WAP-259-WDP Annex / TS 23.040 §9.2.3.24.4): a datagram to a 16-bit application port
/// (IEI '05': destination ‖ originator port) in 8-bit SMS-DELIVER messages, concatenated (IEI '00') when it
/// does not fit one. This is how WAP push — OMA DM package 0 and bootstrap — reaches the ME.
/// </summary>
public static class PortAddressedSms
{
    public const byte ApplicationPort16Bit = 0x05;

    /// <summary>DCS '04': 8-bit data, no message class (handled by the ME, not the UICC).</summary>
    public const byte Dcs8Bit = 0x04;

    public static IReadOnlyList<byte[]> Tpdus(ReadOnlySpan<byte> datagram, ushort destinationPort, ushort originatorPort, AddressField originator, byte[] scts, byte concatReference)
    {
        InformationElement ports = new(ApplicationPort16Bit, [(byte)(destinationPort >> 8), (byte)destinationPort, (byte)(originatorPort >> 8), (byte)originatorPort]);
        var single = UserDataHeader.Encode([ports]);
        if (single.Length + datagram.Length <= SmsDeliver.MaxUserData)
            return [new SmsDeliver(originator, 0, Dcs8Bit, scts, [.. single, .. datagram], true).Encode()];
        var room = SmsDeliver.MaxUserData - UserDataHeader.Encode([ports, new(UserDataHeader.Concatenation8Bit, [0, 0, 0])]).Length;
        var total = (datagram.Length + room - 1) / room;
        if (total > 255)
            throw new ArgumentException("The datagram needs more than 255 messages.");
        var tpdus = new List<byte[]>();
        for (var seq = 1; seq <= total; seq++)
        {
            var chunk = datagram.Slice((seq - 1) * room, Math.Min(room, datagram.Length - (seq - 1) * room));
            byte[] ud = [.. UserDataHeader.Encode([new(UserDataHeader.Concatenation8Bit, [concatReference, (byte)total, (byte)seq]), ports]), .. chunk];
            tpdus.Add(new SmsDeliver(originator, 0, Dcs8Bit, scts, ud, true, seq < total).Encode());
        }
        return tpdus;
    }

    /// <summary>Reassembles the datagram of one port-addressed message (any segment order); throws <see cref="FormatException"/>.</summary>
    public static byte[] Datagram(IEnumerable<byte[]> tpdus, out ushort destinationPort)
    {
        ArgumentNullException.ThrowIfNull(tpdus);
        var parts = new SortedDictionary<int, byte[]>();
        int? total = null, reference = null, port = null;
        foreach (var tpdu in tpdus)
        {
            var sms = SmsDeliver.Decode(tpdu);
            if (!sms.UserDataHeader)
                throw new FormatException("a WDP datagram carries a user-data header");
            var ies = UserDataHeader.Decode(sms.UserData, out var consumed);
            var ports = ies.FirstOrDefault(e => e.Iei == ApplicationPort16Bit) ?? throw new FormatException("no application port element (IEI '05')");
            if (ports.Value.Length != 4)
                throw new FormatException("malformed application port element");
            var dst = ports.Value[0] << 8 | ports.Value[1];
            if ((port ??= dst) != dst)
                throw new FormatException("segments to different ports");
            var concat = ies.FirstOrDefault(e => e.Iei == UserDataHeader.Concatenation8Bit);
            var (seq, count, reff) = concat is null ? (1, 1, -1)
                : concat.Value.Length == 3 && concat.Value[1] > 0 && concat.Value[2] > 0 && concat.Value[2] <= concat.Value[1]
                    ? (concat.Value[2], concat.Value[1], concat.Value[0])
                    : throw new FormatException("malformed concatenation element");
            if ((total ??= count) != count || (reference ??= reff) != reff)
                throw new FormatException("segments of different messages");
            if (!parts.TryAdd(seq, sms.UserData[consumed..]))
                throw new FormatException($"segment {seq} twice");
        }
        if (total is null || parts.Count != total)
            throw new FormatException($"{parts.Count} of {total ?? 0} segments");
        destinationPort = (ushort)port!.Value;
        return [.. parts.Values.SelectMany(p => p)];
    }
}
