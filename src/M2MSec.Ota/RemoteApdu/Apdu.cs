namespace M2MSec.Ota.RemoteApdu;

/// <summary>A command APDU (ISO/IEC 7816-4, short form): header, command data, expected length.</summary>
public sealed record CommandApdu(byte Cla, byte Ins, byte P1, byte P2, byte[] Data, int? Le)
{
    public byte[] Encode()
    {
        if (Data.Length > 255)
            throw new ArgumentException("Short APDUs carry at most 255 data octets.");
        if (Data.Length == 0)
            return Le is { } le ? [Cla, Ins, P1, P2, (byte)le] : [Cla, Ins, P1, P2];
        return [Cla, Ins, P1, P2, (byte)Data.Length, .. Data];
    }
}

/// <summary>A response APDU: data and the status word SW1 SW2.</summary>
public sealed record ResponseApdu(byte[] Data, ushort StatusWord)
{
    public static ResponseApdu Status(ushort sw) => new([], sw);

    public byte[] Encode() => [.. Data, (byte)(StatusWord >> 8), (byte)StatusWord];

    /// <summary>9000, 61xx (more data) and 62xx/63xx (warnings) let a script continue (TS 102 226 §5.1.1).</summary>
    public bool LetsScriptContinue => StatusWord == 0x9000 || StatusWord >> 8 is 0x61 or 0x62 or 0x63 or 0x91 or 0x92;
}

/// <summary>Status words of ISO/IEC 7816-4 / ETSI TS 102 221 used by the card simulator.</summary>
public static class StatusWords
{
    public const ushort Ok = 0x9000;
    public const ushort WrongLength = 0x6700;
    public const ushort EndOfFileReached = 0x6282;
    public const ushort IncompatibleFileStructure = 0x6981;
    public const ushort SecurityStatusNotSatisfied = 0x6982;
    public const ushort NoCurrentEf = 0x6986;
    public const ushort WrongParameters = 0x6A86;
    public const ushort FileNotFound = 0x6A82;
    public const ushort RecordNotFound = 0x6A83;
    public const ushort OutOfRange = 0x6B00;
    public const ushort InsNotSupported = 0x6D00;
    public const ushort ClaNotSupported = 0x6E00;
}
