using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;

namespace M2MSec.Pki.Tls;

/// <summary>
/// The certificate-based TLS profile of TS 33.310 Annex E, which refers to TS 33.210 §6.2:
/// TLS 1.2 (RFC 5246) and TLS 1.3 (RFC 8446) only; TLS 1.2 with ECDHE and AEAD suites only
/// (AES-GCM, ChaCha20-Poly1305); TLS 1.3 with the RFC 8446 §9.1 suites; no renegotiation
/// (TS 33.210 §6.2.3); no compression; secp256r1 mandatory and secp384r1 supported.
/// </summary>
/// <remarks>
/// Key-exchange groups cannot be restricted through <see cref="SslStream"/>: neither option class
/// has a groups setting, so OpenSSL's defaults apply (3.0: X25519, P-256, X448, P-521, P-384;
/// <c>openssl s_client -groups X25519</c> completes against this server). The profile's groups
/// are among them. Restricting them takes a process-wide OpenSSL configuration
/// (<c>Groups = P-256:P-384</c> in the system_default section). Compression is never offered:
/// OpenSSL 3 disables it (SSL_OP_NO_COMPRESSION). <see cref="CipherSuitesPolicy"/> is not
/// supported on Windows; there <see cref="CreateServerOptions"/> throws.
/// <para>
/// Session resumption: on Linux, .NET resumes TLS sessions only when no <see cref="CipherSuitesPolicy"/>
/// is set (and, on the client, <see cref="SslClientAuthenticationOptions.TargetHost"/> is a DNS name,
/// not an IP address) — with a policy it allocates a fresh OpenSSL SSL_CTX per connection with the
/// session cache off and SSL_OP_NO_TICKET. The strict profile therefore never resumes. The
/// <c>resumable</c> variants leave the suite list to OpenSSL's defaults and enforce the profile on the
/// <em>negotiated</em> suite after the handshake instead (the client in its validation callback; a
/// server must check <see cref="SslStream.NegotiatedCipherSuite"/> before it reads a request) — so a
/// non-profile suite is never used, though non-profile suites are offered in the hello.
/// </para>
/// </remarks>
public static class TlsProfile
{
    public const SslProtocols Protocols = SslProtocols.Tls12 | SslProtocols.Tls13;

    /// <summary>TLS 1.2 suites: ECDHE with AES-GCM or ChaCha20-Poly1305 (TS 33.210 §6.2.3).</summary>
    public static IReadOnlyList<TlsCipherSuite> Tls12CipherSuites { get; } =
    [
        TlsCipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
        TlsCipherSuite.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
        TlsCipherSuite.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
        TlsCipherSuite.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
        TlsCipherSuite.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
        TlsCipherSuite.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
    ];

    /// <summary>TLS 1.3 suites of RFC 8446 §9.1 (AES-128-GCM mandatory).</summary>
    public static IReadOnlyList<TlsCipherSuite> Tls13CipherSuites { get; } =
    [
        TlsCipherSuite.TLS_AES_128_GCM_SHA256,
        TlsCipherSuite.TLS_AES_256_GCM_SHA384,
        TlsCipherSuite.TLS_CHACHA20_POLY1305_SHA256,
    ];

    /// <summary>All profile suites, TLS 1.3 first.</summary>
    public static IReadOnlyList<TlsCipherSuite> CipherSuites { get; } = [.. Tls13CipherSuites, .. Tls12CipherSuites];

    /// <summary>Named groups (RFC 8422 / RFC 8446 codes): secp256r1 (mandatory), secp384r1.</summary>
    public static IReadOnlyList<int> NamedGroups { get; } = [23, 24];

    public static bool IsProfileSuite(TlsCipherSuite suite) => CipherSuites.Contains(suite);

