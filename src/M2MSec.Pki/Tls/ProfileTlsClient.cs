using System.Net;
using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using Org.BouncyCastle.Security;
using Org.BouncyCastle.Tls;
using Org.BouncyCastle.Tls.Crypto.Impl.BC;

namespace M2MSec.Pki.Tls;

/// <summary>
/// The device's TLS client for the <see cref="TlsProfile"/> (BouncyCastle, because SslStream
/// cannot hand out a stapled OCSP response). Offers TLS 1.2 and 1.3 with the profile's suites and
/// groups, requests OCSP stapling (status_request, RFC 6066 §8, no responder ids or extensions),
/// and leaves the server's authentication to the caller: BouncyCastle checks the handshake
/// signatures against the leaf's key, the callback must validate the chain (and the staple).
/// </summary>
public static class ProfileTlsClient
{
    /// <summary>
    /// Runs the handshake over <paramref name="transport"/> (blocking). <paramref name="serverName"/>
    /// goes into SNI when it is a DNS name. <paramref name="authenticate"/> returning false aborts
    /// with a bad_certificate alert (<see cref="TlsFatalAlert"/> thrown). <paramref name="clientCertificate"/>
    /// (ECDSA with private key) answers a CertificateRequest. The transport is closed on failure
    /// and when the connection is disposed.
    /// </summary>
    public static ProfileTlsConnection Connect(Stream transport, string serverName, Func<TlsServerEvidence, bool> authenticate, X509Certificate2? clientCertificate = null)
    {
        ArgumentNullException.ThrowIfNull(transport);
        ArgumentNullException.ThrowIfNull(serverName);
        ArgumentNullException.ThrowIfNull(authenticate);
        var client = new DeviceTlsClient(new BcTlsCrypto(new SecureRandom()), serverName, authenticate, clientCertificate);
        var protocol = new TlsClientProtocol(transport);
        try
        {
            protocol.Connect(client);
        }
        catch
        {
            protocol.Close();
            throw;
        }
        var evidence = client.Evidence ?? throw new TlsFatalAlert(AlertDescription.internal_error, "no server certificate seen");
        return new ProfileTlsConnection(protocol, evidence, (TlsCipherSuite)client.NegotiatedCipherSuite);
    }

    internal static bool IsDnsName(string name) =>
        name.Length > 0 && !IPAddress.TryParse(name, out _) && Uri.CheckHostName(name) == UriHostNameType.Dns;

    internal static SslProtocols ToSslProtocols(ProtocolVersion version) =>
        version.Equals(ProtocolVersion.TLSv13) ? SslProtocols.Tls13
        : version.Equals(ProtocolVersion.TLSv12) ? SslProtocols.Tls12
        : SslProtocols.None;
}
