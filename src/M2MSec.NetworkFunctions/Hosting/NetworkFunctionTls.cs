using System.Security.Cryptography.X509Certificates;
using M2MSec.Pki.Authority;
using M2MSec.Pki.Tls;

namespace M2MSec.NetworkFunctions.Hosting;

/// <summary>
/// Mutual TLS between network functions under the operator hierarchy (TS 33.310 Annex E profile):
/// the function's own certificate (renewable while running), the root it trusts, and who may use
/// its administrative API. The same object makes the HTTP clients it uses towards its peers.
/// </summary>
public sealed class NetworkFunctionTls
{
    private readonly RenewingCertificate _certificate;
    private readonly StaplingCertificateContext? _stapling;

    public NetworkFunctionTls(RenewingCertificate certificate, X509Certificate2 trustRoot, X509Certificate2Collection? intermediates = null,
        IEnumerable<string>? adminSubjects = null, TimeProvider? time = null)
        : this(certificate, trustRoot ?? throw new ArgumentNullException(nameof(trustRoot)), intermediates, adminSubjects, time, mutual: true)
    {
    }

    private NetworkFunctionTls(RenewingCertificate certificate, X509Certificate2? trustRoot, X509Certificate2Collection? intermediates,
        IEnumerable<string>? adminSubjects, TimeProvider? time, bool mutual, bool resumption = false, StaplingCertificateContext? stapling = null)
    {
        AllowResumption = resumption;
        _certificate = certificate ?? throw new ArgumentNullException(nameof(certificate));
        TrustRoot = trustRoot;
        MutualTls = mutual;
        Intermediates = intermediates ?? [];
        AdminSubjects = new HashSet<string>(adminSubjects ?? [DefaultAdminSubject], StringComparer.Ordinal);
        Time = time ?? TimeProvider.System;
        _stapling = stapling;
        if (stapling is not null)
        {
            // Build the context now, so its first OCSP fetch runs while the listener starts, and
            // again as soon as the certificate is renewed (not at the next handshake).
            stapling.For(certificate.Current);
            certificate.Renewed += renewed => stapling.For(renewed);
        }
    }

    /// <summary>The CN of the administrator certificate when none is configured.</summary>
    public const string DefaultAdminSubject = "m2msec-admin";

    public X509Certificate2 Certificate => _certificate.Current;

    /// <summary>The root peers' certificates must chain to; null for a server-only listener (devices have no client certificate).</summary>
    public X509Certificate2? TrustRoot { get; }

    /// <summary>Whether a client certificate is required (between network functions) or not offered for (device-facing: DM).</summary>
    public bool MutualTls { get; }

    /// <summary>
    /// TLS with the server's certificate only: the device-facing listener of the DM server (TS 33.310 Annex E profile, no client certificate).
    /// With <paramref name="resumption"/>, sessions resume (session cache and tickets): the suite list is then OpenSSL's
    /// default and the profile is enforced on the negotiated suite — a connection on any other suite is closed before a request is read.
    /// With <paramref name="stapling"/>, the listener staples an OCSP response for its certificate, fetched from the certificate's
    /// AIA OCSP URL and refreshed by .NET (Linux only; see <see cref="StaplingCertificateContext"/>): <paramref name="root"/> is then
    /// required, since .NET fetches only for a chain it can build to a root (the root is not sent). A handshake before the first fetch
    /// completes carries no staple.
    /// </summary>
    public static NetworkFunctionTls ServerOnly(RenewingCertificate certificate, X509Certificate2Collection? intermediates = null, TimeProvider? time = null,
        bool resumption = false, bool stapling = false, X509Certificate2? root = null)
    {
        if (stapling && root is null)
            throw new ArgumentException("OCSP stapling needs the root of the server's chain.", nameof(root));
        return new(certificate, null, intermediates, null, time, mutual: false, resumption,
            stapling ? new StaplingCertificateContext([.. intermediates ?? [], root!]) : null);
    }

    /// <summary>Whether the listener staples OCSP responses (see <see cref="ServerOnly"/>).</summary>
    public bool Stapling => _stapling is not null;

    /// <summary>Whether the listener resumes TLS sessions (server-only listeners only; see <see cref="ServerOnly"/>).</summary>
    public bool AllowResumption { get; }

    /// <summary>Loads a server-only identity from PEM files (certificate, key, optional chain).</summary>
    /// <param name="certFile">The certificate (PEM).</param>
    /// <param name="keyFile">Its private key (PEM).</param>
    /// <param name="chainFile">The certificates above it, without the root (PEM, optional).</param>
    /// <param name="stapleRootFile">When given, the listener staples OCSP (see <see cref="ServerOnly"/>); the root the chain ends in.</param>
    public static NetworkFunctionTls LoadServerOnly(string certFile, string keyFile, string? chainFile, string? stapleRootFile = null)
    {
        var (cert, intermediates) = LoadIdentity(certFile, keyFile, chainFile);
        return stapleRootFile is null
            ? ServerOnly(new RenewingCertificate(cert), intermediates)
            : ServerOnly(new RenewingCertificate(cert), intermediates, stapling: true, root: LoadRoot(stapleRootFile, "--staple-root"));
    }

    private static X509Certificate2 LoadRoot(string file, string option)
    {
        var roots = new X509Certificate2Collection();
        try
        {
            roots.ImportFromPemFile(file);
        }
        catch (Exception e) when (e is System.Security.Cryptography.CryptographicException or IOException)
        {
            throw new ArgumentException($"{option}: {file} holds no readable PEM certificate", e);
        }
        if (roots.Count != 1)
            throw new ArgumentException($"{option}: expected exactly one certificate in {file}, found {roots.Count}");
        return roots[0];
    }

