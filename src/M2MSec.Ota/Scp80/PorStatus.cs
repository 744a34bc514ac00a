namespace M2MSec.Ota.Scp80;

/// <summary>The Response Status Codes of a PoR (TS 102 225 §5.2.2, Table 5; 3GPP values of TS 31.115).</summary>
public enum PorStatus : byte
{
    PorOk = 0x00,
    IntegrityCheckFailed = 0x01,
    CounterLow = 0x02,
    CounterHigh = 0x03,
    CounterBlocked = 0x04,
    CipheringError = 0x05,
    UnidentifiedSecurityError = 0x06,
    InsufficientMemory = 0x07,
    MoreTimeNeeded = 0x08,
    TarUnknown = 0x09,
    InsufficientSecurityLevel = 0x0A,
    ResponseBySmsSubmit = 0x0B,
    ResponseByUssd = 0x0C,
}
