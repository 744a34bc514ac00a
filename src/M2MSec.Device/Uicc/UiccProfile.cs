using M2MSec.Ota.RemoteApdu;

namespace M2MSec.Device.Uicc;

/// <summary>The files of the simulated UICC: MF with EF_ICCID and EF_DIR, ADF USIM with EF_IMSI and EF_NASCONFIG.</summary>
public static class UiccProfile
{
    public const ushort EfIccid = 0x2FE2;
    public const ushort EfDir = 0x2F00;
    public const ushort AdfUsimFid = 0x7FF0;
    public const ushort EfImsi = 0x6F07;
    public const ushort EfNasConfig = 0x6FE8;

    /// <summary>The USIM application identifier (<see cref="Aids.Usim"/>).</summary>
    public static byte[] UsimAid { get; } = Aids.Usim.ToArray();

    /// <summary>EF_NASCONFIG's size in this profile; unused bytes are 'FF'.</summary>
    public const int NasConfigSize = 48;

    public static UiccFileSystem Create(string iccid, string imsi)
    {
        var mf = new DedicatedFile(UiccFileSystem.MfId, "MF");
        mf.Add(new TransparentEf(EfIccid, "EF_ICCID", SwappedBcd(iccid, 10)));
        mf.Add(new LinearFixedEf(EfDir, "EF_DIR", 32, [[0x61, 0x14, 0x4F, 0x10, .. UsimAid, .. Enumerable.Repeat((byte)0xFF, 12)]]));
        var usim = mf.Add(new DedicatedFile(AdfUsimFid, "ADF_USIM", UsimAid));
        usim.Add(new TransparentEf(EfImsi, "EF_IMSI", EncodeImsi(imsi)));
        usim.Add(new TransparentEf(EfNasConfig, "EF_NASCONFIG", Enumerable.Repeat((byte)0xFF, NasConfigSize).ToArray()));
        return new UiccFileSystem(mf);
    }

    /// <summary>EF_IMSI (TS 31.102 §4.2.2): length, then parity nibble '9' (odd) / '1' (even) and the digits in swapped BCD.</summary>
    public static byte[] EncodeImsi(string imsi)
    {
        var nibbles = new List<int> { imsi.Length % 2 == 1 ? 9 : 1 };
        nibbles.AddRange(imsi.Select(c => c - '0'));
        if (nibbles.Count % 2 == 1)
            nibbles.Add(0xF);
        var body = Enumerable.Range(0, nibbles.Count / 2).Select(i => (byte)(nibbles[2 * i] | nibbles[2 * i + 1] << 4)).ToArray();
        var ef = Enumerable.Repeat((byte)0xFF, 9).ToArray();
        ef[0] = (byte)body.Length;
        body.CopyTo(ef, 1);
        return ef;
    }

    private static byte[] SwappedBcd(string digits, int size)
    {
        var ef = Enumerable.Repeat((byte)0xFF, size).ToArray();
        for (var i = 0; i < digits.Length && i / 2 < size; i++)
        {
            var n = digits[i] - '0';
            ef[i / 2] = (byte)(i % 2 == 0 ? (ef[i / 2] & 0xF0) | n : (ef[i / 2] & 0x0F) | n << 4);
        }
        return ef;
    }
}
