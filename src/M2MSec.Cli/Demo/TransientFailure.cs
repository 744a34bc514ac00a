using System.Net;
using System.Net.Sockets;
using System.Security.Authentication;

namespace M2MSec.Cli.Demo;

/// <summary>
/// Short reason keys for what went wrong in a demo device's flow, and which of them are transient (worth
/// a retry): timeouts, refused or reset connections, and overload answers (408, 429, 500, 502, 503, 504).
/// A refusal by a security check — a TLS handshake refused (certificate, alert), 401/403, any other 4xx — is never transient; a
/// handshake whose connection was reset or ended without an alert is.
/// </summary>
internal static class TransientFailure
{
    public const string Timeout = "timeout";
    public const string ConnectionRefused = "connection-refused";
    public const string ConnectionReset = "connection-reset";
    public const string TlsRefused = "tls-refused";

    public static bool IsTransient(HttpStatusCode status) => (int)status is 408 or 429 or 500 or 502 or 503 or 504;

    /// <summary>
    /// The key of a transient failure, or null if <paramref name="e"/> is not one. <paramref name="caller"/> is
    /// the caller's own token: a cancellation it asked for is not a timeout.
    /// </summary>
    public static string? TransientKey(Exception e, CancellationToken caller = default) => e switch
    {
        OperationCanceledException when !caller.IsCancellationRequested => Timeout,
        TimeoutException => Timeout,
        HttpRequestException { StatusCode: { } status } when IsTransient(status) => Http(status),
        // The transport ended under the handshake (a reset or EOF, no TLS alert: a loaded or killed role) is not a refusal; a
        // certificate or alert refusal surfaces as an AuthenticationException and stays one.
        HttpRequestException { HttpRequestError: HttpRequestError.SecureConnectionError, InnerException: IOException } => ConnectionReset,
        HttpRequestException { HttpRequestError: HttpRequestError.SecureConnectionError } => null,
        HttpRequestException { HttpRequestError: HttpRequestError.ConnectionError } => ConnectionRefused,
        HttpRequestException { HttpRequestError: HttpRequestError.ResponseEnded } => ConnectionReset,
        HttpRequestException or IOException or SocketException => Socket(e) switch
        {
            SocketError.ConnectionRefused => ConnectionRefused,
            SocketError.ConnectionReset or SocketError.ConnectionAborted or SocketError.Shutdown or SocketError.NotConnected => ConnectionReset,
            SocketError.TimedOut => Timeout,
            _ => null,
        },
        _ => null,
    };

    /// <summary>The reason key of any failure thrown in <paramref name="stageKey"/>: transient ones by kind, refusals by status.</summary>
    public static string Key(Exception e, string stageKey, CancellationToken caller = default) => TransientKey(e, caller) ?? e switch
    {
        HttpRequestException { StatusCode: { } status } => Http(status),
        HttpRequestException { HttpRequestError: HttpRequestError.SecureConnectionError } => TlsRefused,
        AuthenticationException => TlsRefused,
        _ when e.InnerException is AuthenticationException => TlsRefused,
        _ => stageKey + "-error",
    };

    private static string Http(HttpStatusCode status) => $"http-{(int)status}";

    private static SocketError? Socket(Exception e)
    {
        for (var inner = e; inner is not null; inner = inner.InnerException)
        {
            if (inner is SocketException s)
                return s.SocketErrorCode;
        }
        return null;
    }
}
