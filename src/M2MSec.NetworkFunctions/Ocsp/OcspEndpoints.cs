using M2MSec.NetworkFunctions.Hosting;
using M2MSec.Pki.Ocsp;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Org.BouncyCastle.Ocsp;

namespace M2MSec.NetworkFunctions.Ocsp;

/// <summary>
/// OCSP over HTTP (RFC 6960 Appendix A.1, RFC 5019 §5): POST of the DER request, or GET of its
/// URL-encoded base64, answered with application/ocsp-response by the <see cref="OcspResponder"/> singleton.
/// </summary>
public static class OcspEndpoints
{
    public const string RequestMediaType = "application/ocsp-request";
    public const string ResponseMediaType = "application/ocsp-response";

    /// <summary>Larger requests are answered malformedRequest unread (16 CertIDs fit in ~1 KiB).</summary>
    public const int MaxRequestBytes = 64 * 1024;

    public static IEndpointRouteBuilder MapOcsp(this IEndpointRouteBuilder app, string prefix = "")
    {
        ArgumentNullException.ThrowIfNull(app);
        // Resolved once (singletons): issue 19, the OCSP path over HTTP against the HTTP floor.
        var responder = app.ServiceProvider.GetRequiredService<OcspResponder>();
        var metrics = app.ServiceProvider.GetService<OcspMetrics>();
        var root = prefix.TrimEnd('/');
        var suffix = root.Length == 0 ? "" : root.Replace('/', '-');
        app.MapPost(root.Length == 0 ? "/" : root, (HttpContext context, CancellationToken ct) => PostAsync(context, responder, metrics, ct))
            .WithName("ocspPost" + suffix).WithSummary("OCSP request, DER (RFC 6960 A.1)")
            .DocumentsBody<byte[]>(RequestMediaType).Produces<byte[]>(StatusCodes.Status200OK, ResponseMediaType).ProducesProblems(StatusCodes.Status415UnsupportedMediaType);
        // Catch-all: base64 contains '/', which the client may leave unencoded.
        app.MapGet(root + "/{**request}", (string? request, HttpContext context, CancellationToken ct) => GetAsync(request, context, responder, metrics, ct))
            .WithName("ocspGet" + suffix).WithSummary("OCSP request, base64 in the path (RFC 6960 A.1)")
            .Produces<byte[]>(StatusCodes.Status200OK, ResponseMediaType);
        return app;
    }

    private static async Task PostAsync(HttpContext context, OcspResponder responder, OcspMetrics? metrics, CancellationToken ct)
    {
        if (!IsOcspRequestType(context.Request.ContentType))
        {
            await Results.Problem(detail: $"content-type: expected {RequestMediaType}", statusCode: StatusCodes.Status415UnsupportedMediaType,
                type: "urn:m2msec:error:bad-content-type").ExecuteAsync(context).ConfigureAwait(false);
            return;
        }
        var body = await RequestBody.ReadAsync(context.Request, MaxRequestBytes, ct).ConfigureAwait(false);
        await AnswerAsync(context, responder, metrics, body, ct).ConfigureAwait(false);
    }

    private static Task GetAsync(string? request, HttpContext context, OcspResponder responder, OcspMetrics? metrics, CancellationToken ct)
    {
        // The server decodes the path except %2F; base64 has no '%', so decoding again is safe.
        var text = Uri.UnescapeDataString(request ?? "");
        return AnswerAsync(context, responder, metrics, text.Length <= MaxRequestBytes * 2 ? DecodeBase64(text) : null, ct);
    }

    private static async Task AnswerAsync(HttpContext context, OcspResponder responder, OcspMetrics? metrics, byte[]? request, CancellationToken ct)
    {
        var answer = request is null
            ? new OcspAnswer(OcspResponder.ErrorResponse(OcspRespStatus.MalformedRequest), OcspRespStatus.MalformedRequest, [])
            : await responder.AnswerAsync(request, ct).ConfigureAwait(false);
        metrics?.Answered(answer);
        // Written as is: Results.Bytes is a file result (conditional and range headers parsed, a logger created per answer),
        // which cost the OCSP path over HTTP more than its own endpoint code (issue 19).
        var response = context.Response;
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = ResponseMediaType;
        response.ContentLength = answer.Der.Length;
        await response.Body.WriteAsync(answer.Der, ct).ConfigureAwait(false);
    }

    /// <summary>The client side: POSTs a DER request to <paramref name="responder"/> and returns the DER response.</summary>
    public static async Task<byte[]> QueryAsync(HttpClient http, Uri responder, byte[] requestDer, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(http);
        using var content = RequestContent(requestDer);
        using var response = await http.PostAsync(responder, content, cancellationToken).ConfigureAwait(false);
        response.EnsureSuccessStatusCode();
        return await response.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// The same, blocking: for callers that must decide inside a synchronous TLS certificate callback,
    /// where waiting on async I/O would hold thread-pool threads the I/O itself needs.
    /// </summary>
    public static byte[] Query(HttpClient http, Uri responder, byte[] requestDer)
    {
        ArgumentNullException.ThrowIfNull(http);
        using var request = new HttpRequestMessage(HttpMethod.Post, responder) { Content = RequestContent(requestDer) };
        using var response = http.Send(request);
        response.EnsureSuccessStatusCode();
        using var body = response.Content.ReadAsStream();
        using var copy = new MemoryStream();
        body.CopyTo(copy);
        return copy.ToArray();
    }

    /// <summary>
    /// The DER as application/ocsp-request. The header is a constant, so it is stored as written, not parsed into a
    /// MediaTypeHeaderValue and formatted back for every request (issue 19: the client's part of the OCSP path over HTTP).
    /// </summary>
    private static ByteArrayContent RequestContent(byte[] requestDer)
    {
        var content = new ByteArrayContent(requestDer);
        content.Headers.TryAddWithoutValidation("Content-Type", RequestMediaType);
        return content;
    }

    /// <summary>The media type, its parameters (RFC 9110 §8.3.1) aside, is application/ocsp-request, case-insensitive.</summary>
    internal static bool IsOcspRequestType(string? contentType)
    {
        if (contentType is null)
            return false;
        var type = contentType.AsSpan();
        var semicolon = type.IndexOf(';');
        return (semicolon < 0 ? type : type[..semicolon]).Trim().Equals(RequestMediaType, StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>Standard base64 (RFC 6960 A.1) or, leniently, base64url; null when neither.</summary>
    private static byte[]? DecodeBase64(string text)
    {
        var standard = text.Replace('-', '+').Replace('_', '/');
        standard = standard.PadRight(standard.Length + (4 - standard.Length % 4) % 4, '=');
        var bytes = new byte[standard.Length];
        return Convert.TryFromBase64String(standard, bytes, out var written) && written > 0 ? bytes[..written] : null;
    }
}
