namespace M2MSec.Ota.Scp80;

/// <summary>The ciphering algorithm named by KIc (TS 102 225 §5.1.2).</summary>
public enum CipherAlgorithm
{
    Implicit,
    DesCbc,
    TripleDes2KeyCbc,
    TripleDes3KeyCbc,
    DesEcb,
    AesCbc,
    Proprietary,

    /// <summary>A coding the clause reserves (AES, b2b1 = 10, with b4b3 other than 00).</summary>
    Reserved,
}

/// <summary>The integrity algorithm named by KID (TS 102 225 §5.1.3).</summary>
public enum ChecksumAlgorithm
{
    Implicit,
    DesCbcMac,
    TripleDes2KeyCbcMac,
    TripleDes3KeyCbcMac,
    AesCmac,
    Crc16,
    Crc32,
    Proprietary,
    Reserved,
}

/// <summary>
/// KIc and KID octets (TS 102 225 §5.1.2, §5.1.3): b2b1 the algorithm family (00 known implicitly
/// by both entities, 01 DES, 10 AES, 11 proprietary), b4b3 the mode (for AES only 00, CBC / CMAC;
/// the other codings are reserved), b8–b5 the key version (index). For a redundancy check KID's
/// b2b1 = 01 means CRC and b4b3 selects CRC-16 (00) or CRC-32 (01).
/// </summary>
public static class KeyIdentifier
{
    public static int KeyIndex(byte keyIdentifier) => keyIdentifier >> 4;

    public static CipherAlgorithm Cipher(byte kic) => (kic & 0x03, kic >> 2 & 0x03) switch
    {
        (0, _) => CipherAlgorithm.Implicit,
        (1, 0) => CipherAlgorithm.DesCbc,
        (1, 1) => CipherAlgorithm.TripleDes2KeyCbc,
        (1, 2) => CipherAlgorithm.TripleDes3KeyCbc,
        (1, 3) => CipherAlgorithm.DesEcb,
        (2, 0) => CipherAlgorithm.AesCbc,
        (3, _) => CipherAlgorithm.Proprietary,
        _ => CipherAlgorithm.Reserved,
    };

    /// <summary>Whether this implementation can run the algorithm (not implicit, proprietary or reserved).</summary>
    public static bool IsImplemented(CipherAlgorithm algorithm) => Internal.OtaCrypto.IsSupported(algorithm);

    /// <summary>Whether this implementation can run the algorithm (not implicit, proprietary or reserved).</summary>
    public static bool IsImplemented(ChecksumAlgorithm algorithm) => Internal.OtaCrypto.IsSupported(algorithm);

    /// <summary>The key lengths in octets the algorithm takes: DES 8, 3DES 16 or 24, AES 16, 24 or 32.</summary>
    public static IReadOnlyList<int> KeyLengths(CipherAlgorithm algorithm) => algorithm switch
    {
        CipherAlgorithm.DesCbc or CipherAlgorithm.DesEcb => [8],
        CipherAlgorithm.TripleDes2KeyCbc => [16],
        CipherAlgorithm.TripleDes3KeyCbc => [24],
        CipherAlgorithm.AesCbc => [16, 24, 32],
        _ => [],
    };

    /// <summary>The key lengths in octets the algorithm takes; a CRC takes any key (it uses none).</summary>
    public static IReadOnlyList<int>? KeyLengths(ChecksumAlgorithm algorithm) => algorithm switch
    {
        ChecksumAlgorithm.DesCbcMac => [8],
        ChecksumAlgorithm.TripleDes2KeyCbcMac => [16],
        ChecksumAlgorithm.TripleDes3KeyCbcMac => [24],
        ChecksumAlgorithm.AesCmac => [16, 24, 32],
        ChecksumAlgorithm.Crc16 or ChecksumAlgorithm.Crc32 => null,
        _ => [],
    };

    /// <summary>The KID's algorithm for the integrity mode the SPI asks for.</summary>
    public static ChecksumAlgorithm Checksum(byte kid, IntegrityMode mode) => mode switch
    {
        IntegrityMode.RedundancyCheck => (kid & 0x03, kid >> 2 & 0x03) switch
        {
            (0, _) => ChecksumAlgorithm.Implicit,
            (1, 0) => ChecksumAlgorithm.Crc16,
            (1, 1) => ChecksumAlgorithm.Crc32,
            (3, _) => ChecksumAlgorithm.Proprietary,
            _ => ChecksumAlgorithm.Reserved,
        },
        IntegrityMode.CryptographicChecksum => (kid & 0x03, kid >> 2 & 0x03) switch
        {
            (0, _) => ChecksumAlgorithm.Implicit,
            (1, 0) => ChecksumAlgorithm.DesCbcMac,
            (1, 1) => ChecksumAlgorithm.TripleDes2KeyCbcMac,
            (1, 2) => ChecksumAlgorithm.TripleDes3KeyCbcMac,
            (2, 0) => ChecksumAlgorithm.AesCmac,
            (3, _) => ChecksumAlgorithm.Proprietary,
            _ => ChecksumAlgorithm.Reserved,
        },
        _ => ChecksumAlgorithm.Reserved,
    };

    public static byte Encode(CipherAlgorithm algorithm, int keyIndex) => (byte)(keyIndex << 4 | algorithm switch
    {
        CipherAlgorithm.DesCbc => 0b0001,
        CipherAlgorithm.TripleDes2KeyCbc => 0b0101,
        CipherAlgorithm.TripleDes3KeyCbc => 0b1001,
        CipherAlgorithm.DesEcb => 0b1101,
        CipherAlgorithm.AesCbc => 0b0010,
        _ => throw new ArgumentOutOfRangeException(nameof(algorithm)),
    });

    public static byte Encode(ChecksumAlgorithm algorithm, int keyIndex) => (byte)(keyIndex << 4 | algorithm switch
    {
        ChecksumAlgorithm.DesCbcMac => 0b0001,
        ChecksumAlgorithm.TripleDes2KeyCbcMac => 0b0101,
        ChecksumAlgorithm.TripleDes3KeyCbcMac => 0b1001,
        ChecksumAlgorithm.AesCmac => 0b0010,
        ChecksumAlgorithm.Crc16 => 0b0001,
        ChecksumAlgorithm.Crc32 => 0b0101,
        _ => throw new ArgumentOutOfRangeException(nameof(algorithm)),
    });
}
