using System.Buffers.Binary;
using M2MSec.Ota.Scp80.Internal;

namespace M2MSec.Ota.Scp80;

/// <summary>
/// The command packet of TS 102 225 §5.1.1 / TS 31.115 §5.2, from CPL onwards:
/// CPL (2) ‖ CHL (1) ‖ SPI (2) ‖ KIc ‖ KID ‖ TAR (3) ‖ CNTR (5) ‖ PCNTR ‖ RC/CC/DS ‖ secured data
/// ‖ padding. With ciphering, CNTR through padding are enciphered and the padding fills the last
/// block; the RC/CC covers CPL through PCNTR, the secured data and the padding. Pure codec.
/// </summary>
public static class CommandPacketCodec
{
    /// <summary>CHL without the RC/CC/DS: SPI, KIc, KID, TAR, CNTR, PCNTR.</summary>
    private const int FixedHeader = 13;

    /// <summary>The most a packet adds to its secured data: CPL, CHL, the fixed header, an 8-octet CC and 15 octets of AES padding.</summary>
    public const int MaxOverhead = 2 + 1 + FixedHeader + 8 + 15;

    public static byte[] Encode(CommandPacket packet, Scp80Keys keys)
    {
        ArgumentNullException.ThrowIfNull(packet);
        ArgumentNullException.ThrowIfNull(keys);
        if (packet.Tar is not { Length: 3 })
            throw new ArgumentException("TAR is 3 octets.", nameof(packet));
        if (packet.Counter > CommandPacket.MaxCounter)
            throw new ArgumentException("CNTR is 5 octets.", nameof(packet));
        var spi = packet.Spi;
        var checksum = ChecksumAlgorithmOf(spi.Integrity, packet.Kid);
        var checksumLength = checksum is { } c ? OtaCrypto.ChecksumLength(c) : 0;
        var cipher = spi.Ciphering ? CipherOf(packet.Kic) : (CipherAlgorithm?)null;

        var chl = FixedHeader + checksumLength;
        var dataLength = packet.SecuredData.Length;
        var padding = cipher is { } ca ? Pad(6 + checksumLength + dataLength, OtaCrypto.BlockSize(ca)) : 0;
        var cpl = 1 + chl + dataLength + padding;
        if (cpl > ushort.MaxValue)
            throw new ArgumentException("The packet is too long for CPL.", nameof(packet));

        var output = new byte[2 + cpl];
        BinaryPrimitives.WriteUInt16BigEndian(output, (ushort)cpl);
        output[2] = (byte)chl;
        spi.Encode().CopyTo(output, 3);
        output[5] = packet.Kic;
        output[6] = packet.Kid;
        packet.Tar.CopyTo(output, 7);
        WriteCounter(packet.Counter, output.AsSpan(10));
        output[15] = (byte)padding;
        var dataStart = 16 + checksumLength;
        packet.SecuredData.CopyTo(output, dataStart);

        if (checksum is { } algorithm)
        {
            // RC/CC over the header (CPL…PCNTR) and the secured data with its padding, the RC/CC field left out.
            var inputLength = 16 + output.Length - dataStart;
            var input = inputLength <= 512 ? stackalloc byte[inputLength] : new byte[inputLength];
            output.AsSpan(0, 16).CopyTo(input);
            output.AsSpan(dataStart).CopyTo(input[16..]);
            OtaCrypto.Checksum(algorithm, keys.KidKey, input).CopyTo(output, 16);
        }
        if (cipher is { } cc)
            OtaCrypto.Cipher(cc, keys.KicKey, output.AsSpan(10), encrypt: true);
        return output;
    }

    /// <summary>Reads the clear header (lengths checked against the buffer); throws <see cref="Scp80FormatException"/>.</summary>
    public static CommandHeader ReadHeader(ReadOnlySpan<byte> packet)
    {
        CheckLengths(packet, out _);
        return new CommandHeader(Spi.Decode(packet.Slice(3, 2)), packet[5], packet[6], packet.Slice(7, 3).ToArray());
    }

