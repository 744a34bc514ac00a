namespace M2MSec.Ota.RemoteApdu;

/// <summary>Application identifiers used by the OTA server and the card alike.</summary>
public static class Aids
{
    /// <summary>The USIM AID (RID A000000087, application code 1002; ETSI TS 101 220 Annex E).</summary>
    public static ReadOnlySpan<byte> Usim => [0xA0, 0x00, 0x00, 0x00, 0x87, 0x10, 0x02, 0xFF, 0x33, 0xFF, 0x01, 0x89, 0x00, 0x00, 0x01, 0x00];
}
