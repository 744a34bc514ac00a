using System.Formats.Asn1;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace M2MSec.Pki.Ocsp;

/// <summary>
/// Encodes a successful OCSPResponse (RFC 6960 §4.2.1, DER) for one responder: the parts that never change — ResponderID byKey,
/// signatureAlgorithm, the <c>certs</c> holding the delegated signer — are encoded once, each answer writes only its ResponseData
/// and signature. I/O-free; the signature comes from the caller. Decision 044: BouncyCastle's generator re-encoded every fixed
/// part per answer, as much CPU as the signature itself.
/// </summary>
internal sealed class OcspResponseWriter
{
    /// <summary>id-pkix-ocsp-basic (RFC 6960 §4.2.1).</summary>
    private const string BasicResponseType = "1.3.6.1.5.5.7.48.1.1";

    /// <summary>id-pkix-ocsp-nonce (RFC 6960 §4.4.1).</summary>
    private const string NonceExtension = "1.3.6.1.5.5.7.48.1.2";

    private static readonly Asn1Tag Context0 = new(TagClass.ContextSpecific, 0);
    private static readonly Asn1Tag Context1 = new(TagClass.ContextSpecific, 1);
    private static readonly Asn1Tag Context2 = new(TagClass.ContextSpecific, 2);

    private readonly byte[] _responderId;
    private readonly byte[] _signatureAlgorithm;
    private readonly byte[] _certs;

    /// <param name="signer">The delegated responder certificate: named byKey and carried in <c>certs</c> (§4.2.2.2).</param>
    /// <param name="signatureAlgorithm">The DER AlgorithmIdentifier of the signatures the caller will make.</param>
    public OcspResponseWriter(X509Certificate2 signer, ReadOnlySpan<byte> signatureAlgorithm)
    {
        ArgumentNullException.ThrowIfNull(signer);
        // ResponderID ::= CHOICE { byName [1] Name, byKey [2] KeyHash } (EXPLICIT: the module's default tagging); KeyHash is the
        // SHA-1 of the subjectPublicKey BIT STRING's value, without tag, length and unused-bits count (§4.2.1).
        var byKey = new AsnWriter(AsnEncodingRules.DER);
        using (byKey.PushSequence(Context2))
            byKey.WriteOctetString(SHA1.HashData(signer.PublicKey.EncodedKeyValue.RawData));
        _responderId = byKey.Encode();
        _signatureAlgorithm = signatureAlgorithm.ToArray();
        // certs [0] EXPLICIT SEQUENCE OF Certificate
        var certs = new AsnWriter(AsnEncodingRules.DER);
        using (certs.PushSequence(Context0))
        using (certs.PushSequence())
            certs.WriteEncodedValue(signer.RawData);
        _certs = certs.Encode();
    }

    /// <summary>
    /// The OCSPResponse with responseStatus successful: one SingleResponse per answer (its CertID as the request spelt it),
    /// producedAt and thisUpdate = <paramref name="producedAt"/>, nextUpdate = <paramref name="nextUpdate"/>, and the nonce echoed
    /// when there is one (RFC 9654 §2.1). <paramref name="sign"/> signs the DER ResponseData.
    /// </summary>
    public byte[] Successful(IReadOnlyList<(ReadOnlyMemory<byte> CertId, OcspCertificateStatus Status)> answers, DateTimeOffset producedAt,
        DateTimeOffset nextUpdate, ReadOnlySpan<byte> nonce, Func<byte[], byte[]> sign)
    {
        ArgumentNullException.ThrowIfNull(answers);
        ArgumentNullException.ThrowIfNull(sign);
        var tbs = ResponseData(answers, producedAt, nextUpdate, nonce);
        var signature = sign(tbs);

        var writer = new AsnWriter(AsnEncodingRules.DER, initialCapacity: tbs.Length + signature.Length + _certs.Length + 64);
        using (writer.PushSequence()) // OCSPResponse
        {
            writer.WriteEncodedValue([0x0A, 0x01, 0x00]); // responseStatus ENUMERATED successful (0)
            using (writer.PushSequence(Context0))
            using (writer.PushSequence()) // ResponseBytes
            {
                writer.WriteObjectIdentifier(BasicResponseType);
                using (writer.PushOctetString())
                using (writer.PushSequence()) // BasicOCSPResponse
                {
                    writer.WriteEncodedValue(tbs);
                    writer.WriteEncodedValue(_signatureAlgorithm);
                    writer.WriteBitString(signature);
                    writer.WriteEncodedValue(_certs);
                }
            }
        }
        return writer.Encode();
    }

    private byte[] ResponseData(IReadOnlyList<(ReadOnlyMemory<byte> CertId, OcspCertificateStatus Status)> answers, DateTimeOffset producedAt,
        DateTimeOffset nextUpdate, ReadOnlySpan<byte> nonce)
    {
        var writer = new AsnWriter(AsnEncodingRules.DER, initialCapacity: 128 + answers.Count * 96 + nonce.Length);
        using (writer.PushSequence()) // ResponseData; version v1 is the DEFAULT, so absent in DER
        {
            writer.WriteEncodedValue(_responderId);
            WriteTime(writer, producedAt);
            using (writer.PushSequence())
            {
                foreach (var (certId, status) in answers)
                    SingleResponse(writer, certId.Span, status, producedAt, nextUpdate);
            }
            if (!nonce.IsEmpty)
            {
                using (writer.PushSequence(Context1)) // responseExtensions [1] EXPLICIT Extensions
                using (writer.PushSequence())
                using (writer.PushSequence()) // Extension, critical FALSE is the DEFAULT
                {
                    writer.WriteObjectIdentifier(NonceExtension);
                    using (writer.PushOctetString())
                        writer.WriteOctetString(nonce); // Nonce ::= OCTET STRING (RFC 9654)
                }
            }
        }
        return writer.Encode();
    }

    private static void SingleResponse(AsnWriter writer, ReadOnlySpan<byte> certId, OcspCertificateStatus status, DateTimeOffset thisUpdate, DateTimeOffset nextUpdate)
    {
        using (writer.PushSequence())
        {
            writer.WriteEncodedValue(certId);
            switch (status.Status)
            {
                case OcspStatus.Good:
                    writer.WriteNull(Context0); // good [0] IMPLICIT NULL
                    break;
                case OcspStatus.Revoked:
                    using (writer.PushSequence(Context1)) // revoked [1] IMPLICIT RevokedInfo
                    {
                        WriteTime(writer, status.RevokedAt!.Value);
                        if (status.Reason is { } reason)
                        {
                            using (writer.PushSequence(Context0)) // revocationReason [0] EXPLICIT CRLReason (ENUMERATED 0–10)
                                writer.WriteEncodedValue([0x0A, 0x01, checked((byte)reason)]);
                        }
                    }
                    break;
                default:
                    writer.WriteNull(Context2); // unknown [2] IMPLICIT UnknownInfo (NULL)
                    break;
            }
            WriteTime(writer, thisUpdate);
            using (writer.PushSequence(Context0)) // nextUpdate [0] EXPLICIT
                WriteTime(writer, nextUpdate);
        }
    }

    /// <summary>GeneralizedTime in whole seconds, UTC, no fraction: "YYYYMMDDHHMMSSZ" (RFC 5280 §4.1.2.5.2, which RFC 6960 follows).</summary>
    private static void WriteTime(AsnWriter writer, DateTimeOffset time) =>
        writer.WriteGeneralizedTime(new DateTimeOffset(time.UtcTicks - time.UtcTicks % TimeSpan.TicksPerSecond, TimeSpan.Zero), omitFractionalSeconds: true);
}
