using System.Net.Sockets;

namespace M2MSec.Pki.Tls;

/// <summary>
/// Gives a connection that failed under <see cref="SocketsHttpHandler"/> the documented shape: an
/// <see cref="HttpRequestException"/> with <see cref="HttpRequestError.ConnectionError"/>. .NET 10 lets one
/// <see cref="SocketException"/> escape unwrapped: a peer that resets the connection right after accepting it makes
/// connection setup's read of <see cref="Socket.RemoteEndPoint"/> fail with ENOTCONN (107). Every caller of the
/// product's HTTP clients handles <see cref="HttpRequestException"/> (a transient failure, exit code 4); without
/// this wrapper that one reset would be taken for a program error (a clean-clone CI run met it, issue 19).
/// </summary>
public sealed class ConnectionErrorHandler(HttpMessageHandler inner) : DelegatingHandler(inner)
{
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        try
        {
            return await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
        }
        catch (SocketException e)
        {
            throw Wrapped(e);
        }
    }

    protected override HttpResponseMessage Send(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        try
        {
            return base.Send(request, cancellationToken);
        }
        catch (SocketException e)
        {
            throw Wrapped(e);
        }
    }

    private static HttpRequestException Wrapped(SocketException e) => new(HttpRequestError.ConnectionError, e.Message, e);
}
