using System.Net;
using System.Text;

namespace M2MSec.Ota.Scp81;

/// <summary>
/// The Administration Session Triggering Parameters (GlobalPlatform Card Specification Amendment B,
/// Table 3-3; TS 102 226 Annex B), sent as SCP80 secured data to the Security Domain's TAR:
/// '81' { '83' { '84' connection (TS 102 223 OPEN CHANNEL TLVs: '3C' transport, '3E' address),
/// '85' security (PSK identity, '02', KVN, KID), '86' retry policy, '89' HTTP POST { '8A' host,
/// '8B' agent id, '8C' URI } } }. See docs/research/scp81-trigger.md for the sources.
/// </summary>
public sealed record AdminSessionTrigger(IPEndPoint Server, string PskIdentity, byte KeyVersion, byte KeyId, string AdminHost, string AgentId, string AdminUri, ushort RetryCounter = 1)
{
    public const byte Tag = 0x81;

    public byte[] Encode()
    {
        if (Server.AddressFamily != System.Net.Sockets.AddressFamily.InterNetwork)
            throw new ArgumentException("Only IPv4 server addresses are encoded.");
        byte[] connection =
        [
            .. Tlv(0x3C, [0x02, (byte)(Server.Port >> 8), (byte)Server.Port]), // TCP, UICC in client mode, remote port
            .. Tlv(0x3E, [0x21, .. Server.Address.GetAddressBytes()]),          // IPv4 address
        ];
        var identity = Encoding.UTF8.GetBytes(PskIdentity);
        byte[] security = [(byte)identity.Length, .. identity, 0x02, KeyVersion, KeyId];
        byte[] retry = [(byte)(RetryCounter >> 8), (byte)RetryCounter, .. Tlv(0x25, [0x00, 0x00, 0x30])]; // retry after 30 s
        byte[] http = [.. Tlv(0x8A, Encoding.UTF8.GetBytes(AdminHost)), .. Tlv(0x8B, Encoding.UTF8.GetBytes(AgentId)), .. Tlv(0x8C, Encoding.UTF8.GetBytes(AdminUri))];
        byte[] session = [.. Tlv(0x84, connection), .. Tlv(0x85, security), .. Tlv(0x86, retry), .. Tlv(0x89, http)];
        return Tlv(Tag, Tlv(0x83, session));
    }

    /// <summary>Decodes a trigger; throws <see cref="FormatException"/> for a malformed or incomplete one.</summary>
    public static AdminSessionTrigger Decode(ReadOnlySpan<byte> data)
    {
        var outer = Children(Single(data, Tag));
        var session = Children(outer.TryGetValue(0x83, out var s) ? s : throw new FormatException("trigger: no '83' session parameters"));
        var connection = Children(Need(session, 0x84), comprehension: true);
        var transport = Need(connection, 0x3C);
        var address = Need(connection, 0x3E);
        if (transport.Length != 3 || address.Length != 5 || address[0] != 0x21)
            throw new FormatException("trigger: connection parameters are not TCP over IPv4");
        var security = Need(session, 0x85);
        if (security.Length < 1 || security.Length < 1 + security[0] + 3 || security[1 + security[0]] != 0x02)
            throw new FormatException("trigger: malformed security parameters");
        var http = Children(Need(session, 0x89));
        var retry = session.TryGetValue(0x86, out var r) && r.Length >= 2 ? (ushort)(r[0] << 8 | r[1]) : (ushort)1;
        return new AdminSessionTrigger(
            new IPEndPoint(new IPAddress(address[1..]), transport[1] << 8 | transport[2]),
            Encoding.UTF8.GetString(security.AsSpan(1, security[0])), security[2 + security[0]], security[3 + security[0]],
            Encoding.UTF8.GetString(Need(http, 0x8A)), Encoding.UTF8.GetString(Need(http, 0x8B)), Encoding.UTF8.GetString(Need(http, 0x8C)), retry);
    }

    private static byte[] Need(Dictionary<byte, byte[]> tlvs, byte tag) =>
        tlvs.TryGetValue(tag, out var v) ? v : throw new FormatException($"trigger: no '{tag:X2}'");

    private static byte[] Single(ReadOnlySpan<byte> data, byte tag)
    {
        var all = Children(data);
        return all.Count == 1 && all.TryGetValue(tag, out var v) ? v : throw new FormatException($"trigger: expected one '{tag:X2}' object");
    }

    /// <summary>Parses BER-TLVs (one-octet tags, short or '81' lengths); with <paramref name="comprehension"/> the CR bit is ignored.</summary>
    private static Dictionary<byte, byte[]> Children(ReadOnlySpan<byte> data, bool comprehension = false)
    {
        var result = new Dictionary<byte, byte[]>();
        while (!data.IsEmpty)
        {
            var tag = comprehension ? (byte)(data[0] & 0x7F) : data[0];
            if (data.Length < 2)
                throw new FormatException("trigger: truncated TLV");
            int length = data[1], header = 2;
            if (length == 0x81)
            {
                if (data.Length < 3)
                    throw new FormatException("trigger: truncated length");
                length = data[2];
                header = 3;
            }
            else if (length > 0x7F)
            {
                throw new FormatException("trigger: unsupported length form");
            }
            if (data.Length < header + length)
                throw new FormatException($"trigger: TLV '{tag:X2}' runs past its parent");
            result[tag] = data.Slice(header, length).ToArray();
            data = data[(header + length)..];
        }
        return result;
    }

    private static byte[] Tlv(byte tag, byte[] value) =>
        value.Length < 0x80 ? [tag, (byte)value.Length, .. value] : [tag, 0x81, (byte)value.Length, .. value];
}
