using System.Buffers.Binary;
using M2MSec.Ota.Scp80.Internal;

namespace M2MSec.Ota.Scp80;

/// <summary>A Proof of Receipt (TS 102 225 §5.2): the answer to one command packet.</summary>
public sealed record ResponsePacket(byte[] Tar, ulong Counter, PorStatus Status, byte[] AdditionalData);

/// <summary>
/// The outcome of checking a PoR at the OTA server. <paramref name="Malformed"/>: the octets are no response packet
/// at all (lengths, framing) — as opposed to one whose protection or TAR/counter does not verify.
/// </summary>
public sealed record ResponseOpenResult(ResponsePacket? Packet, string? Failure, bool Malformed = false)
{
    public bool IsOk => Failure is null;

    internal static ResponseOpenResult NotAPacket(string failure) => new(null, failure, Malformed: true);
}

/// <summary>
/// The response packet of TS 102 225 §5.2 / TS 31.115 §5.3, from RPL onwards:
/// RPL (2) ‖ RHL (1) ‖ TAR (3) ‖ CNTR (5) ‖ PCNTR ‖ status ‖ RC/CC/DS ‖ additional data ‖ padding.
/// The command's SPI (second octet) and KIc/KID say how it is protected. Pure codec.
/// </summary>
public static class ResponsePacketCodec
{
    /// <summary>The SMS user-data header of a PoR: UDHL = 2, IEI '71' (response packet), IEIDL = 0 (TS 31.115 §5.3).</summary>
    public static ReadOnlySpan<byte> SmsPorHeader => [0x02, 0x71, 0x00];

    /// <summary>RHL without the RC/CC/DS: TAR, CNTR, PCNTR, status.</summary>
    private const int FixedHeader = 10;

    /// <summary>
    /// Encodes; <paramref name="transportHeader"/> is what TS 31.115 §5.3 adds to the RC/CC input in
    /// front of RPL — for SMS the UDHL, IEI '71' and IEIDL (<see cref="SmsPorHeader"/>).
    /// </summary>
    public static byte[] Encode(ResponsePacket response, Spi spi, byte kic, byte kid, Scp80Keys keys, ReadOnlySpan<byte> transportHeader = default)
    {
        ArgumentNullException.ThrowIfNull(response);
        ArgumentNullException.ThrowIfNull(keys);
        if (response.Tar is not { Length: 3 })
            throw new ArgumentException("TAR is 3 octets.", nameof(response));
        var checksum = CommandPacketCodec.ChecksumAlgorithmOf(spi.PorIntegrity, kid);
        var checksumLength = checksum is { } c ? OtaCrypto.ChecksumLength(c) : 0;
        var cipher = spi.PorCiphered ? CommandPacketCodec.CipherOf(kic) : (CipherAlgorithm?)null;
        var rhl = FixedHeader + checksumLength;
        var dataLength = response.AdditionalData.Length;
        var padding = cipher is { } ca ? CommandPacketCodec.Pad(7 + checksumLength + dataLength, OtaCrypto.BlockSize(ca)) : 0;
        var rpl = 1 + rhl + dataLength + padding;

        var output = new byte[2 + rpl];
        BinaryPrimitives.WriteUInt16BigEndian(output, (ushort)rpl);
        output[2] = (byte)rhl;
        response.Tar.CopyTo(output, 3);
        CommandPacketCodec.WriteCounter(response.Counter, output.AsSpan(6));
        output[11] = (byte)padding;
        output[12] = (byte)response.Status;
        var dataStart = 13 + checksumLength;
        response.AdditionalData.CopyTo(output, dataStart);
        if (checksum is { } algorithm)
        {
            byte[] input = [.. transportHeader, .. output.AsSpan(0, 13), .. output.AsSpan(dataStart)];
            OtaCrypto.Checksum(algorithm, keys.KidKey, input).CopyTo(output, 13);
        }
        if (cipher is { } cc)
            OtaCrypto.Cipher(cc, keys.KicKey, output.AsSpan(6), encrypt: true);
        return output;
    }

