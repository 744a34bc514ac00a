using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Org.BouncyCastle.Ocsp;

namespace M2MSec.Pki.Ocsp;

/// <summary>Builds unsigned OCSP requests (RFC 6960 §4.1) for one certificate or several, with an RFC 9654 nonce.</summary>
public static class OcspRequestBuilder
{
    /// <summary>RFC 9654 §2.1 recommends 32 octets.</summary>
    public const int DefaultNonceLength = 32;

    /// <summary>
    /// A request for <paramref name="certificate"/> issued by <paramref name="issuer"/>, CertID hashed
    /// with SHA-1 (OpenSSL's default, RFC 5019 §2.1.1), with a random nonce of
    /// <paramref name="nonceLength"/> octets (1–128), or none when null.
    /// </summary>
    public static OcspRequest Build(X509Certificate2 certificate, X509Certificate2 issuer, int? nonceLength = DefaultNonceLength)
    {
        if (nonceLength is < OcspNonce.MinLength or > OcspNonce.MaxLength)
            throw new ArgumentOutOfRangeException(nameof(nonceLength), nonceLength, "RFC 9654: a nonce is 1 to 128 octets");
        var nonce = nonceLength is { } n ? RandomNumberGenerator.GetBytes(n) : null;
        return Build(OcspCertId.For(certificate, issuer), nonce);
    }

    /// <summary>A request for <paramref name="certId"/> carrying exactly <paramref name="nonce"/> (1–128 octets, or null).</summary>
    public static OcspRequest Build(OcspCertId certId, byte[]? nonce)
    {
        ArgumentNullException.ThrowIfNull(certId);
        var request = Build([certId], nonce);
        return new OcspRequest(request.Der, request.Nonce, certId);
    }

    /// <summary>
    /// One request about every CertID of <paramref name="certIds"/> (1 or more, distinct) carrying exactly <paramref name="nonce"/>
    /// (1–128 octets, or null). RFC 6960 responders answer each in one signed response; an RFC 5019 responder takes one CertID per
    /// request and refuses more (malformedRequest), so a caller keeps the one-CertID request as its fallback.
    /// </summary>
    public static OcspBatchRequest Build(IReadOnlyList<OcspCertId> certIds, byte[]? nonce)
    {
        ArgumentNullException.ThrowIfNull(certIds);
        if (certIds.Count == 0)
            throw new ArgumentException("at least one CertID", nameof(certIds));
        if (nonce is { Length: < OcspNonce.MinLength or > OcspNonce.MaxLength })
            throw new ArgumentOutOfRangeException(nameof(nonce), nonce.Length, "RFC 9654: a nonce is 1 to 128 octets");
        var generator = new OcspReqGenerator();
        foreach (var certId in certIds)
            generator.AddRequest((certId ?? throw new ArgumentException("a null CertID", nameof(certIds))).Inner);
        if (nonce is not null)
            generator.SetRequestExtensions(OcspNonce.Extensions(nonce));
        return new OcspBatchRequest(generator.Generate().GetEncoded(), nonce?.ToArray(), [.. certIds]);
    }
}
