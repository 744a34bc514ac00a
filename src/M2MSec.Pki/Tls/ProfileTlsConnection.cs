using System.Net.Security;
using System.Security.Authentication;
using Org.BouncyCastle.Tls;

namespace M2MSec.Pki.Tls;

/// <summary>An established <see cref="ProfileTlsClient"/> session; disposing sends close_notify and closes the transport stream.</summary>
public sealed class ProfileTlsConnection : IDisposable
{
    private readonly TlsClientProtocol _protocol;

    internal ProfileTlsConnection(TlsClientProtocol protocol, TlsServerEvidence evidence, TlsCipherSuite cipherSuite)
    {
        _protocol = protocol;
        Evidence = evidence;
        CipherSuite = cipherSuite;
    }

    /// <summary>Application data, both directions.</summary>
    public Stream Stream => _protocol.Stream;

    public TlsServerEvidence Evidence { get; }

    public SslProtocols Protocol => Evidence.Protocol;

    public TlsCipherSuite CipherSuite { get; }

    public void Dispose() => _protocol.Close();
}
