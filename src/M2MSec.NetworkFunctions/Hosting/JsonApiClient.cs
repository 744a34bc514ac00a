using System.Net;
using System.Net.Http.Json;

namespace M2MSec.NetworkFunctions.Hosting;

/// <summary>The JSON calls typed clients make to a network function's API (snake_case, problems as <see cref="PeerRequestException"/>).</summary>
public static class JsonApiClient
{
    public static async Task<TResponse> PostAsync<TRequest, TResponse>(HttpClient http, string path, TRequest request, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(http);
        using var response = await http.PostAsJsonAsync(path, request, NetworkFunctionHost.JsonOptions, ct).ConfigureAwait(false);
        await EnsureAsync(response, ct).ConfigureAwait(false);
        return await response.Content.ReadFromJsonAsync<TResponse>(NetworkFunctionHost.JsonOptions, ct).ConfigureAwait(false)
            ?? throw new PeerRequestException(response.StatusCode, $"{path}: empty answer");
    }

    public static async Task<TResponse> PutAsync<TRequest, TResponse>(HttpClient http, string path, TRequest request, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(http);
        using var response = await http.PutAsJsonAsync(path, request, NetworkFunctionHost.JsonOptions, ct).ConfigureAwait(false);
        await EnsureAsync(response, ct).ConfigureAwait(false);
        return await response.Content.ReadFromJsonAsync<TResponse>(NetworkFunctionHost.JsonOptions, ct).ConfigureAwait(false)
            ?? throw new PeerRequestException(response.StatusCode, $"{path}: empty answer");
    }

    public static async Task<TResponse> GetAsync<TResponse>(HttpClient http, string path, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(http);
        using var response = await http.GetAsync(path, ct).ConfigureAwait(false);
        await EnsureAsync(response, ct).ConfigureAwait(false);
        return await response.Content.ReadFromJsonAsync<TResponse>(NetworkFunctionHost.JsonOptions, ct).ConfigureAwait(false)
            ?? throw new PeerRequestException(response.StatusCode, $"{path}: empty answer");
    }

    private static async Task EnsureAsync(HttpResponseMessage response, CancellationToken ct)
    {
        if (response.IsSuccessStatusCode)
            return;
        var body = await response.Content.ReadAsStringAsync(ct).ConfigureAwait(false);
        throw new PeerRequestException(response.StatusCode, body.Length > 2048 ? body[..2048] : body);
    }
}

/// <summary>A network function refused a request; the HTTP status and the problem document (RFC 9457) say why.</summary>
public sealed class PeerRequestException(HttpStatusCode statusCode, string problem)
    : HttpRequestException($"answered {(int)statusCode}: {problem}", null, statusCode)
{
    public string Problem { get; } = problem;

    /// <summary>The problem's type key (after urn:m2msec:error:), or null.</summary>
    public string? ProblemType
    {
        get
        {
            try
            {
                using var doc = System.Text.Json.JsonDocument.Parse(Problem);
                return doc.RootElement.TryGetProperty("type", out var t) && t.GetString() is { } s ? s.Replace("urn:m2msec:error:", "", StringComparison.Ordinal) : null;
            }
            catch (System.Text.Json.JsonException)
            {
                return null;
            }
        }
    }
}
