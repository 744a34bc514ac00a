using System.Globalization;
using System.Text;

namespace M2MSec.Ota.Scp81;

/// <summary>One HTTP/1.1 message of the admin protocol: start line, headers, body.</summary>
public sealed record AdminHttpMessage(string StartLine, IReadOnlyDictionary<string, string> Headers, byte[] Body)
{
    public string? Header(string name) => Headers.TryGetValue(name, out var v) ? v : null;
}

/// <summary>
/// The HTTP of the remote administration protocol (GlobalPlatform Amendment B, ETSI TS 102 226
/// §10): small messages with Content-Length over the PSK-TLS stream. Protocol constants live here.
/// </summary>
public static class AdminHttp
{
    public const string Protocol = "globalplatform-remote-admin/1.0";
    public const string ScriptMediaType = "application/vnd.globalplatform.card-content-mgt;version=1.0";
    public const string ResponseMediaType = "application/vnd.globalplatform.card-content-mgt-response;version=1.0";
    public const int MaxBody = 64 * 1024;

    public static async Task<AdminHttpMessage?> ReadAsync(Stream stream, CancellationToken ct)
    {
        var start = await ReadLineAsync(stream, ct).ConfigureAwait(false);
        if (start is null)
            return null;
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        while (await ReadLineAsync(stream, ct).ConfigureAwait(false) is { Length: > 0 } line)
        {
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon <= 0)
                throw new InvalidDataException($"malformed header line '{line}'");
            headers[line[..colon].Trim()] = line[(colon + 1)..].Trim();
            if (headers.Count > 64)
                throw new InvalidDataException("too many headers");
        }
        var length = headers.TryGetValue("Content-Length", out var cl) ? int.Parse(cl, NumberStyles.None, CultureInfo.InvariantCulture) : 0;
        if (length is < 0 or > MaxBody)
            throw new InvalidDataException($"Content-Length {length} is not accepted");
        var body = new byte[length];
        await stream.ReadExactlyAsync(body, ct).ConfigureAwait(false);
        return new AdminHttpMessage(start, headers, body);
    }

    /// <summary>Writes one message; returns the octets written (head and body, before TLS).</summary>
    public static async Task<int> WriteAsync(Stream stream, string startLine, IEnumerable<KeyValuePair<string, string>> headers, byte[]? body, CancellationToken ct)
    {
        var sb = new StringBuilder().Append(startLine).Append("\r\n");
        foreach (var (k, v) in headers)
            sb.Append(k).Append(": ").Append(v).Append("\r\n");
        sb.Append("Content-Length: ").Append((body?.Length ?? 0).ToString(CultureInfo.InvariantCulture)).Append("\r\n\r\n");
        var head = Encoding.ASCII.GetBytes(sb.ToString());
        await stream.WriteAsync(head, ct).ConfigureAwait(false);
        if (body is { Length: > 0 })
            await stream.WriteAsync(body, ct).ConfigureAwait(false);
        await stream.FlushAsync(ct).ConfigureAwait(false);
        return head.Length + (body?.Length ?? 0);
    }

    private static async Task<string?> ReadLineAsync(Stream stream, CancellationToken ct)
    {
        var bytes = new List<byte>();
        var one = new byte[1];
        while (true)
        {
            if (await stream.ReadAsync(one, ct).ConfigureAwait(false) == 0)
                return bytes.Count == 0 ? null : throw new EndOfStreamException("connection closed inside a line");
            if (one[0] == '\n')
                break;
            if (one[0] != '\r')
                bytes.Add(one[0]);
            if (bytes.Count > 8192)
                throw new InvalidDataException("header line too long");
        }
        return Encoding.ASCII.GetString([.. bytes]);
    }
}