    /// <summary>
    /// Opens a PoR for a command sent with <paramref name="spi"/>/<paramref name="kic"/>/<paramref name="kid"/>;
    /// a PoR that does not verify, or answers another TAR or counter, is a failure with its reason.
    /// </summary>
    public static ResponseOpenResult Open(ReadOnlySpan<byte> packet, Spi spi, byte kic, byte kid, Scp80Keys keys,
        ReadOnlySpan<byte> transportHeader = default, ReadOnlySpan<byte> expectTar = default, ulong? expectCounter = null)
    {
        ArgumentNullException.ThrowIfNull(keys);
        if (packet.Length < 3)
            return ResponseOpenResult.NotAPacket("truncated: no RPL/RHL");
        var rpl = BinaryPrimitives.ReadUInt16BigEndian(packet);
        if (rpl != packet.Length - 2)
            return ResponseOpenResult.NotAPacket($"RPL says {rpl} octets follow, {packet.Length - 2} do");
        var rhl = packet[2];
        if (rhl < FixedHeader || rhl > rpl - 1)
            return ResponseOpenResult.NotAPacket($"RHL {rhl} is outside {FixedHeader}..{rpl - 1}");
        var checksumLength = rhl - FixedHeader;
        var checksum = CommandPacketCodec.ChecksumAlgorithmOf(spi.PorIntegrity, kid);
        if (checksum is { } unsupported && !OtaCrypto.IsSupported(unsupported))
            return new(null, $"KID '{kid:X2}' does not name a supported {spi.PorIntegrity}");
        if ((checksum is { } a ? OtaCrypto.ChecksumLength(a) : 0) != checksumLength)
            return new(null, $"RHL {rhl} does not match the PoR integrity the SPI asked for");

        var body = packet[6..].ToArray();
        if (spi.PorCiphered)
        {
            var cipher = CommandPacketCodec.CipherOf(kic);
            if (!OtaCrypto.IsSupported(cipher))
                return new(null, $"KIc '{kic:X2}' does not name a supported cipher");
            if (body.Length % OtaCrypto.BlockSize(cipher) != 0)
                return ResponseOpenResult.NotAPacket("ciphered part is not a whole number of blocks");
            OtaCrypto.Cipher(cipher, keys.KicKey, body, encrypt: false);
        }
        var padding = body[5];
        var dataLength = body.Length - 7 - checksumLength - padding;
        if (dataLength < 0)
        {
            // Deciphered with a wrong key, PCNTR is garbage: with ciphering a misfit is a failed check, without it a malformed packet.
            var failure = $"PCNTR {padding} does not fit the packet";
            return spi.PorCiphered ? new(null, failure) : ResponseOpenResult.NotAPacket(failure);
        }
        if (checksum is { } algorithm)
        {
            byte[] input = [.. transportHeader, .. packet[..6], .. body.AsSpan(0, 7), .. body.AsSpan(7 + checksumLength)];
            if (!System.Security.Cryptography.CryptographicOperations.FixedTimeEquals(OtaCrypto.Checksum(algorithm, keys.KidKey, input), body.AsSpan(7, checksumLength)))
                return new(null, algorithm is ChecksumAlgorithm.Crc16 or ChecksumAlgorithm.Crc32 ? "rc mismatch" : "cc mismatch");
        }
        var tar = packet.Slice(3, 3).ToArray();
        var counter = CommandPacketCodec.ReadCounter(body);
        if (!expectTar.IsEmpty && !expectTar.SequenceEqual(tar))
            return new(null, "tar mismatch");
        if (expectCounter is { } ec && ec != counter)
            return new(null, "cntr mismatch");
        return new(new ResponsePacket(tar, counter, (PorStatus)body[6], body.AsSpan(7 + checksumLength, dataLength).ToArray()), null);
    }
}
