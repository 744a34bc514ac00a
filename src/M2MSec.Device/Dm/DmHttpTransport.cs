using System.Net.Http.Headers;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using M2MSec.Dm.Auth;
using M2MSec.Dm.SyncMl;
using M2MSec.Ota.Scp81;
using M2MSec.Pki.Tls;
using M2MSec.Pki.Validation;

namespace M2MSec.Device.Dm;

/// <summary>
/// The DM client's transport: SyncML XML over HTTPS under the TLS profile, the server certificate
/// checked by the device's <see cref="ServerCertificateChecker"/> against the root in its TRE
/// (never the system store). The last verdict is kept so a refused handshake says why.
/// </summary>
/// <remarks>
/// In <see cref="CheckMode.Stapled"/> the TLS client is BouncyCastle's <see cref="ProfileTlsClient"/>
/// (SslStream cannot hand out a stapled OCSP response): HttpClient opens each connection through a
/// ConnectCallback that runs that handshake — the check with the staple inside it — and then speaks
/// plain HTTP/1.1 over the BouncyCastle stream. A refused certificate surfaces as
/// <see cref="HttpRequestException"/> (its inner exception the bad_certificate <see cref="Org.BouncyCastle.Tls.TlsFatalAlert"/>)
/// in both paths.
/// </remarks>
public sealed class DmHttpTransport : IDisposable
{
    public const string MediaType = "application/vnd.syncml.dm+xml";

    /// <summary>The name of the thread each OCSP-checked handshake runs on (docs/decisions/058).</summary>
    public const string HandshakeThreadName = "DM handshake";

    private readonly HttpClient _http;
    private readonly Uri _server;

    // The TLS is made in the ConnectCallback (stapled mode, OCSP with a nonce): HttpClient speaks plain HTTP/1.1 over it.
    private readonly bool _ownTls;

    /// <param name="server">The DM server's URL.</param>
    /// <param name="checker">The device's check of the server certificate (root from the TRE).</param>
    /// <param name="mode">Secure clock, OCSP with a nonce, or the OCSP response the server stapled (BouncyCastle TLS client).</param>
    /// <param name="ocspUrl">The OCSP responder (ocsp-nonce mode), if not taken from the certificate.</param>
    /// <param name="tlsResumption">
    /// Resume TLS sessions to the server (a DNS name, not an IP address: .NET keys its client cache by name).
    /// The certificate check still runs on every handshake, resumed or not (.NET calls the validation
    /// callback with the certificate kept in the session). Off by default: the strict profile. Not in stapled mode.
    /// </param>
    /// <param name="onHandshake">Called with the TLS stream after each accepted handshake (measurements). Not in stapled mode.</param>
    public DmHttpTransport(Uri server, ServerCertificateChecker checker, CheckMode mode, Uri? ocspUrl = null, bool tlsResumption = false,
        Action<SslStream>? onHandshake = null)
    {
        ArgumentNullException.ThrowIfNull(server);
        ArgumentNullException.ThrowIfNull(checker);
        _server = server;
        if (mode == CheckMode.Stapled)
        {
            if (tlsResumption || onHandshake is not null)
                throw new ArgumentException("stapled mode uses the BouncyCastle TLS client: no session resumption, no SslStream to hand out");
            // The BouncyCastle stream is the TLS; HttpClient must not add its own, so it is told http.
            _server = new UriBuilder(server) { Scheme = Uri.UriSchemeHttp, Port = server.Port }.Uri;
            _ownTls = true;
            var handler = new SocketsHttpHandler { UseProxy = false, ConnectCallback = (context, ct) => ConnectStapledAsync(context, server.Host, checker, ct) };
            _http = new HttpClient(new ConnectionErrorHandler(handler)) { Timeout = TimeSpan.FromSeconds(30), MaxResponseContentBufferSize = SyncMlLimits.Default.MaxDocumentBytes };
            return;
        }
        var options = TlsProfile.CreateClientOptions(server.Host, (sender, certificate, chain, _) =>
        {
            if (certificate is null)
                return false;
            var leaf = certificate as X509Certificate2 ?? X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
            var intermediates = chain?.ChainPolicy.ExtraStore.Where(c => c.Thumbprint != leaf.Thumbprint).ToList() ?? [];
            // The handshake callback is synchronous; the check (an OCSP round trip in ocsp-nonce mode) runs to
            // completion here — give the checker a blocking OCSP transport, or many parallel handshakes
            // can starve the thread pool their own OCSP I/O needs.
            LastVerdict = checker.CheckAsync(mode, leaf, intermediates, ocspUrl: ocspUrl).GetAwaiter().GetResult();
            if (LastVerdict.Accepted && sender is SslStream tls)
                onHandshake?.Invoke(tls);
            return LastVerdict.Accepted;
        }, resumable: tlsResumption);
        if (mode == CheckMode.OcspNonce)
        {
            // The check waits for the responder inside the synchronous callback: the handshake runs on a thread of its own, so that
            // no pool thread waits for an OCSP answer a responder in the same process needs a pool thread to give (decision 058).
            _server = new UriBuilder(server) { Scheme = Uri.UriSchemeHttp, Port = server.Port }.Uri;
            _ownTls = true;
            // No proxy: the callback makes the TLS to the server itself (an http_proxy setting would send the plain HTTP elsewhere).
            var handler = new SocketsHttpHandler { UseProxy = false, ConnectCallback = (context, ct) => ConnectCheckedAsync(context, options, ct) };
            _http = new HttpClient(new ConnectionErrorHandler(handler)) { Timeout = TimeSpan.FromSeconds(30), MaxResponseContentBufferSize = SyncMlLimits.Default.MaxDocumentBytes };
            return;
        }
        _http = new HttpClient(new ConnectionErrorHandler(new SocketsHttpHandler { SslOptions = options })) { Timeout = TimeSpan.FromSeconds(30), MaxResponseContentBufferSize = SyncMlLimits.Default.MaxDocumentBytes };
    }

