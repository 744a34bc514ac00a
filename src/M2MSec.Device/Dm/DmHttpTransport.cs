using System.Net.Http.Headers;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using M2MSec.Dm.SyncMl;
using M2MSec.Pki.Tls;
using M2MSec.Pki.Validation;

namespace M2MSec.Device.Dm;

/// <summary>
/// The DM client's transport: SyncML XML over HTTPS under the TLS profile, the server certificate
/// checked by the device's <see cref="ServerCertificateChecker"/> against the root in its TRE
/// (never the system store). The last verdict is kept so a refused handshake says why.
/// </summary>
public sealed class DmHttpTransport : IDisposable
{
    public const string MediaType = "application/vnd.syncml.dm+xml";

    private readonly HttpClient _http;
    private readonly Uri _server;

    /// <param name="server">The DM server's URL.</param>
    /// <param name="checker">The device's check of the server certificate (root from the TRE).</param>
    /// <param name="mode">Secure clock or OCSP with a nonce.</param>
    /// <param name="ocspUrl">The OCSP responder (ocsp-nonce mode), if not taken from the certificate.</param>
    /// <param name="tlsResumption">
    /// Resume TLS sessions to the server (a DNS name, not an IP address: .NET keys its client cache by name).
    /// The certificate check still runs on every handshake, resumed or not (.NET calls the validation
    /// callback with the certificate kept in the session). Off by default: the strict profile.
    /// </param>
    /// <param name="onHandshake">Called with the TLS stream after each accepted handshake (measurements).</param>
    public DmHttpTransport(Uri server, ServerCertificateChecker checker, CheckMode mode, Uri? ocspUrl = null, bool tlsResumption = false,
        Action<SslStream>? onHandshake = null)
    {
        ArgumentNullException.ThrowIfNull(server);
        ArgumentNullException.ThrowIfNull(checker);
        _server = server;
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
        _http = new HttpClient(new SocketsHttpHandler { SslOptions = options }) { Timeout = TimeSpan.FromSeconds(30) };
    }

    /// <summary>The verdict on the server's certificate in the last handshake.</summary>
    public CertificateVerdict? LastVerdict { get; private set; }

    public async Task<SyncMlMessage> ExchangeAsync(SyncMlMessage message, CancellationToken cancellationToken)
    {
        using var content = new ByteArrayContent(SyncMlXml.Write(message));
        content.Headers.ContentType = new MediaTypeHeaderValue(MediaType);
        using var response = await _http.PostAsync(_server, content, cancellationToken).ConfigureAwait(false);
        response.EnsureSuccessStatusCode();
        return SyncMlXml.Parse(await response.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false));
    }

    public void Dispose() => _http.Dispose();
}
