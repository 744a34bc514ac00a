using System.Collections.Concurrent;
using System.Net.Security;
using M2MSec.Ota.Scp81;

namespace M2MSec.NetworkFunctions.Hosting;

/// <summary>
/// Decision 062: the TLS handshake of a network function's client towards a peer, on a thread of its own (<see cref="SessionThread"/>),
/// never on the thread pool. The handshake's certificate callback is synchronous, and on a cache miss it waits for the OCSP
/// responder (<see cref="PeerRevocationChecker.Check"/>); a burst of first requests to a peer — a function just started, or
/// restarted after a crash — held as many pool threads, while the OCSP query needed a pool thread to open its own connection: the
/// query timed out after 5 s and the peer was refused, fail-closed, for 2 s more (the kill-and-resume test: 18 requests of the SHO
/// to the HSS at once). SocketsHttpHandler then speaks HTTP/1.1 over the TLS stream made here, as the device's DM transport does
/// in OCSP-nonce mode (decision 058).
/// </summary>
internal static class PeerTlsConnector
{
    /// <summary>The name of the thread each peer handshake runs on.</summary>
    public const string HandshakeThreadName = "peer handshake";

    /// <summary>
    /// The handler: HTTPS for its callers, the TLS made in <see cref="SocketsHttpHandler.ConnectCallback"/> with the options
    /// <paramref name="options"/> gives for a host name, plain HTTP/1.1 between the two. No proxy (it would be handed the plain
    /// HTTP) and no automatic redirect (a followed https URI would be given TLS twice).
    /// </summary>
    public static HttpMessageHandler Create(Func<string, SslClientAuthenticationOptions> options, TimeSpan pooledConnectionLifetime)
    {
        ArgumentNullException.ThrowIfNull(options);
        var perHost = new ConcurrentDictionary<string, SslClientAuthenticationOptions>(StringComparer.OrdinalIgnoreCase);
        return new WireSchemeHandler(new SocketsHttpHandler
        {
            UseProxy = false,
            AllowAutoRedirect = false,
            PooledConnectionLifetime = pooledConnectionLifetime,
            ConnectCallback = async (context, ct) =>
                await SessionThread.ConnectTlsAsync(HandshakeThreadName, context.DnsEndPoint, perHost.GetOrAdd(context.DnsEndPoint.Host, options), ct).ConfigureAwait(false),
        });
    }

    /// <summary>
    /// A request's https URI goes to SocketsHttpHandler as http on the same host and port (the TLS is already made under it) and is
    /// given back afterwards; any other scheme is refused, so nothing is ever sent to a peer without TLS.
    /// </summary>
    private sealed class WireSchemeHandler(HttpMessageHandler inner) : DelegatingHandler(inner)
    {
        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var original = ToWire(request);
            try
            {
                return await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                request.RequestUri = original;
            }
        }

        protected override HttpResponseMessage Send(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var original = ToWire(request);
            try
            {
                return base.Send(request, cancellationToken);
            }
            finally
            {
                request.RequestUri = original;
            }
        }

        private static Uri ToWire(HttpRequestMessage request)
        {
            var uri = request.RequestUri;
            if (uri is null || !uri.IsAbsoluteUri || uri.Scheme != Uri.UriSchemeHttps)
                throw new HttpRequestException(HttpRequestError.SecureConnectionError, $"a peer is reached over https only, not '{uri}'");
            request.RequestUri = new UriBuilder(uri) { Scheme = Uri.UriSchemeHttp, Port = uri.Port }.Uri;
            return uri;
        }
    }
}
