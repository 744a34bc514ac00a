namespace M2MSec.Ota.Scp80;

/// <summary>Counter handling requested by the SPI (TS 102 225 §5.1.1, first octet b5b4).</summary>
public enum CounterMode : byte
{
    NoCounter = 0,
    AvailableNoCheck = 1,
    MustBeHigher = 2,
    MustBeOneHigher = 3,
}

/// <summary>Redundancy check, cryptographic checksum or digital signature (first octet b2b1, second octet b4b3).</summary>
public enum IntegrityMode : byte
{
    None = 0,
    RedundancyCheck = 1,
    CryptographicChecksum = 2,
    DigitalSignature = 3,
}

/// <summary>Proof of Receipt requirement (second octet b2b1).</summary>
public enum PorMode : byte
{
    None = 0,
    Required = 1,
    OnErrorOnly = 2,
    Reserved = 3,
}

/// <summary>
/// The Security Parameter Indicator (TS 102 225 §5.1.1): two octets saying what protects the
/// command and what the PoR shall look like. Immutable; <see cref="Encode"/> / <see cref="Decode"/>
/// are exact inverses for every defined bit.
/// </summary>
public readonly record struct Spi(
    IntegrityMode Integrity, bool Ciphering, CounterMode Counter,
    PorMode Por, IntegrityMode PorIntegrity, bool PorCiphered, bool PorViaSubmit)
{
    public byte[] Encode() =>
    [
        (byte)((byte)Integrity | (Ciphering ? 0x04 : 0) | (byte)Counter << 3),
        (byte)((byte)Por | (byte)PorIntegrity << 2 | (PorCiphered ? 0x10 : 0) | (PorViaSubmit ? 0x20 : 0)),
    ];

    /// <summary>Decodes; reserved bits are ignored (they are RFU and do not change the meaning).</summary>
    public static Spi Decode(ReadOnlySpan<byte> spi)
    {
        if (spi.Length != 2)
            throw new ArgumentException("The SPI is 2 octets.", nameof(spi));
        return new Spi(
            (IntegrityMode)(spi[0] & 0x03), (spi[0] & 0x04) != 0, (CounterMode)(spi[0] >> 3 & 0x03),
            (PorMode)(spi[1] & 0x03), (IntegrityMode)(spi[1] >> 2 & 0x03), (spi[1] & 0x10) != 0, (spi[1] & 0x20) != 0);
    }
}