    /// <summary>TCP, then the SslStream handshake — its certificate callback asking the OCSP responder — on a thread of its own.</summary>
    private static async ValueTask<Stream> ConnectCheckedAsync(SocketsHttpConnectionContext context, SslClientAuthenticationOptions options,
        CancellationToken cancellationToken) =>
        await SessionThread.ConnectTlsAsync(HandshakeThreadName, context.DnsEndPoint, options, cancellationToken).ConfigureAwait(false);

    /// <summary>
    /// TCP, then the BouncyCastle handshake (blocking, on the thread pool), with the staple checked in
    /// its certificate callback: a refusal aborts the handshake with bad_certificate.
    /// </summary>
    private async ValueTask<Stream> ConnectStapledAsync(SocketsHttpConnectionContext context, string serverName, ServerCertificateChecker checker,
        CancellationToken cancellationToken)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(context.DnsEndPoint, cancellationToken).ConfigureAwait(false);
            var tcp = new NetworkStream(socket, ownsSocket: true);
            var connection = await Task.Run(() => ProfileTlsClient.Connect(tcp, serverName, evidence =>
            {
                // Stapled mode needs no network: the check completes synchronously.
                LastVerdict = checker.CheckAsync(CheckMode.Stapled, evidence.Leaf, evidence.Chain.Skip(1).ToList(), staple: evidence.StapledOcspResponse)
                    .GetAwaiter().GetResult();
                return LastVerdict.Accepted;
            }), cancellationToken).ConfigureAwait(false);
            return new ProfileTlsHttpStream(connection);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>The verdict on the server's certificate in the last handshake.</summary>
    public CertificateVerdict? LastVerdict { get; private set; }

    /// <summary>
    /// POSTs one message (with its x-syncml-hmac header under auth-MAC) to the server URL, or to the session's RespURI
    /// when the message names one (same scheme, host and port only), and returns the answer's bytes and header.
    /// </summary>
    public async Task<SyncMlWireMessage> ExchangeAsync(SyncMlWireMessage message, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        var target = _server;
        if (message.Target is not null)
        {
            var given = new Uri(message.Target, UriKind.Absolute);
            target = _ownTls ? new UriBuilder(given) { Scheme = Uri.UriSchemeHttp, Port = given.Port }.Uri : given;
            if (Uri.Compare(target, _server, UriComponents.SchemeAndServer, UriFormat.UriEscaped, StringComparison.OrdinalIgnoreCase) != 0)
                throw new ArgumentException("the RespURI is not on the server's scheme, host and port", nameof(message));
        }
        using var request = new HttpRequestMessage(HttpMethod.Post, target) { Content = new ByteArrayContent(message.Body) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue(MediaType);
        if (message.Hmac is not null)
            request.Headers.TryAddWithoutValidation(SyncMlHmacHeader.HeaderName, message.Hmac);
        using var response = await _http.SendAsync(request, cancellationToken).ConfigureAwait(false);
        response.EnsureSuccessStatusCode();
        var body = await response.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
        var hmac = response.Headers.TryGetValues(SyncMlHmacHeader.HeaderName, out var values) ? values.FirstOrDefault() : null;
        return new SyncMlWireMessage(body, hmac);
    }

    public void Dispose() => _http.Dispose();
}