    /// <summary>
    /// Server options: the chain context is built offline (no AIA or OCSP fetch), protocols and suites per
    /// profile, renegotiation refused. With <paramref name="clientCertificates"/>, a client
    /// certificate is required and checked by that policy (mutual TLS). With <paramref name="resumable"/>,
    /// no suite policy (so OpenSSL keeps a session cache and issues tickets): the caller must refuse a
    /// connection whose <see cref="SslStream.NegotiatedCipherSuite"/> is not <see cref="IsProfileSuite"/>.
    /// With <paramref name="stapling"/>, the certificate context comes from it instead (built online, so
    /// that .NET staples an OCSP response; <paramref name="intermediates"/> is then unused).
    /// </summary>
    public static SslServerAuthenticationOptions CreateServerOptions(X509Certificate2 certificate, X509Certificate2Collection? intermediates = null,
        ClientCertificatePolicy? clientCertificates = null, bool resumable = false, StaplingCertificateContext? stapling = null)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        if (!certificate.HasPrivateKey)
            throw new ArgumentException("The server certificate needs its private key.", nameof(certificate));
        var options = new SslServerAuthenticationOptions
        {
            ServerCertificateContext = stapling?.For(certificate) ?? ContextFor(certificate, intermediates),
            EnabledSslProtocols = Protocols,
            CipherSuitesPolicy = resumable ? null : CreatePolicy(),
            AllowTlsResume = resumable,
            AllowRenegotiation = false,
            EncryptionPolicy = EncryptionPolicy.RequireEncryption,
            CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
        };
        if (clientCertificates is not null)
        {
            options.ClientCertificateRequired = true;
            options.RemoteCertificateValidationCallback = clientCertificates.Validate;
            options.CertificateChainPolicy = CallbackOnlyPolicy();
        }
        return options;
    }

    // Issue 19: the context was built anew for every connection — an X509 chain build that sorts the system's trust
    // store (X509_NAME_cmp, qsort: ≈ 11 % of the DM server's CPU in full-handshake sessions, perf). It depends only on
    // the certificate and its intermediates, so one per certificate object (a renewal brings a new object, hence a new
    // context); weak keys, so a retired certificate's context goes with it.
    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<X509Certificate2, CachedContext> Contexts = new();

    private sealed record CachedContext(X509Certificate2Collection? Intermediates, SslStreamCertificateContext Context);

    /// <summary>The server's certificate context (chain built offline), one per certificate and intermediates.</summary>
    internal static SslStreamCertificateContext ContextFor(X509Certificate2 certificate, X509Certificate2Collection? intermediates)
    {
        if (Contexts.TryGetValue(certificate, out var cached) && ReferenceEquals(cached.Intermediates, intermediates))
            return cached.Context;
        var context = SslStreamCertificateContext.Create(certificate, intermediates, offline: true);
        Contexts.AddOrUpdate(certificate, new CachedContext(intermediates, context));
        return context;
    }

    /// <summary>
    /// Client options (e.g. network function to network function). <paramref name="validate"/>
    /// decides on the server's chain — <see cref="ProfileChainValidator.ServerCallback"/> is the
    /// profile's. <paramref name="clientCertificate"/> (with private key) is offered for mutual TLS.
    /// With <paramref name="resumable"/>, no suite policy, so sessions to the same DNS name resume
    /// (.NET's process-wide client cache); the negotiated suite is checked before <paramref name="validate"/>
    /// runs, and <paramref name="validate"/> still runs on every handshake, resumed or not.
    /// </summary>
    public static SslClientAuthenticationOptions CreateClientOptions(string targetHost, RemoteCertificateValidationCallback validate, X509Certificate2? clientCertificate = null,
        bool resumable = false)
    {
        ArgumentException.ThrowIfNullOrEmpty(targetHost);
        ArgumentNullException.ThrowIfNull(validate);
        var options = new SslClientAuthenticationOptions
        {
            TargetHost = targetHost,
            EnabledSslProtocols = Protocols,
            CipherSuitesPolicy = resumable ? null : CreatePolicy(),
            AllowTlsResume = resumable,
            AllowRenegotiation = false,
            EncryptionPolicy = EncryptionPolicy.RequireEncryption,
            CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
            CertificateChainPolicy = CallbackOnlyPolicy(),
            RemoteCertificateValidationCallback = resumable
                ? (sender, certificate, chain, errors) => sender is SslStream tls && IsProfileSuite(tls.NegotiatedCipherSuite) && validate(sender, certificate, chain, errors)
                : validate,
        };
        if (clientCertificate is not null)
        {
            if (!clientCertificate.HasPrivateKey)
                throw new ArgumentException("The client certificate needs its private key.", nameof(clientCertificate));
            options.ClientCertificateContext = SslStreamCertificateContext.Create(clientCertificate, null, offline: true);
        }
        return options;
    }

    /// <summary>The profile's suites, made once (immutable): a policy per connection cost an OpenSSL cipher string built anew each time.</summary>
    private static CipherSuitesPolicy? _policy;

    private static CipherSuitesPolicy CreatePolicy()
    {
        if (OperatingSystem.IsWindows())
            throw new PlatformNotSupportedException("CipherSuitesPolicy (needed by the TLS profile) is not supported on Windows.");
        return _policy ??= new CipherSuitesPolicy(CipherSuites);
    }

    /// <summary>
    /// The chain .NET builds before every validation callback, which decides alone (it validates against the provisioned
    /// root itself): a custom trust store left empty, no downloads. Without it .NET built that chain against the system's
    /// trust store — loading and sorting its ≈ 150 roots for every handshake, ≈ 0.5 ms of CPU (issue 19, perf of `bench dm`'s
    /// devices) — only for the callback to ignore the verdict. Empty, it can never report a chain as trusted, so a callback
    /// that ever relied on .NET's verdict instead of its own check would refuse, not accept. The name check
    /// (<see cref="SslPolicyErrors.RemoteCertificateNameMismatch"/>) does not depend on it.
    /// </summary>
    internal static X509ChainPolicy CallbackOnlyPolicy() => new()
    {
        TrustMode = X509ChainTrustMode.CustomRootTrust,
        RevocationMode = X509RevocationMode.NoCheck,
        DisableCertificateDownloads = true,
    };
}
