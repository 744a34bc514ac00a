namespace M2MSec.NetworkFunctions.Vno;

/// <summary>The 3-octet PLMN identity (TS 24.008 §10.5.1.13): MCC2|MCC1, MNC3|MCC3, MNC2|MNC1 (MNC3 = F for a 2-digit MNC).</summary>
public static class PlmnId
{
    /// <summary>Encodes MCC (3 digits) + MNC (2 or 3 digits), e.g. "00102" → 00 f1 20.</summary>
    public static byte[] Encode(string plmn)
    {
        if (plmn is not { Length: 5 or 6 } || !plmn.All(char.IsAsciiDigit))
            throw new ArgumentException("A PLMN is MCC (3 digits) + MNC (2 or 3 digits).", nameof(plmn));
        int D(int i) => plmn[i] - '0';
        var mnc3 = plmn.Length == 6 ? D(5) : 0xF;
        return [(byte)(D(1) << 4 | D(0)), (byte)(mnc3 << 4 | D(2)), (byte)(D(4) << 4 | D(3))];
    }
}
