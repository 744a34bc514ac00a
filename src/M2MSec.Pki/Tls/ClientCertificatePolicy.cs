using System.Net.Security;
using System.Security.Cryptography.X509Certificates;

namespace M2MSec.Pki.Tls;

/// <summary>
/// Mutual TLS on the server side (TS 33.210 §6.2.3, TS 33.310 Annex E): a client certificate is
/// required and must chain to <see cref="TrustAnchor"/> at <see cref="Time"/>'s current instant,
/// with id-kp-clientAuth. Certificates the client sends along are used as untrusted helpers.
/// </summary>
public sealed class ClientCertificatePolicy(X509Certificate2 trustAnchor, X509Certificate2Collection? intermediates = null, TimeProvider? time = null)
{
    public X509Certificate2 TrustAnchor { get; } = trustAnchor ?? throw new ArgumentNullException(nameof(trustAnchor));

    public X509Certificate2Collection Intermediates { get; } = intermediates ?? [];

    public TimeProvider Time { get; } = time ?? TimeProvider.System;

    public string RequiredEku { get; init; } = ProfileChainValidator.ClientAuthOid;

    /// <summary>
    /// A revocation check of the client's certificate, run after its chain validated (synchronous: it runs in the
    /// handshake callback, so it should answer from a cache); null: revocation is not checked.
    /// </summary>
    public Func<X509Certificate2, ChainVerdict>? RevocationCheck { get; init; }

    /// <summary>Called with every verdict (for logging / tests); null by default.</summary>
    public Action<ChainVerdict>? OnVerdict { get; init; }

    public ChainVerdict Evaluate(X509Certificate? certificate, X509Chain? presented)
    {
        if (certificate is null)
            return ChainVerdict.Refused(Validation.RefusalReason.UntrustedRoot, "no client certificate");
        var leaf = certificate as X509Certificate2 ?? X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
        var helpers = new List<X509Certificate2>(Intermediates);
        if (presented is not null)
            helpers.AddRange(presented.ChainPolicy.ExtraStore);
        var verdict = ProfileChainValidator.Validate(leaf, TrustAnchor, helpers, Time.GetUtcNow(), RequiredEku);
        return verdict.IsValid && RevocationCheck is { } check ? check(leaf) : verdict;
    }

    /// <summary>The <see cref="RemoteCertificateValidationCallback"/>: this policy decides; .NET's own chain (<see cref="TlsProfile.CallbackOnlyPolicy"/>, trusting nothing) is ignored but for the helpers the client sent.</summary>
    public bool Validate(object sender, X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors)
    {
        var verdict = Evaluate(certificate, chain);
        OnVerdict?.Invoke(verdict);
        return verdict.IsValid;
    }
}