    public X509Certificate2Collection Intermediates { get; }

    public IReadOnlySet<string> AdminSubjects { get; }

    public TimeProvider Time { get; }

    /// <summary>
    /// Loads PEM files: the certificate, its private key, the chain above it (optional), and the trust root. With
    /// <paramref name="ocspUrl"/>, peers' certificates are checked against that responder (the issuing CA taken from the chain).
    /// </summary>
    public static NetworkFunctionTls Load(string certFile, string keyFile, string? chainFile, string trustRootFile, IEnumerable<string>? adminSubjects = null,
        Uri? ocspUrl = null)
    {
        var (cert, intermediates) = LoadIdentity(certFile, keyFile, chainFile);
        return new NetworkFunctionTls(new RenewingCertificate(cert), LoadRoot(trustRootFile, "--trust-root"), intermediates, adminSubjects)
        {
            Revocation = ocspUrl is null ? null : PeerRevocationChecker.ForResponder(ocspUrl, intermediates),
        };
    }

    private static (X509Certificate2 Certificate, X509Certificate2Collection Intermediates) LoadIdentity(string certFile, string keyFile, string? chainFile)
    {
        X509Certificate2 cert;
        try
        {
            cert = X509Certificate2.CreateFromPemFile(certFile, keyFile);
        }
        catch (Exception e) when (e is System.Security.Cryptography.CryptographicException or IOException)
        {
            throw new ArgumentException($"--cert/--key: {certFile} and {keyFile} hold no PEM certificate with its matching private key", e);
        }
        var chain = new X509Certificate2Collection();
        try
        {
            if (chainFile is not null)
                chain.ImportFromPemFile(chainFile);
        }
        catch (Exception e) when (e is System.Security.Cryptography.CryptographicException or IOException)
        {
            throw new ArgumentException($"--chain: {chainFile} holds no readable PEM certificates", e);
        }
        // A chain file may include the root; it is a trust anchor, not an intermediate.
        return (cert, new X509Certificate2Collection(chain.Where(c => !c.SubjectName.RawData.AsSpan().SequenceEqual(c.IssuerName.RawData)).ToArray()));
    }

    /// <summary>
    /// The server side of one handshake (per connection, so a renewed certificate takes effect at once). With stapling, the
    /// certificate context is the one cached for the current certificate, holding the staple .NET fetched in the background.
    /// </summary>
    /// <param name="onVerdict">Told every client certificate's verdict (the host counts the refusals, issue 20); null: nobody is.</param>
    public System.Net.Security.SslServerAuthenticationOptions ServerOptions(Action<ChainVerdict>? onVerdict = null) =>
        TlsProfile.CreateServerOptions(Certificate, Intermediates,
            MutualTls ? new ClientCertificatePolicy(TrustRoot!, Intermediates, Time) { RevocationCheck = Revocation is { } r ? r.CheckWithoutWaiting : null, OnVerdict = onVerdict } : null,
            AllowResumption, _stapling);

    /// <summary>The server side of a handshake on the device-facing listener: the same certificate, no client certificate asked for.</summary>
    public System.Net.Security.SslServerAuthenticationOptions DeviceServerOptions() =>
        TlsProfile.CreateServerOptions(Certificate, Intermediates, null, false, null);

    /// <summary>
    /// Checks peers' certificates (clients on this function's listener, servers it calls) against the operator's OCSP
    /// responder; null: revocation between network functions is not checked (docs/decisions/012).
    /// </summary>
    public PeerRevocationChecker? Revocation { get; init; }

    /// <summary>
    /// An administrator: a certificate of the admin profile (its policy OID, <see cref="CertificateRoles.AdministratorPolicyOid"/>)
    /// that also names one of <see cref="AdminSubjects"/>. A CN alone makes nobody an administrator.
    /// </summary>
    public bool IsAdministrator(X509Certificate2 clientCertificate) =>
        CertificateRoles.IsAdministrator(clientCertificate) && AdminSubjects.Contains(clientCertificate.GetNameInfo(X509NameType.SimpleName, false));

    /// <summary>
    /// An HTTP client to a peer: our certificate offered, the peer's checked against the trust root (serverAuth);
    /// <paramref name="wrap"/> puts handlers (e.g. a retry policy) in front of the TLS handler.
    /// </summary>
    public HttpClient CreateClient(Uri baseAddress, TimeSpan timeout, X509Certificate2? clientCertificate = null, Func<HttpMessageHandler, HttpMessageHandler>? wrap = null)
    {
        ArgumentNullException.ThrowIfNull(baseAddress);
        if (TrustRoot is null)
            throw new InvalidOperationException("a server-only TLS identity has no trust root to check peers with");
        var validate = ProfileChainValidator.ServerCallback(TrustRoot, Intermediates, Time, revocationCheck: Revocation is { } r ? r.Check : null);
        var certificate = clientCertificate ?? Certificate;
        var lifetime = TimeSpan.FromMinutes(10);
        // With a revocation check, the handshake's callback may wait for the OCSP responder: the handshake runs on a thread of its own
        // (decision 062). Without one, the callback only computes, and SocketsHttpHandler makes the TLS itself (as for a plain-HTTP
        // peer: the OCSP responder).
        var handler = new ConnectionErrorHandler(Revocation is not null && baseAddress.Scheme == Uri.UriSchemeHttps
            ? PeerTlsConnector.Create(host => TlsProfile.CreateClientOptions(host, validate, certificate), lifetime)
            : new SocketsHttpHandler { SslOptions = TlsProfile.CreateClientOptions(baseAddress.Host, validate, certificate), PooledConnectionLifetime = lifetime });
        return new HttpClient(wrap is null ? handler : wrap(handler)) { BaseAddress = baseAddress, Timeout = timeout };
    }
}
