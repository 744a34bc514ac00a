using System.Buffers.Binary;

namespace M2MSec.Provisioning.Mcim;

/// <summary>
/// <c>data = tag | payload_length | payload | version | filling_data</c> (seed 003, TR 33.812 §5.1.3.7.3.3): tag 1 octet,
/// payload_length 2 octets big-endian, version 1 octet, filling_data n octets of value n (1 ≤ n ≤ 16) so that data is a
/// whole number of AES blocks ("to make up the data length to a suitable length for encryption"). docs/decisions/014. I/O-free.
/// </summary>
public static class McimData
{
    /// <summary>The payload is an MCIM (subscription: IMSI, K, algorithm, constants).</summary>
    public const byte McimTag = 0x01;

    /// <summary>Reserved by the seed ("algorithm, update"): refused by this version.</summary>
    public const byte AlgorithmTag = 0x02;

    /// <summary>Reserved by the seed: refused by this version.</summary>
    public const byte UpdateTag = 0x03;

    public const byte Version = 0x01;
    public const int MaxPayloadLength = 1024;
    public const int BlockSize = 16;

    /// <summary>tag + length + payload + version + filling (at least one octet).</summary>
    public static int GetEncodedLength(int payloadLength) => (4 + payloadLength) / BlockSize * BlockSize + BlockSize;

    public static bool TryEncode(byte tag, ReadOnlySpan<byte> payload, Span<byte> destination, out int written)
    {
        if (payload.Length > MaxPayloadLength)
            throw new ArgumentException($"payload over {MaxPayloadLength} octets", nameof(payload));
        written = 0;
        var total = GetEncodedLength(payload.Length);
        if (destination.Length < total)
            return false;
        destination[0] = tag;
        BinaryPrimitives.WriteUInt16BigEndian(destination[1..], (ushort)payload.Length);
        payload.CopyTo(destination[3..]);
        destination[3 + payload.Length] = Version;
        var filling = total - 4 - payload.Length;
        destination.Slice(4 + payload.Length, filling).Fill((byte)filling);
        written = total;
        return true;
    }

    /// <summary>
    /// Reads data; returns the payload (a slice of <paramref name="data"/>). Throws <see cref="ProvisioningException"/>:
    /// malformed-data (lengths, filling), unknown-tag, unknown-version.
    /// </summary>
    public static ReadOnlySpan<byte> Decode(ReadOnlySpan<byte> data, out byte tag)
    {
        tag = 0;
        if (data.Length < BlockSize || data.Length % BlockSize != 0)
            throw new ProvisioningException("malformed-data", "data is not a whole number of blocks");
        tag = data[0];
        if (tag != McimTag)
            throw new ProvisioningException("unknown-tag", $"data tag 0x{tag:x2} is not one this TRE installs");
        int length = BinaryPrimitives.ReadUInt16BigEndian(data[1..]);
        if (length > MaxPayloadLength || length > data.Length - 5)
            throw new ProvisioningException("malformed-data", "payload_length runs past the data");
        if (data[3 + length] != Version)
            throw new ProvisioningException("unknown-version", $"data version {data[3 + length]} is not {Version}");
        var filling = data[(4 + length)..];
        if (filling.Length is 0 or > BlockSize || filling.ContainsAnyExcept((byte)filling.Length))
            throw new ProvisioningException("malformed-data", "filling_data is not n octets of value n");
        return data.Slice(3, length);
    }
}
