namespace M2MSec.Dm.SyncMl;

/// <summary>WBXML global tokens (WAP-192-WBXML §7.1) and tag bits (§5.8.2).</summary>
internal static class WbxmlTokens
{
    public const byte SwitchPage = 0x00;
    public const byte End = 0x01;
    public const byte Entity = 0x02;
    public const byte StrI = 0x03;
    public const byte StrT = 0x83;
    public const byte Opaque = 0xC3;
    public const byte TagMask = 0x3F;
    public const byte HasContent = 0x40;
    public const byte HasAttributes = 0x80;
}
