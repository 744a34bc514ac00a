using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using M2MSec.Pki.Validation;
using Org.BouncyCastle.Asn1.X509;
using Org.BouncyCastle.Ocsp;
using BcCertificate = Org.BouncyCastle.X509.X509Certificate;

namespace M2MSec.Pki.Ocsp;

/// <summary>
/// Checks an OCSPResponse as a client (RFC 6960 §3.2, §4.2.2.2; RFC 9654 nonces). Pure: the
/// caller supplies the trusted issuer, the nonce it sent and the time.
/// </summary>
public static class OcspResponseVerifier
{
    /// <summary>Verifies the answer about <paramref name="certificate"/> (its CertID under whatever SHA-1/SHA-256 the response uses).</summary>
    public static OcspVerification Verify(ReadOnlySpan<byte> responseDer, X509Certificate2 certificate, X509Certificate2 issuer,
        byte[]? sentNonce, OcspVerificationOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        var serial = CertificateSerial.Of(certificate);
        var bcIssuer = BouncyCastleCertificates.ToBouncyCastle(issuer);
        return Verify(responseDer, bcIssuer, id => id.SerialHex == serial && id.NamesIssuer(bcIssuer), sentNonce, options);
    }

    /// <summary>Verifies the answer about exactly <paramref name="expected"/> (e.g. the CertID of the request sent).</summary>
    public static OcspVerification Verify(ReadOnlySpan<byte> responseDer, OcspCertId expected, X509Certificate2 issuer,
        byte[]? sentNonce, OcspVerificationOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(expected);
        return Verify(responseDer, BouncyCastleCertificates.ToBouncyCastle(issuer), expected.Matches, sentNonce, options);
    }

    /// <summary>
    /// Verifies an answer to a request about several CertIDs (RFC 6960 §4.1.1, one requestList): the envelope — status, signature,
    /// responder, nonce — once, then each of <paramref name="expected"/> by the SingleResponse whose CertID matches it, never by
    /// position. One result per expected CertID, in its order; one the response does not answer is
    /// <see cref="RefusalReason.UnknownCertificate"/> with no status.
    /// </summary>
    public static OcspVerification[] VerifyEach(ReadOnlySpan<byte> responseDer, IReadOnlyList<OcspCertId> expected, X509Certificate2 issuer,
        byte[]? sentNonce, OcspVerificationOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(expected);
        options ??= new OcspVerificationOptions();
        if (Envelope(responseDer, BouncyCastleCertificates.ToBouncyCastle(issuer), sentNonce, out var basic) is { } refused)
            return [.. expected.Select(_ => refused)];
        var singles = basic.Responses.Select(r => (Id: OcspCertId.TryFrom(r.GetCertID()), Response: r)).Where(s => s.Id is not null).ToArray();
        return [.. expected.Select(e => Single(basic, singles.FirstOrDefault(s => e.Matches(s.Id!)).Response, options))];
    }

    private static OcspVerification Verify(ReadOnlySpan<byte> responseDer, BcCertificate issuer, Func<OcspCertId, bool> isExpected,
        byte[]? sentNonce, OcspVerificationOptions? options)
    {
        options ??= new OcspVerificationOptions();
        if (Envelope(responseDer, issuer, sentNonce, out var basic) is { } refused)
            return refused;
        // 5. A SingleResponse for exactly our CertID (§3.2 item 1).
        return Single(basic, basic.Responses.FirstOrDefault(r => OcspCertId.TryFrom(r.GetCertID()) is { } id && isExpected(id)), options);
    }

    /// <summary>Steps 1–4, what a response says about all its CertIDs at once: null when it passes, else the refusal.</summary>
    private static OcspVerification? Envelope(ReadOnlySpan<byte> responseDer, BcCertificate issuer, byte[]? sentNonce, out BasicOcspResp basic)
    {
        // 1. responseStatus successful with a BasicOCSPResponse (RFC 6960 §4.2.1).
        if (!TryParse(responseDer, out basic))
            return new(RefusalReason.ResponderError);
        var producedAt = BouncyCastleCertificates.FromUtc(basic.ProducedAt);

        // 2. The signature verifies under the issuer's key or a certificate the response carries.
        var signer = FindSigner(basic, issuer);
        if (signer is null)
            return new(RefusalReason.BadSignature, ProducedAt: producedAt);

        // 3. The signer is the CA itself or its delegate (§4.2.2.2), and the ResponderID names it (§4.2.1).
        if (!IsAuthorised(signer, issuer, basic.ProducedAt) || !NamesSigner(basic.ResponderId, signer))
            return new(RefusalReason.UnauthorisedResponder, ProducedAt: producedAt);

        // 4. The nonce sent comes back unchanged (RFC 9654 §2.1), compared in fixed time.
        if (sentNonce is not null)
        {
            if (OcspNonce.TryRead(basic.ResponseExtensions, out var echoed) != OcspNonce.Presence.Valid)
                return new(RefusalReason.NoNonce, ProducedAt: producedAt);
            if (!CryptographicOperations.FixedTimeEquals(echoed, sentNonce))
                return new(RefusalReason.NonceMismatch, ProducedAt: producedAt);
        }
        return null;
    }

