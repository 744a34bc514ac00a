using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;

namespace M2MSec.Pki.Tls;

/// <summary>
/// What the server presented in the handshake, for the device's decision: the certificate chain
/// as sent (leaf first), the stapled OCSPResponse DER (RFC 6066 §8 CertificateStatus in TLS 1.2,
/// the leaf's status_request extension in TLS 1.3, RFC 8446 §4.4.2.1) or null, and the version.
/// </summary>
public sealed record TlsServerEvidence(IReadOnlyList<X509Certificate2> Chain, byte[]? StapledOcspResponse, SslProtocols Protocol)
{
    public X509Certificate2 Leaf => Chain[0];
}
