using System.Text;

namespace M2MSec.Provisioning.Mcim;

/// <summary>
/// The MCIM payload as TLV: tag (1) | length (1) | value, tags strictly ascending, each at most once, unknown tags refused.
/// 0x01 IMSI (6–15 ASCII digits), 0x02 K (16), 0x03 OPc (16), 0x04 algorithm (1–32 of a–z 0–9 -), 0x05 AMF (2, optional),
/// 0x06 authorisation token (1–64, optional). docs/decisions/014-mcim-object.md. I/O-free.
/// </summary>
public static class McimContentCodec
{
    public const byte ImsiTag = 0x01;
    public const byte KTag = 0x02;
    public const byte OpcTag = 0x03;
    public const byte AlgorithmTag = 0x04;
    public const byte AmfTag = 0x05;
    public const byte AuthorisationTokenTag = 0x06;
    public const int MaxTokenLength = 64;

    public static int GetEncodedLength(McimContent content)
    {
        Validate(content);
        return 2 + content.Imsi.Length + 18 + 18 + 2 + content.Algorithm.Length + (content.Amf is null ? 0 : 4)
            + (content.AuthorisationToken is null ? 0 : 2 + content.AuthorisationToken.Length);
    }

    /// <summary>Encodes; throws <see cref="ArgumentException"/> for content outside the limits above.</summary>
    public static bool TryEncode(McimContent content, Span<byte> destination, out int written)
    {
        written = 0;
        var length = GetEncodedLength(content);
        if (destination.Length < length)
            return false;
        var at = 0;
        Put(destination, ref at, ImsiTag, Encoding.ASCII.GetBytes(content.Imsi));
        Put(destination, ref at, KTag, content.K);
        Put(destination, ref at, OpcTag, content.Opc);
        Put(destination, ref at, AlgorithmTag, Encoding.ASCII.GetBytes(content.Algorithm));
        if (content.Amf is not null)
            Put(destination, ref at, AmfTag, content.Amf);
        if (content.AuthorisationToken is not null)
            Put(destination, ref at, AuthorisationTokenTag, content.AuthorisationToken);
        written = at;
        return true;
    }

    public static byte[] Encode(McimContent content)
    {
        var b = new byte[GetEncodedLength(content)];
        TryEncode(content, b, out _);
        return b;
    }

    /// <summary>Decodes the whole span; throws <see cref="ProvisioningException"/> (malformed-content) for anything else.</summary>
    public static McimContent Decode(ReadOnlySpan<byte> payload)
    {
        string? imsi = null, algorithm = null;
        byte[]? k = null, opc = null, amf = null, token = null;
        var last = 0;
        var at = 0;
        try
        {
            while (at < payload.Length)
            {
                if (payload.Length - at < 2)
                    throw Bad("truncated element header");
                var tag = payload[at];
                var len = payload[at + 1];
                at += 2;
                if (len > payload.Length - at)
                    throw Bad($"element 0x{tag:x2} runs past the payload");
                if (tag <= last)
                    throw Bad($"element 0x{tag:x2} out of order or repeated");
                last = tag;
                var value = payload.Slice(at, len);
                at += len;
                switch (tag)
                {
                    case ImsiTag:
                        imsi = Encoding.ASCII.GetString(value);
                        if (!IsImsi(imsi))
                            throw Bad("IMSI is not 6 to 15 digits");
                        break;
                    case KTag:
                        k = Fixed(value, 16, "K");
                        break;
                    case OpcTag:
                        opc = Fixed(value, 16, "OPc");
                        break;
                    case AlgorithmTag:
                        algorithm = Encoding.ASCII.GetString(value);
                        if (!IsAlgorithmName(algorithm))
                            throw Bad("algorithm name");
                        break;
                    case AmfTag:
                        amf = Fixed(value, 2, "AMF");
                        break;
                    case AuthorisationTokenTag:
                        if (len is 0 or > MaxTokenLength)
                            throw Bad("authorisation token length");
                        token = value.ToArray();
                        break;
                    default:
                        throw Bad($"unknown element 0x{tag:x2}");
                }
            }
            if (imsi is null || k is null || opc is null || algorithm is null)
                throw Bad("IMSI, K, OPc and algorithm are required");
            return new McimContent(imsi, k, opc, algorithm, amf, token);
        }
        catch
        {
            System.Security.Cryptography.CryptographicOperations.ZeroMemory(k);
            System.Security.Cryptography.CryptographicOperations.ZeroMemory(opc);
            System.Security.Cryptography.CryptographicOperations.ZeroMemory(token);
            throw;
        }
    }

    private static byte[] Fixed(ReadOnlySpan<byte> value, int length, string name) =>
        value.Length == length ? value.ToArray() : throw Bad($"{name} is not {length} octets");

    private static ProvisioningException Bad(string detail) => new("malformed-content", $"MCIM payload: {detail}");

    private static void Validate(McimContent content)
    {
        ArgumentNullException.ThrowIfNull(content);
        if (!IsImsi(content.Imsi))
            throw new ArgumentException("IMSI: 6 to 15 digits", nameof(content));
        if (content.K is not { Length: 16 } || content.Opc is not { Length: 16 })
            throw new ArgumentException("K and OPc: 16 octets each", nameof(content));
        if (!IsAlgorithmName(content.Algorithm))
            throw new ArgumentException("algorithm: 1 to 32 of a-z 0-9 -", nameof(content));
        if (content.Amf is not null && content.Amf.Length != 2)
            throw new ArgumentException("AMF: 2 octets", nameof(content));
        if (content.AuthorisationToken is { Length: 0 or > MaxTokenLength })
            throw new ArgumentException($"authorisation token: 1 to {MaxTokenLength} octets", nameof(content));
    }

    private static bool IsImsi(string s) => s.Length is >= 6 and <= 15 && s.All(char.IsAsciiDigit);

    private static bool IsAlgorithmName(string s) => s.Length is >= 1 and <= 32 && s.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c == '-');

    private static void Put(Span<byte> d, ref int at, byte tag, ReadOnlySpan<byte> value)
    {
        d[at] = tag;
        d[at + 1] = (byte)value.Length;
        value.CopyTo(d[(at + 2)..]);
        at += 2 + value.Length;
    }
}
