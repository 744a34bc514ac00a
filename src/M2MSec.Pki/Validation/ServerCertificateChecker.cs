using System.Security.Cryptography.X509Certificates;
using M2MSec.Pki.Ocsp;
using M2MSec.Pki.Tls;

namespace M2MSec.Pki.Validation;

/// <summary>Sends a DER OCSP request to a responder and returns the DER response (HTTP POST in practice).</summary>
public delegate Task<byte[]> OcspTransport(Uri responder, byte[] requestDer, CancellationToken cancellationToken);

/// <summary>
/// The device's check of the DM server certificate (seeds 000/001): only the provisioned root is
/// trusted; in <see cref="CheckMode.OcspNonce"/> the chain is validated at the responder's signed
/// producedAt — not the device clock — so a certificate that expired but was never revoked is
/// refused even when the device clock was set back, and that time then feeds the secure clock.
/// </summary>
public sealed class ServerCertificateChecker(X509Certificate2 root, ITrustedClock clock, CheckPolicy? policy = null, OcspTransport? transport = null)
{
    private readonly X509Certificate2 _root = root ?? throw new ArgumentNullException(nameof(root));
    private readonly ITrustedClock _clock = clock ?? throw new ArgumentNullException(nameof(clock));
    private readonly CheckPolicy _policy = policy ?? new CheckPolicy();

    public Task<CertificateVerdict> CheckAsync(CheckMode mode, X509Certificate2 leaf, IReadOnlyList<X509Certificate2> intermediates,
        byte[]? staple = null, Uri? ocspUrl = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(leaf);
        ArgumentNullException.ThrowIfNull(intermediates);
        return mode switch
        {
            CheckMode.OcspNonce => OcspNonceAsync(leaf, intermediates, ocspUrl, cancellationToken),
            CheckMode.SecureClock => Task.FromResult(SecureClock(leaf, intermediates)),
            CheckMode.Stapled => Task.FromResult(Stapled(leaf, intermediates, staple)),
            _ => throw new ArgumentOutOfRangeException(nameof(mode)),
        };
    }

    private async Task<CertificateVerdict> OcspNonceAsync(X509Certificate2 leaf, IReadOnlyList<X509Certificate2> intermediates, Uri? ocspUrl, CancellationToken ct)
    {
        const CheckMode mode = CheckMode.OcspNonce;
        if (Shape(mode, leaf, intermediates) is { } refused)
            return refused;
        var issuer = FindIssuer(leaf, intermediates);
        if (issuer is null)
            return CertificateVerdict.Refuse(mode, RefusalReason.UntrustedRoot, "no issuer of the certificate in the chain or the provisioned root");
        var url = ocspUrl ?? OcspUrlOf(leaf);
        if (url is null)
            return CertificateVerdict.Refuse(mode, RefusalReason.ResponderError, "no OCSP URL: neither configured nor in the certificate's AIA");
        if (transport is null)
            return CertificateVerdict.Refuse(mode, RefusalReason.ResponderError, "no OCSP transport configured");

        var request = OcspRequestBuilder.Build(leaf, issuer, _policy.NonceLength);
        byte[] response;
        try
        {
            response = await transport(url, request.Der, ct).ConfigureAwait(false);
        }
        catch (HttpRequestException e) when (e.StatusCode is { } status)
        {
            // The responder answered, with an HTTP error (a wrong path, a method it does not take): not "unreachable".
            return CertificateVerdict.Refuse(mode, RefusalReason.ResponderError, $"OCSP responder {url} answered HTTP {(int)status} ({status})");
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or IOException && !ct.IsCancellationRequested)
        {
            return CertificateVerdict.Refuse(mode, RefusalReason.ResponderError, $"OCSP responder {url} unreachable: {e.Message}");
        }

        // The nonce proves recency (RFC 9654 §1), so no "now" is needed to judge the response.
        var ocsp = OcspResponseVerifier.Verify(response, request.CertId, issuer, request.Nonce, new OcspVerificationOptions());
        if (!ocsp.IsAcceptable)
            return CertificateVerdict.Refuse(mode, ocsp.Reason, Describe(ocsp), ocsp.ProducedAt);
        var trusted = ocsp.ProducedAt!.Value;
        var secureNow = _clock.Now();
        if (trusted < secureNow - _policy.ClockSkew)
        {
            return CertificateVerdict.Refuse(mode, RefusalReason.ClockRollback,
                $"the responder's signed time {trusted:O} is {(secureNow - trusted).TotalSeconds:F0} s behind the secure clock {secureNow:O}", trusted);
        }
        var chain = ProfileChainValidator.Validate(leaf, _root, intermediates, trusted, ProfileChainValidator.ServerAuthOid);
        if (!chain.IsValid)
            return CertificateVerdict.Refuse(mode, chain.Reason, $"{chain.Detail} (at producedAt {trusted:O})", trusted);
        _clock.Advance(trusted, $"OCSP producedAt from {url.Host}");
        return CertificateVerdict.Accept(mode, trusted, $"good at {trusted:O}, nonce echoed, chain valid at producedAt");
    }

    private CertificateVerdict SecureClock(X509Certificate2 leaf, IReadOnlyList<X509Certificate2> intermediates)
    {
        const CheckMode mode = CheckMode.SecureClock;
        var now = _clock.Now();
        var validity = leaf.NotAfter - leaf.NotBefore;
        if (validity > _policy.MaxValidity)
        {
            return CertificateVerdict.Refuse(mode, RefusalReason.ValidityTooLong,
                $"validity {validity.TotalHours:F0} h exceeds the maximum {_policy.MaxValidity.TotalHours:F0} h for unchecked certificates", now);
        }
        var chain = ProfileChainValidator.Validate(leaf, _root, intermediates, now, ProfileChainValidator.ServerAuthOid);
        return chain.IsValid
            ? CertificateVerdict.Accept(mode, now, $"short-lived ({validity.TotalHours:F0} h) and valid at the secure clock {now:O}")
            : CertificateVerdict.Refuse(mode, chain.Reason, $"{chain.Detail} (at the secure clock {now:O})", now);
    }

