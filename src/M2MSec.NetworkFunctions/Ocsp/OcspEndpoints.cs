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
        var root = prefix.TrimEnd('/');
        var suffix = root.Length == 0 ? "" : root.Replace('/', '-');
        app.MapPost(root.Length == 0 ? "/" : root, PostAsync).WithName("ocspPost" + suffix).WithSummary("OCSP request, DER (RFC 6960 A.1)")
            .DocumentsBody<byte[]>(RequestMediaType).Produces<byte[]>(StatusCodes.Status200OK, ResponseMediaType).ProducesProblems(StatusCodes.Status415UnsupportedMediaType);
        // Catch-all: base64 contains '/', which the client may leave unencoded.
        app.MapGet(root + "/{**request}", GetAsync).WithName("ocspGet" + suffix).WithSummary("OCSP request, base64 in the path (RFC 6960 A.1)")
            .Produces<byte[]>(StatusCodes.Status200OK, ResponseMediaType);
        return app;
    }

    private static async Task<IResult> PostAsync(HttpContext context, CancellationToken ct)
    {
        if (!IsOcspRequestType(context.Request.ContentType))
            return Results.Problem(detail: $"content-type: expected {RequestMediaType}", statusCode: StatusCodes.Status415UnsupportedMediaType,
                type: "urn:m2msec:error:bad-content-type");
        var body = await RequestBody.ReadAsync(context.Request, MaxRequestBytes, ct).ConfigureAwait(false);
        return await AnswerAsync(context, body, ct).ConfigureAwait(false);
    }

    private static Task<IResult> GetAsync(string? request, HttpContext context, CancellationToken ct)
    {
        // The server decodes the path except %2F; base64 has no '%', so decoding again is safe.
        var text = Uri.UnescapeDataString(request ?? "");
        return AnswerAsync(context, text.Length <= MaxRequestBytes * 2 ? DecodeBase64(text) : null, ct);
    }

    private static async Task<IResult> AnswerAsync(HttpContext context, byte[]? request, CancellationToken ct)
    {
        var responder = context.RequestServices.GetRequiredService<OcspResponder>();
        var answer = request is null
            ? new OcspAnswer(OcspResponder.ErrorResponse(OcspRespStatus.MalformedRequest), OcspRespStatus.MalformedRequest, [])
            : await responder.AnswerAsync(request, ct).ConfigureAwait(false);
        context.RequestServices.GetService<OcspMetrics>()?.Answered(answer);
        return Results.Bytes(answer.Der, ResponseMediaType);
    }

    /// <summary>The client side: POSTs a DER request to <paramref name="responder"/> and returns the DER response.</summary>
    public static async Task<byte[]> QueryAsync(HttpClient http, Uri responder, byte[] requestDer, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(http);
        using var content = new ByteArrayContent(requestDer);
        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue(RequestMediaType);
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
        using var request = new HttpRequestMessage(HttpMethod.Post, responder) { Content = new ByteArrayContent(requestDer) };
        request.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue(RequestMediaType);
        using var response = http.Send(request);
        response.EnsureSuccessStatusCode();
        using var body = response.Content.ReadAsStream();
        using var copy = new MemoryStream();
        body.CopyTo(copy);
        return copy.ToArray();
    }

    private static bool IsOcspRequestType(string? contentType) =>
        contentType is not null && contentType.Split(';')[0].Trim().Equals(RequestMediaType, StringComparison.OrdinalIgnoreCase);

    /// <summary>Standard base64 (RFC 6960 A.1) or, leniently, base64url; null when neither.</summary>
    private static byte[]? DecodeBase64(string text)
    {
        var standard = text.Replace('-', '+').Replace('_', '/');
        standard = standard.PadRight(standard.Length + (4 - standard.Length % 4) % 4, '=');
        var bytes = new byte[standard.Length];
        return Convert.TryFromBase64String(standard, bytes, out var written) && written > 0 ? bytes[..written] : null;
    }
}