    /// <summary>
    /// Deciphers and checks a command packet with the key set its TAR/KIc/KID selected. Does not
    /// judge the counter (that is the card's state): the caller compares <see cref="CommandPacket.Counter"/>.
    /// </summary>
    public static CommandOpenResult Open(ReadOnlySpan<byte> packet, Scp80Keys keys)
    {
        ArgumentNullException.ThrowIfNull(keys);
        CheckLengths(packet, out var chl);
        var header = ReadHeader(packet);
        var spi = header.Spi;
        var checksumLength = chl - FixedHeader;
        var checksum = ChecksumAlgorithmOf(spi.Integrity, header.Kid);
        if (spi.Integrity == IntegrityMode.DigitalSignature)
            return new(PorStatus.InsufficientSecurityLevel, null, "digital signatures are not supported");
        if (checksum is { } ca && (!OtaCrypto.IsSupported(ca) || OtaCrypto.ChecksumLength(ca) != checksumLength))
            return new(PorStatus.UnidentifiedSecurityError, null, $"KID '{header.Kid:X2}' does not name a supported {spi.Integrity} of {checksumLength} octets");
        if (checksum is null && checksumLength != 0)
            return new(PorStatus.UnidentifiedSecurityError, null, "CHL announces a checksum the SPI does not ask for");

        var body = packet[10..].ToArray();
        if (spi.Ciphering)
        {
            var cipher = CipherOf(header.Kic);
            if (!OtaCrypto.IsSupported(cipher))
                return new(PorStatus.CipheringError, null, $"KIc '{header.Kic:X2}' does not name a supported cipher");
            if (body.Length % OtaCrypto.BlockSize(cipher) != 0)
                return new(PorStatus.CipheringError, null, "the enciphered part is not a whole number of blocks");
            try
            {
                OtaCrypto.Cipher(cipher, keys.KicKey, body, encrypt: false);
            }
            catch (ArgumentException e)
            {
                return new(PorStatus.CipheringError, null, e.Message);
            }
        }
        var padding = body[5];
        var dataLength = body.Length - 6 - checksumLength - padding;
        if (dataLength < 0 || (!spi.Ciphering && padding != 0))
        {
            // Deciphered garbage (a wrong key) and a forged PCNTR look alike: with a checksum asked
            // for, the packet's integrity is what failed; without one, the deciphering.
            var status = checksum is not null ? PorStatus.IntegrityCheckFailed : spi.Ciphering ? PorStatus.CipheringError : PorStatus.UnidentifiedSecurityError;
            return new(status, null, $"PCNTR {padding} does not fit the packet");
        }

        if (checksum is { } algorithm)
        {
            byte[] input = [.. packet[..10], .. body.AsSpan(0, 6), .. body.AsSpan(6 + checksumLength)];
            byte[] expected;
            try
            {
                expected = OtaCrypto.Checksum(algorithm, keys.KidKey, input);
            }
            catch (ArgumentException e)
            {
                return new(PorStatus.UnidentifiedSecurityError, null, e.Message);
            }
            if (!System.Security.Cryptography.CryptographicOperations.FixedTimeEquals(expected, body.AsSpan(6, checksumLength)))
                return new(PorStatus.IntegrityCheckFailed, null, "RC/CC does not verify");
        }
        var counter = ReadCounter(body);
        var data = body.AsSpan(6 + checksumLength, dataLength).ToArray();
        return new(PorStatus.PorOk, new CommandPacket(spi, header.Kic, header.Kid, header.Tar, counter, data), null);
    }

    private static void CheckLengths(ReadOnlySpan<byte> packet, out int chl)
    {
        if (packet.Length < 3)
            throw new Scp80FormatException($"a command packet has at least CPL and CHL; got {packet.Length} octets");
        var cpl = BinaryPrimitives.ReadUInt16BigEndian(packet);
        if (cpl != packet.Length - 2)
            throw new Scp80FormatException($"CPL says {cpl} octets follow, {packet.Length - 2} do");
        chl = packet[2];
        if (chl < FixedHeader || chl > cpl - 1)
            throw new Scp80FormatException($"CHL {chl} is outside {FixedHeader}..{cpl - 1}");
    }

    internal static int Pad(int length, int block) => (block - length % block) % block;

    internal static CipherAlgorithm CipherOf(byte kic) => KeyIdentifier.Cipher(kic);

    internal static ChecksumAlgorithm? ChecksumAlgorithmOf(IntegrityMode mode, byte kid) =>
        mode is IntegrityMode.RedundancyCheck or IntegrityMode.CryptographicChecksum ? KeyIdentifier.Checksum(kid, mode) : null;

    internal static void WriteCounter(ulong counter, Span<byte> destination)
    {
        for (var i = 4; i >= 0; i--, counter >>= 8)
            destination[i] = (byte)counter;
    }

    internal static ulong ReadCounter(ReadOnlySpan<byte> source)
    {
        ulong v = 0;
        for (var i = 0; i < 5; i++)
            v = v << 8 | source[i];
        return v;
    }
}