    private CertificateVerdict Stapled(X509Certificate2 leaf, IReadOnlyList<X509Certificate2> intermediates, byte[]? staple)
    {
        const CheckMode mode = CheckMode.Stapled;
        if (!_policy.AllowStaple || staple is null)
            return CertificateVerdict.Refuse(mode, RefusalReason.NoStaple, _policy.AllowStaple ? "the server stapled no OCSP response" : "policy does not accept staples");
        if (Shape(mode, leaf, intermediates) is { } refused)
            return refused;
        var issuer = FindIssuer(leaf, intermediates);
        if (issuer is null)
            return CertificateVerdict.Refuse(mode, RefusalReason.UntrustedRoot, "no issuer of the certificate in the chain or the provisioned root");
        var now = _clock.Now();
        var ocsp = OcspResponseVerifier.Verify(staple, leaf, issuer, sentNonce: null,
            new OcspVerificationOptions { Now = now, MaxAge = _policy.StapleMaxAge, ClockSkew = _policy.ClockSkew });
        if (!ocsp.IsAcceptable)
            return CertificateVerdict.Refuse(mode, ocsp.Reason, Describe(ocsp), now);
        var chain = ProfileChainValidator.Validate(leaf, _root, intermediates, now, ProfileChainValidator.ServerAuthOid);
        if (!chain.IsValid)
            return CertificateVerdict.Refuse(mode, chain.Reason, $"{chain.Detail} (at the secure clock {now:O})", now);
        _clock.Advance(ocsp.ProducedAt!.Value, "stapled OCSP producedAt");
        return CertificateVerdict.Accept(mode, now, $"staple good, produced {ocsp.ProducedAt:O}, chain valid at the secure clock");
    }

    /// <summary>
    /// Before trusting any OCSP answer: does the chain reach the provisioned root at all (checked at a
    /// time the leaf claims validity; the real time check comes later)? A man in the middle with
    /// another CA's certificate stops here, named as such.
    /// </summary>
    private CertificateVerdict? Shape(CheckMode mode, X509Certificate2 leaf, IReadOnlyList<X509Certificate2> intermediates)
    {
        var shape = ProfileChainValidator.Validate(leaf, _root, intermediates, leaf.NotBefore.ToUniversalTime().AddSeconds(1), ProfileChainValidator.ServerAuthOid);
        return shape.IsValid || shape.Reason == RefusalReason.ExpiredAtTrustedTime ? null : CertificateVerdict.Refuse(mode, shape.Reason, shape.Detail);
    }

    /// <summary>
    /// The certificate among the chain and the root that issued the leaf: same name, SKI equal to the
    /// leaf's AKI when it has one (RFC 5280 §4.2.1.1), and its key verifies the leaf's signature — on
    /// the platform's crypto, so that a look-alike issuer slipped into the chain cannot become the
    /// CertID's issuer for the OCSP step.
    /// </summary>
    private X509Certificate2? FindIssuer(X509Certificate2 leaf, IReadOnlyList<X509Certificate2> intermediates)
    {
        var aki = leaf.Extensions.OfType<X509AuthorityKeyIdentifierExtension>().FirstOrDefault()?.KeyIdentifier;
        var candidates = intermediates.Append(_root).Where(c =>
            c.SubjectName.RawData.AsSpan().SequenceEqual(leaf.IssuerName.RawData)
            && (aki is not { } id || c.Extensions.OfType<X509SubjectKeyIdentifierExtension>().FirstOrDefault()?.SubjectKeyIdentifierBytes.Span.SequenceEqual(id.Span) == true))
            .ToList();
        if (candidates.Count == 0)
            return null;
        var bcLeaf = BouncyCastleCertificates.ToBouncyCastle(leaf);
        return candidates.FirstOrDefault(c =>
            PlatformSignatures.Verify(BouncyCastleCertificates.ToBouncyCastle(c), bcLeaf.SigAlgOid, bcLeaf.GetTbsCertificate(), bcLeaf.GetSignature()) == true);
    }

    private static Uri? OcspUrlOf(X509Certificate2 leaf) =>
        leaf.Extensions.OfType<X509AuthorityInformationAccessExtension>().SelectMany(a => a.EnumerateOcspUris()).Select(u => new Uri(u)).FirstOrDefault();

    private static string Describe(OcspVerification v) => v.Reason switch
    {
        RefusalReason.Revoked => $"revoked at {v.RevokedAt:O}{(v.RevocationReason is { } r ? $" ({Authority.RevocationReasons.Name(r)})" : "")}",
        RefusalReason.NoNonce => "the response carries no nonce although one was sent",
        RefusalReason.NonceMismatch => "the response's nonce differs from the one sent",
        RefusalReason.BadSignature => "the response signature does not verify",
        RefusalReason.UnauthorisedResponder => "the response is signed by a key the issuer did not authorise",
        RefusalReason.StaleResponse => $"the response is stale (thisUpdate {v.ThisUpdate:O}, nextUpdate {v.NextUpdate:O})",
        RefusalReason.UnknownCertificate => "the responder does not know the certificate (or answered about another)",
        _ => $"OCSP: {v.Reason}",
    };
}
