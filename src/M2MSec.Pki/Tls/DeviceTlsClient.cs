using System.Security.Cryptography.X509Certificates;
using System.Text;
using Org.BouncyCastle.Tls;
using Org.BouncyCastle.Tls.Crypto;
using Org.BouncyCastle.Tls.Crypto.Impl.BC;
using CertificateRequest = Org.BouncyCastle.Tls.CertificateRequest;

namespace M2MSec.Pki.Tls;

/// <summary>BouncyCastle client configured to the profile; see <see cref="ProfileTlsClient"/>.</summary>
internal sealed class DeviceTlsClient(TlsCrypto crypto, string serverName, Func<TlsServerEvidence, bool> authenticate, X509Certificate2? clientCertificate)
    : DefaultTlsClient(crypto)
{
    public TlsServerEvidence? Evidence { get; private set; }

    public int NegotiatedCipherSuite => m_context.SecurityParameters.CipherSuite;

    protected override ProtocolVersion[] GetSupportedVersions() => ProtocolVersion.TLSv13.DownTo(ProtocolVersion.TLSv12);

    protected override int[] GetSupportedCipherSuites() =>
        TlsUtilities.GetSupportedCipherSuites(Crypto, TlsProfile.CipherSuites.Select(s => (int)s).ToArray());

    protected override IList<int> GetSupportedGroups(IList<int> namedGroupRoles) => [NamedGroup.secp256r1, NamedGroup.secp384r1];

    protected override IList<ServerName>? GetSniServerNames() =>
        ProfileTlsClient.IsDnsName(serverName) ? [new ServerName(NameType.host_name, Encoding.ASCII.GetBytes(serverName))] : null;

    /// <summary>RFC 6066 §8: status_request of type ocsp, empty responder_id_list and request_extensions.</summary>
    protected override CertificateStatusRequest GetCertificateStatusRequest() =>
        new(CertificateStatusType.ocsp, new OcspStatusRequest(null, null));

    public override TlsAuthentication GetAuthentication() => new Authentication(this);

    internal void Accept(TlsServerCertificate server)
    {
        var chain = new List<X509Certificate2>();
        var list = server.Certificate;
        for (var i = 0; i < list.Length; i++)
            chain.Add(X509CertificateLoader.LoadCertificate(list.GetCertificateAt(i).GetEncoded()));
        if (chain.Count == 0)
            throw new TlsFatalAlert(AlertDescription.bad_certificate, "empty server certificate");
        var staple = StapleBytes(server);
        var evidence = new TlsServerEvidence(chain, staple, ProfileTlsClient.ToSslProtocols(m_context.ServerVersion));
        if (!authenticate(evidence))
            throw new TlsFatalAlert(AlertDescription.bad_certificate, "server refused by the device's policy");
        Evidence = evidence;
    }

    /// <summary>
    /// TLS 1.2: the CertificateStatus message, which BouncyCastle hands over. TLS 1.3: BouncyCastle
    /// leaves it in the leaf entry's status_request extension (RFC 8446 §4.4.2.1), read here.
    /// </summary>
    private static byte[]? StapleBytes(TlsServerCertificate server)
    {
        var status = server.CertificateStatus;
        if (status is not null)
            return status.StatusType == CertificateStatusType.ocsp ? status.OcspResponse.GetEncoded(Org.BouncyCastle.Asn1.Asn1Encodable.Der) : null;
        var certificate = server.Certificate;
        if (certificate.Length == 0 || certificate.GetCertificateEntryAt(0).Extensions is not { } extensions
            || !extensions.TryGetValue(ExtensionType.status_request, out var body))
            return null;
        return OcspFromCertificateStatus(body);
    }

    /// <summary>RFC 6066 §8 CertificateStatus: status_type ocsp(1), then OCSPResponse as opaque&lt;1..2^24-1&gt;.</summary>
    internal static byte[] OcspFromCertificateStatus(byte[] body)
    {
        if (body.Length < 5 || body[0] != CertificateStatusType.ocsp)
            throw new TlsFatalAlert(AlertDescription.decode_error, "status_request entry is not an OCSP CertificateStatus");
        var length = (body[1] << 16) | (body[2] << 8) | body[3];
        if (length == 0 || length != body.Length - 4)
            throw new TlsFatalAlert(AlertDescription.decode_error, "bad OCSPResponse length in status_request entry");
        return body[4..];
    }

    private TlsCredentials? ClientCredentials(CertificateRequest request)
    {
        if (clientCertificate is null)
            return null;
        using var ecdsa = clientCertificate.GetECDsaPrivateKey()
            ?? throw new TlsFatalAlert(AlertDescription.internal_error, "client certificate needs an ECDSA private key");
        var key = Org.BouncyCastle.Security.PrivateKeyFactory.CreateKey(ecdsa.ExportPkcs8PrivateKey());
        var tlsCert = Crypto.CreateCertificate(clientCertificate.RawData);
        var certificate = TlsUtilities.IsTlsV13(m_context)
            ? new Certificate(request.GetCertificateRequestContext(), [new CertificateEntry(tlsCert, null)])
            : new Certificate([tlsCert]);
        var hash = ecdsa.KeySize > 256 ? HashAlgorithm.sha384 : HashAlgorithm.sha256;
        var sigAlg = SignatureAndHashAlgorithm.GetInstance(hash, SignatureAlgorithm.ecdsa);
        return new BcDefaultTlsCredentialedSigner(
            new TlsCryptoParameters(m_context), (BcTlsCrypto)Crypto, key, certificate, sigAlg);
    }

    private sealed class Authentication(DeviceTlsClient owner) : TlsAuthentication
    {
        public void NotifyServerCertificate(TlsServerCertificate serverCertificate) => owner.Accept(serverCertificate);

        public TlsCredentials? GetClientCredentials(CertificateRequest certificateRequest) => owner.ClientCredentials(certificateRequest);
    }
}
