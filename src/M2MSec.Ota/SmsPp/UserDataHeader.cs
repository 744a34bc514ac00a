namespace M2MSec.Ota.SmsPp;

/// <summary>One information element of a user-data header (TS 23.040 §9.2.3.24).</summary>
public sealed record InformationElement(byte Iei, byte[] Value);

/// <summary>
/// The user-data header: UDHL ‖ (IEI ‖ IEIDL ‖ value)*. OTA uses IEI '70' (command packet) and
/// '71' (response packet), both empty, and '00' (8-bit concatenation: reference, total, sequence).
/// </summary>
public static class UserDataHeader
{
    public const byte CommandPacket = 0x70;
    public const byte ResponsePacket = 0x71;
    public const byte Concatenation8Bit = 0x00;

    public static byte[] Encode(IReadOnlyList<InformationElement> elements)
    {
        var body = elements.SelectMany(e => (byte[])[e.Iei, (byte)e.Value.Length, .. e.Value]).ToArray();
        if (body.Length > 139)
            throw new ArgumentException("The user-data header is too long.");
        return [(byte)body.Length, .. body];
    }

    /// <summary>Decodes the header at the start of user data; the rest (the tail) follows at <paramref name="consumed"/>.</summary>
    public static IReadOnlyList<InformationElement> Decode(ReadOnlySpan<byte> userData, out int consumed)
    {
        if (userData.IsEmpty)
            throw new FormatException("UDH: no UDHL");
        var udhl = userData[0];
        if (udhl + 1 > userData.Length)
            throw new FormatException($"UDH: UDHL {udhl} runs past the user data ({userData.Length - 1} octets)");
        var elements = new List<InformationElement>();
        var header = userData.Slice(1, udhl);
        while (!header.IsEmpty)
        {
            if (header.Length < 2 || header[1] + 2 > header.Length)
                throw new FormatException("UDH: an information element runs past the header");
            elements.Add(new InformationElement(header[0], header.Slice(2, header[1]).ToArray()));
            header = header[(2 + header[1])..];
        }
        consumed = 1 + udhl;
        return elements;
    }
}
