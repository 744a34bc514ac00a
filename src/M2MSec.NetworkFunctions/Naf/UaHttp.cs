using System.Text;

namespace M2MSec.NetworkFunctions.Naf;

/// <summary>The little HTTP/1.1 spoken inside a Ua PSK-TLS session: one request head (≤ 8 KiB, no body), one answer.</summary>
public static class UaHttp
{
    public const int MaxHead = 8 * 1024;

    /// <summary>The request or status line and headers up to the blank line; null when the peer closed first.</summary>
    public static async Task<string?> ReadHeadAsync(Stream stream, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(stream);
        var buffer = new byte[MaxHead];
        var length = 0;
        while (length < buffer.Length)
        {
            var read = await stream.ReadAsync(buffer.AsMemory(length, 1), ct).ConfigureAwait(false);
            if (read == 0)
                return length == 0 ? null : throw new InvalidDataException("the head ended early");
            length++;
            if (length >= 4 && buffer[length - 4] == '\r' && buffer[length - 3] == '\n' && buffer[length - 2] == '\r' && buffer[length - 1] == '\n')
                return Encoding.ASCII.GetString(buffer, 0, length);
        }
        throw new InvalidDataException("the head is longer than 8 KiB");
    }

    public static async Task WriteAsync(Stream stream, string status, string json, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(stream);
        var body = Encoding.UTF8.GetBytes(json);
        var head = Encoding.ASCII.GetBytes($"HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {body.Length}\r\nConnection: close\r\n\r\n");
        await stream.WriteAsync(head, ct).ConfigureAwait(false);
        await stream.WriteAsync(body, ct).ConfigureAwait(false);
        await stream.FlushAsync(ct).ConfigureAwait(false);
    }
}
