using System.Net.Security;
using System.Security.Cryptography.X509Certificates;

namespace M2MSec.Pki.Tls;

/// <summary>
/// The server's certificate context with OCSP stapling: one <see cref="SslStreamCertificateContext"/>
/// per certificate, built with <c>offline: false</c>. On Linux (.NET 7+, OpenSSL) such a context
/// fetches an OCSP response from the leaf's AIA OCSP URL (HTTP GET, RFC 6960 A.1) in the
/// background as soon as it is created, checks it against the issuer, and staples it to every
/// handshake whose client sent status_request (TLS 1.2 CertificateStatus, TLS 1.3 in the leaf's
/// certificate entry). It refreshes the response by itself — at the earliest of 24 h after the
/// fetch and 5 min before nextUpdate, triggered by a handshake, the handshake itself getting the
/// cached one — and retries 5 s after a failed fetch.
/// </summary>
/// <remarks>
/// The context must therefore live as long as its certificate: a context per connection would
/// fetch once per handshake and never have a response ready. A handshake before the first fetch
/// has completed goes out without a staple (.NET never waits for it). .NET finds the issuer only
/// through a chain built to a self-signed root, so <c>chain</c> must hold the intermediates
/// <em>and</em> the root (the root is not sent). On Windows and macOS .NET staples nothing.
/// </remarks>
public sealed class StaplingCertificateContext
{
    private readonly X509Certificate2Collection _chain;
    private readonly Lock _gate = new();
    private X509Certificate2? _certificate;
    private SslStreamCertificateContext? _context;

    /// <param name="chain">The certificates above the leaf up to and including the root.</param>
    public StaplingCertificateContext(X509Certificate2Collection chain)
    {
        ArgumentNullException.ThrowIfNull(chain);
        if (!chain.Any(c => c.SubjectName.RawData.AsSpan().SequenceEqual(c.IssuerName.RawData)))
            throw new ArgumentException("OCSP stapling needs the root in the chain: .NET fetches a staple only for a chain built to a root.", nameof(chain));
        _chain = chain;
    }

    /// <summary>How many contexts were built (one per distinct certificate seen).</summary>
    public int ContextsBuilt { get; private set; }

    /// <summary>
    /// The context for <paramref name="certificate"/> (with its private key): the cached one while the
    /// certificate is the same, a new one (and a new fetch, started now) for a renewed certificate.
    /// </summary>
    public SslStreamCertificateContext For(X509Certificate2 certificate)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        lock (_gate)
        {
            if (_context is not null && _certificate is not null
                && (ReferenceEquals(_certificate, certificate) || _certificate.RawData.AsSpan().SequenceEqual(certificate.RawData)))
                return _context;
            if (!certificate.HasPrivateKey)
                throw new ArgumentException("The server certificate needs its private key.", nameof(certificate));
            _context = SslStreamCertificateContext.Create(certificate, _chain, offline: false);
            _certificate = certificate;
            ContextsBuilt++;
            return _context;
        }
    }
}
