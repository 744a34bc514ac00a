namespace M2MSec.Nas;

/// <summary>A malformed EF_NASCONFIG content.</summary>
public sealed class EfNasConfigFormatException(string message, int offset) : FormatException($"EF_NASCONFIG at offset {offset}: {message}")
{
    public int Offset { get; } = offset;
}

/// <summary>
/// EF_NASCONFIG ('6FE8', TS 31.102 §4.2.94): a transparent file of BER-TLV objects, one per
/// parameter — tag (1 octet, '80'…'8D'), length (1 octet), value (the 24.368 value: one octet,
/// two big-endian octets for the DCN-ID). Unused bytes at the end are 'FF'. Codec only: no I/O.
/// docs/decisions/008-nas-configuration-encoding.md.
/// </summary>
public static class EfNasConfigCodec
{
    public const ushort FileId = 0x6FE8;
    private const byte Padding = 0xFF;

    public static int GetEncodedLength(NasConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        return configuration.Values.Sum(v => 2 + v.Parameter.Octets);
    }

    public static bool TryEncode(NasConfiguration configuration, Span<byte> destination, out int written)
    {
        written = 0;
        if (destination.Length < GetEncodedLength(configuration))
            return false;
        foreach (var (p, value) in configuration.Values)
        {
            destination[written++] = p.Tag;
            destination[written++] = (byte)p.Octets;
            for (var i = p.Octets - 1; i >= 0; i--)
                destination[written++] = (byte)(value >> (8 * i));
        }
        return true;
    }

    public static byte[] Encode(NasConfiguration configuration)
    {
        var bytes = new byte[GetEncodedLength(configuration)];
        TryEncode(configuration, bytes, out _);
        return bytes;
    }

    /// <summary>Encodes into a file of <paramref name="fileSize"/> octets, the rest 'FF'.</summary>
    public static byte[] EncodeFile(NasConfiguration configuration, int fileSize)
    {
        var file = new byte[fileSize];
        file.AsSpan().Fill(Padding);
        if (!TryEncode(configuration, file, out _))
            throw new ArgumentException($"The configuration needs {GetEncodedLength(configuration)} octets; the file has {fileSize}.", nameof(fileSize));
        return file;
    }

    /// <summary>Decodes; stops at 'FF' padding. Unknown tags (later releases) are skipped.</summary>
    /// <exception cref="EfNasConfigFormatException">A length runs past the end, a known tag has the wrong length, a tag repeats.</exception>
    /// <exception cref="NasConfigurationException">A value is out of range.</exception>
    public static NasConfiguration Decode(ReadOnlySpan<byte> content, out int consumed)
    {
        var configuration = NasConfiguration.Empty;
        var seen = new HashSet<byte>();
        var offset = 0;
        while (offset < content.Length && content[offset] != Padding)
        {
            var tag = content[offset];
            if (offset + 1 >= content.Length)
                throw new EfNasConfigFormatException($"tag '{tag:X2}' without a length", offset);
            var length = content[offset + 1];
            if (length >= 0x80)
                throw new EfNasConfigFormatException($"tag '{tag:X2}': long-form length '{length:X2}' is not used by this file", offset + 1);
            if (offset + 2 + length > content.Length)
                throw new EfNasConfigFormatException($"tag '{tag:X2}' claims {length} octets, {content.Length - offset - 2} remain", offset + 1);
            if (!seen.Add(tag))
                throw new EfNasConfigFormatException($"tag '{tag:X2}' appears twice", offset);
            if (NasParameters.ByTag(tag) is { } p)
            {
                if (length != p.Octets)
                    throw new EfNasConfigFormatException($"{p.Leaf} (tag '{tag:X2}') must have {p.Octets} value octet(s), has {length}", offset + 1);
                var value = 0;
                foreach (var b in content.Slice(offset + 2, length))
                    value = value << 8 | b;
                configuration = configuration.With(p, value);
            }
            offset += 2 + length;
        }
        consumed = offset;
        return configuration;
    }

    public static NasConfiguration Decode(ReadOnlySpan<byte> content) => Decode(content, out _);
}
