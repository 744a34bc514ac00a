using M2MSec.Ota.RemoteApdu;

namespace M2MSec.Device.Uicc;

/// <summary>
/// A minimal Remote Application Management application (ETSI TS 102 226 §8.2 / GlobalPlatform
/// GET STATUS) behind the Security Domain's TAR: it lists the card's applications. GET STATUS
/// CLA '80' INS 'F2', P1 '80' (issuer security domain) or '40' (applications), P2 '00' (legacy
/// format: length ‖ AID ‖ life cycle ‖ privileges) or '02' (TLV 'E3' { '4F' AID, '9F70' life cycle,
/// 'C5' privileges }). Card content management (INSTALL, LOAD, DELETE) is not offered.
/// </summary>
public sealed class RamApplication(IReadOnlyList<byte[]> applications)
{
    public static byte[] IsdAid { get; } = Convert.FromHexString("A000000151000000");

    private const byte Selectable = 0x07;

    public ResponseApdu Execute(CommandApdu c)
    {
        if (c.Cla != 0x80 || c.Ins != 0xF2)
            return ResponseApdu.Status(c.Cla != 0x80 ? StatusWords.ClaNotSupported : StatusWords.InsNotSupported);
        var listed = c.P1 switch
        {
            0x80 => [IsdAid],
            0x40 => applications,
            _ => null,
        };
        if (listed is null || c.P2 is not (0x00 or 0x02))
            return ResponseApdu.Status(StatusWords.WrongParameters);
        var data = new List<byte>();
        foreach (var aid in listed)
        {
            if (c.P2 == 0x00)
            {
                data.Add((byte)aid.Length);
                data.AddRange(aid);
                data.Add(Selectable);
                data.Add(0x00);
            }
            else
            {
                byte[] body = [0x4F, (byte)aid.Length, .. aid, 0x9F, 0x70, 0x01, Selectable, 0xC5, 0x01, 0x00];
                data.Add(0xE3);
                data.Add((byte)body.Length);
                data.AddRange(body);
            }
        }
        return new ResponseApdu([.. data], StatusWords.Ok);
    }
}
