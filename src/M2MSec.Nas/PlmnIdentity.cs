namespace M2MSec.Nas;

/// <summary>The 3-octet PLMN identity (TS 24.008 §10.5.1.13): MCC2|MCC1, MNC3|MCC3, MNC2|MNC1 (MNC3 = F for a 2-digit MNC).</summary>
public static class PlmnIdentity
{
    public const int Length = 3;

    /// <summary>Whether <paramref name="plmn"/> is MCC (3 digits) + MNC (2 or 3 digits).</summary>
    public static bool IsValid(string? plmn) => plmn is { Length: 5 or 6 } && plmn.All(char.IsAsciiDigit);

    /// <summary>Encodes MCC + MNC, e.g. "00102" → 00 f1 20.</summary>
    public static byte[] Encode(string plmn)
    {
        if (!IsValid(plmn))
            throw new ArgumentException("A PLMN is MCC (3 digits) + MNC (2 or 3 digits).", nameof(plmn));
        int D(int i) => plmn[i] - '0';
        var mnc3 = plmn.Length == 6 ? D(5) : 0xF;
        return [(byte)(D(1) << 4 | D(0)), (byte)(mnc3 << 4 | D(2)), (byte)(D(4) << 4 | D(3))];
    }

    /// <summary>Decodes the 3 octets; false for a digit above 9 (or an F anywhere but MNC3).</summary>
    public static bool TryDecode(ReadOnlySpan<byte> octets, out string plmn)
    {
        plmn = "";
        if (octets.Length != Length)
            return false;
        int[] d = [octets[0] & 0xF, octets[0] >> 4, octets[1] & 0xF, octets[2] & 0xF, octets[2] >> 4, octets[1] >> 4];
        if (d[..5].Any(x => x > 9) || d[5] is > 9 and not 0xF)
            return false;
        plmn = string.Concat(d[..5].Select(x => (char)('0' + x))) + (d[5] == 0xF ? "" : ((char)('0' + d[5])).ToString());
        return true;
    }
}
