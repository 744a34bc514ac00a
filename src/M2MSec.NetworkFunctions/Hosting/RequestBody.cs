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
        using var buffer = new MemoryStream();
        var chunk = new byte[8192];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, ct).ConfigureAwait(false)) > 0)
        {
            if (buffer.Length + read > max)
                return null;
            buffer.Write(chunk, 0, read);
        }
        return buffer.ToArray();
    }
}
