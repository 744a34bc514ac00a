namespace M2MSec.Ota.RemoteApdu;

/// <summary>The two remote APDU structures of TS 102 226 §5.</summary>
public enum RemoteApduFormat
{
    /// <summary>§5.1: C-APDUs one after the other, P3 read as Lc or Le according to the instruction.</summary>
    Compact,

    /// <summary>§5.2: a BER-TLV Command Scripting Template ('AA' definite, 'AE' indefinite) of C-APDU TLVs ('22').</summary>
    Expanded,
}

/// <summary>
/// Remote command scripts (TS 102 226 §5.1.1 and §5.2.1) and their responses (§5.1.2, §5.2.2).
/// Codec only; the RFM application executes the commands.
/// </summary>
public static class RemoteCommandScript
{
    private const byte CommandTemplate = 0xAA;
    private const byte CommandTemplateIndefinite = 0xAE;
    private const byte CApduTag = 0x22;
    private const byte ResponseTemplate = 0xAB;
    private const byte RApduTag = 0x23;
    private const byte ExecutedCountTag = 0x80;

    /// <summary>Instructions whose P3 is Le (case 2): nothing follows the header but P3.</summary>
    private static readonly HashSet<byte> LeInstructions = [0xB0, 0xB2, 0xC0, 0xF2, 0xCA, 0xCB, 0x88, 0x84];

    public static RemoteApduFormat Detect(ReadOnlySpan<byte> securedData) =>
        !securedData.IsEmpty && securedData[0] is CommandTemplate or CommandTemplateIndefinite ? RemoteApduFormat.Expanded : RemoteApduFormat.Compact;

    /// <summary>Parses a script; throws <see cref="FormatException"/> for a truncated or malformed one.</summary>
    public static IReadOnlyList<CommandApdu> Decode(ReadOnlySpan<byte> securedData, out RemoteApduFormat format)
    {
        format = Detect(securedData);
        return format == RemoteApduFormat.Compact ? DecodeCompact(securedData) : DecodeExpanded(securedData);
    }

    private static List<CommandApdu> DecodeCompact(ReadOnlySpan<byte> s)
    {
        var list = new List<CommandApdu>();
        while (!s.IsEmpty)
        {
            if (s.Length < 5)
                throw new FormatException($"compact script: a C-APDU needs CLA INS P1 P2 P3, {s.Length} octets left");
            var ins = s[1];
            var p3 = s[4];
            if (LeInstructions.Contains(ins))
            {
                list.Add(new CommandApdu(s[0], ins, s[2], s[3], [], p3 == 0 ? 256 : p3));
                s = s[5..];
                continue;
            }
            if (s.Length < 5 + p3)
                throw new FormatException($"compact script: Lc {p3} runs past the script");
            list.Add(new CommandApdu(s[0], ins, s[2], s[3], s.Slice(5, p3).ToArray(), null));
            s = s[(5 + p3)..];
        }
        return list;
    }

    private static List<CommandApdu> DecodeExpanded(ReadOnlySpan<byte> s)
    {
        var indefinite = s[0] == CommandTemplateIndefinite;
        var body = s[1..];
        if (!indefinite)
        {
            var length = ReadLength(ref body);
            if (length > body.Length)
                throw new FormatException("expanded script: the template's length runs past the data");
            body = body[..length];
        }
        var list = new List<CommandApdu>();
        while (!body.IsEmpty)
        {
            if (indefinite && body.Length >= 2 && body[0] == 0 && body[1] == 0)
                return list; // end-of-contents
            var tag = body[0];
            body = body[1..];
            var length = ReadLength(ref body);
            if (length > body.Length)
                throw new FormatException($"expanded script: TLV '{tag:X2}' runs past the template");
            var value = body[..length];
            body = body[length..];
            if (tag != CApduTag)
                continue; // immediate/error actions and proprietary TLVs are not executed here
            if (value.Length < 4)
                throw new FormatException("expanded script: a C-APDU TLV shorter than its header");
            if (value.Length == 4)
                list.Add(new CommandApdu(value[0], value[1], value[2], value[3], [], null));
            else if (value.Length == 5)
                list.Add(new CommandApdu(value[0], value[1], value[2], value[3], [], value[4] == 0 ? 256 : value[4]));
            else
            {
                var lc = value[4];
                if (value.Length != 5 + lc && value.Length != 6 + lc)
                    throw new FormatException("expanded script: Lc does not match the C-APDU TLV");
                list.Add(new CommandApdu(value[0], value[1], value[2], value[3], value.Slice(5, lc).ToArray(), value.Length == 6 + lc ? (value[^1] == 0 ? 256 : value[^1]) : null));
            }
        }
        if (indefinite)
            throw new FormatException("expanded script: no end-of-contents");
        return list;
    }

    /// <summary>
    /// The response: compact = number of executed commands ‖ last R-APDU (data ‖ SW);
    /// expanded = 'AB' template with the executed-count TLV '80' and one R-APDU TLV '23' per command.
    /// </summary>
    public static byte[] EncodeResponse(RemoteApduFormat format, IReadOnlyList<ResponseApdu> responses)
    {
        ArgumentNullException.ThrowIfNull(responses);
        if (format == RemoteApduFormat.Compact)
            return responses.Count == 0 ? [0] : [(byte)responses.Count, .. responses[^1].Encode()];
        var content = new List<byte> { ExecutedCountTag, 0x01, (byte)responses.Count };
        foreach (var r in responses)
        {
            var apdu = r.Encode();
            content.Add(RApduTag);
            content.AddRange(Length(apdu.Length));
            content.AddRange(apdu);
        }
        return [ResponseTemplate, .. Length(content.Count), .. content];
    }

    public static byte[] EncodeCompact(IEnumerable<CommandApdu> commands) => [.. commands.SelectMany(c => c.Encode())];

    public static byte[] EncodeExpanded(IEnumerable<CommandApdu> commands)
    {
        var content = commands.SelectMany(c => { var a = c.Encode(); return (byte[])[CApduTag, .. Length(a.Length), .. a]; }).ToArray();
        return [CommandTemplate, .. Length(content.Length), .. content];
    }

    private static int ReadLength(ref ReadOnlySpan<byte> s)
    {
        if (s.IsEmpty)
            throw new FormatException("BER-TLV: missing length");
        var first = s[0];
        if (first < 0x80)
        {
            s = s[1..];
            return first;
        }
        var n = first & 0x7F;
        if (n is 0 or > 3 || s.Length < 1 + n)
            throw new FormatException("BER-TLV: unsupported length form");
        var length = 0;
        for (var i = 1; i <= n; i++)
            length = length << 8 | s[i];
        s = s[(1 + n)..];
        return length;
    }

    private static byte[] Length(int length) => length switch
    {
        < 0x80 => [(byte)length],
        < 0x100 => [0x81, (byte)length],
        _ => [0x82, (byte)(length >> 8), (byte)length],
    };
}