    /// <summary>Steps 6–7 on the SingleResponse found for the CertID asked about (none: unknown to this response).</summary>
    private static OcspVerification Single(BasicOcspResp basic, SingleResp? single, OcspVerificationOptions options)
    {
        var producedAt = BouncyCastleCertificates.FromUtc(basic.ProducedAt);
        if (single is null)
            return new(RefusalReason.UnknownCertificate, ProducedAt: producedAt);

        var thisUpdate = BouncyCastleCertificates.FromUtc(single.ThisUpdate);
        var nextUpdate = single.NextUpdate is { } next ? BouncyCastleCertificates.FromUtc(next) : (DateTimeOffset?)null;
        var result = new OcspVerification(RefusalReason.None, ProducedAt: producedAt, ThisUpdate: thisUpdate, NextUpdate: nextUpdate);

        // 6. Timeliness (§3.2 items 5–6): not from the future, not past nextUpdate, not older than policy.
        if (options.Now is { } now && IsStale(now, thisUpdate, nextUpdate, options))
            return result with { Reason = RefusalReason.StaleResponse };

        // 7. The status itself.
        return single.GetCertStatus() switch
        {
            null => result with { Status = OcspStatus.Good },
            RevokedStatus revoked => result with
            {
                Reason = RefusalReason.Revoked,
                Status = OcspStatus.Revoked,
                RevokedAt = BouncyCastleCertificates.FromUtc(revoked.RevocationTime),
                RevocationReason = revoked.HasRevocationReason ? revoked.RevocationReason : null,
            },
            _ => result with { Reason = RefusalReason.UnknownCertificate, Status = OcspStatus.Unknown },
        };
    }

    private static bool TryParse(ReadOnlySpan<byte> der, out BasicOcspResp basic)
    {
        basic = null!;
        try
        {
            var response = new OcspResp(der.ToArray());
            if (response.Status != OcspRespStatus.Successful || response.GetResponseObject() is not BasicOcspResp b)
                return false;
            _ = b.Responses; // force decoding of the lazily parsed parts
            basic = b;
            return true;
        }
#pragma warning disable CA1031 // Undecodable bytes from the network are a responder error, whatever BouncyCastle throws.
        catch (Exception)
#pragma warning restore CA1031
        {
            return false;
        }
    }

    /// <summary>The first candidate (issuer, then the response's certs) whose key verifies the signature.</summary>
    private static BcCertificate? FindSigner(BasicOcspResp basic, BcCertificate issuer)
    {
        BcCertificate[] carried;
        try
        {
            carried = basic.GetCerts();
        }
#pragma warning disable CA1031 // An undecodable certs field carries no usable signer.
        catch (Exception)
#pragma warning restore CA1031
        {
            carried = [];
        }
        // The certificate the ResponderID names is tried first: usually one signature check, not two.
        var candidates = new[] { issuer }.Concat(carried).OrderBy(c => NamesSigner(basic.ResponderId, c) ? 0 : 1);
        return candidates.FirstOrDefault(c => VerifiesWith(basic, c));
    }

    private static bool VerifiesWith(BasicOcspResp basic, BcCertificate candidate)
    {
        try
        {
#pragma warning disable CS0618 // SignatureAlgOid: BouncyCastle 2.7 has no replacement on BasicOcspResp yet.
            return PlatformSignatures.Verify(candidate, basic.SignatureAlgOid, basic.GetTbsResponseData(), basic.GetSignature())
#pragma warning restore CS0618
                ?? basic.Verify(candidate.GetPublicKey());
        }
#pragma warning disable CA1031 // A key of the wrong type, or a garbled signature value, simply does not verify.
        catch (Exception)
#pragma warning restore CA1031
        {
            return false;
        }
    }

    private static bool IsAuthorised(BcCertificate signer, BcCertificate issuer, DateTime producedAt)
    {
        if (signer.Equals(issuer))
            return true;
        // Delegated: issued directly by the CA, id-kp-OCSPSigning, valid when the response was produced (§4.2.2.2).
        if (!signer.IssuerDN.Equivalent(issuer.SubjectDN) || !VerifiesCertificate(signer, issuer))
            return false;
        IList<Org.BouncyCastle.Asn1.DerObjectIdentifier>? eku;
        try
        {
            eku = signer.GetExtendedKeyUsage();
        }
        catch (ArgumentException)
        {
            return false;
        }
        return eku is not null && eku.Contains(KeyPurposeID.id_kp_OCSPSigning) && signer.IsValid(producedAt);
    }

    private static bool VerifiesCertificate(BcCertificate certificate, BcCertificate issuer)
    {
        try
        {
            return PlatformSignatures.Verify(issuer, certificate.SigAlgOid, certificate.GetTbsCertificate(), certificate.GetSignature())
                ?? certificate.IsSignatureValid(issuer.GetPublicKey());
        }
#pragma warning disable CA1031 // Wrong key type or garbled signature: not issued by this key.
        catch (Exception)
#pragma warning restore CA1031
        {
            return false;
        }
    }

    private static bool NamesSigner(RespID responderId, BcCertificate signer)
    {
        var id = responderId.ToAsn1Object();
        if (id.Name is { } name)
            return name.Equivalent(signer.SubjectDN);
        // byKey: SHA-1 of the subjectPublicKey BIT STRING contents (§4.2.1), hashed here rather than
        // through BouncyCastle's key decoding (which validates the EC point, slowly).
        return id.GetKeyHash() is { } keyHash
            && CryptographicOperations.FixedTimeEquals(keyHash, SHA1.HashData(signer.CertificateStructure.SubjectPublicKeyInfo.PublicKey.GetOctets()));
    }

    private static bool IsStale(DateTimeOffset now, DateTimeOffset thisUpdate, DateTimeOffset? nextUpdate, OcspVerificationOptions options) =>
        thisUpdate > now + options.ClockSkew
        || nextUpdate is { } next && next < now - options.ClockSkew
        || options.MaxAge is { } maxAge && now - thisUpdate > maxAge + options.ClockSkew;
}
