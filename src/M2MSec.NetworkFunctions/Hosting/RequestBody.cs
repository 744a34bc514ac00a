using Microsoft.AspNetCore.Http;

namespace M2MSec.NetworkFunctions.Hosting;

/// <summary>Request bodies read whole but bounded: a peer cannot make a function buffer more than it allows.</summary>
public static class RequestBody
{
    /// <summary>The body, or null when it is (or claims to be) longer than <paramref name="max"/> octets.</summary>
    public static async Task<byte[]?> ReadAsync(HttpRequest request, int max, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.ContentLength > max)
            return null;
        int read;
        if (request.ContentLength is { } length)
        {
            // Its length announced (the server ends the body there): read into one array of that size, no growing buffer.
            var body = new byte[length];
            var at = 0;
            while (at < body.Length && (read = await request.Body.ReadAsync(body.AsMemory(at), ct).ConfigureAwait(false)) > 0)
                at += read;
            return at == body.Length ? body : body[..at];
        }
        using var buffer = new MemoryStream();
        var chunk = new byte[8192];
        while ((read = await request.Body.ReadAsync(chunk, ct).ConfigureAwait(false)) > 0)
        {
            if (buffer.Length + read > max)
                return null;
            buffer.Write(chunk, 0, read);
        }
        return buffer.ToArray();
    }
}
