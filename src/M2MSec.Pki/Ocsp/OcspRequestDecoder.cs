using System.Formats.Asn1;

namespace M2MSec.Pki.Ocsp;

/// <summary>
/// The responder's reading of an OCSPRequest (RFC 6960 §4.1.1) under DER, as Appendix A.1 sends it, with System.Formats.Asn1: each
/// CertID as the request spelt it and the RFC 9654 nonce. The optional signature and the requestor name are checked for shape only,
/// then skipped (the responder serves anyone, RFC 6960 §4.1.2). I/O-free; slices of the input, no copies. Issue 19: BouncyCastle's
/// <c>OcspReq</c> was half the responder's CPU.
/// </summary>
internal static class OcspRequestDecoder
{
    private const string NonceOid = "1.3.6.1.5.5.7.48.1.2";
    private static readonly Asn1Tag Version = new(TagClass.ContextSpecific, 0, isConstructed: true);
    private static readonly Asn1Tag RequestorName = new(TagClass.ContextSpecific, 1, isConstructed: true);
    private static readonly Asn1Tag RequestExtensions = new(TagClass.ContextSpecific, 2, isConstructed: true);
    private static readonly Asn1Tag SingleRequestExtensions = new(TagClass.ContextSpecific, 0, isConstructed: true);
    private static readonly Asn1Tag OptionalSignature = new(TagClass.ContextSpecific, 0, isConstructed: true);

    /// <summary>One CertID (§4.1.1): its DER as sent, the hash algorithm's OID, the two hashes and the serial (<see cref="CertificateSerial"/> spelling).</summary>
    internal readonly record struct RequestedCertId(ReadOnlyMemory<byte> Der, string HashOid, ReadOnlyMemory<byte> IssuerNameHash,
        ReadOnlyMemory<byte> IssuerKeyHash, string SerialHex);

    /// <summary>
    /// False when <paramref name="der"/> is not one DER OCSPRequest, names no CertID or more than <paramref name="maxRequests"/>, repeats an
    /// extension, or carries a nonce that is not an OCTET STRING of 1–128 octets (RFC 9654 §2.1): all malformedRequest.
    /// </summary>
    public static bool TryDecode(ReadOnlyMemory<byte> der, int maxRequests, out RequestedCertId[] requests, out byte[]? nonce)
    {
        requests = [];
        nonce = null;
        try
        {
            var outer = new AsnReader(der, AsnEncodingRules.DER);
            var request = outer.ReadSequence();
            outer.ThrowIfNotEmpty();
            var tbs = request.ReadSequence();
            if (tbs.PeekTag().HasSameClassAndValue(Version))
            {
                var version = tbs.ReadSequence(Version);
                _ = version.ReadIntegerBytes();
                version.ThrowIfNotEmpty();
            }
            if (tbs.HasData && tbs.PeekTag().HasSameClassAndValue(RequestorName))
                SkipGeneralName(tbs.ReadSequence(RequestorName));
            var list = new List<RequestedCertId>();
            var requestList = tbs.ReadSequence();
            while (requestList.HasData)
            {
                if (list.Count == maxRequests)
                    return false;
                var single = requestList.ReadSequence();
                list.Add(ReadCertId(single.ReadEncodedValue()));
                if (single.HasData)
                    _ = ReadExtensions(single.ReadSequence(SingleRequestExtensions));
                single.ThrowIfNotEmpty();
            }
            byte[]? extensionNonce = null;
            var nonceValid = true;
            if (tbs.HasData)
            {
                var extensions = ReadExtensions(tbs.ReadSequence(RequestExtensions));
                if (extensions.TryGetValue(NonceOid, out var value))
                    nonceValid = TryReadNonce(value, out extensionNonce);
            }
            tbs.ThrowIfNotEmpty();
            if (request.HasData)
            {
                var signature = request.ReadSequence(OptionalSignature);
                _ = signature.ReadSequence();
                signature.ThrowIfNotEmpty();
            }
            request.ThrowIfNotEmpty();
            if (list.Count == 0 || !nonceValid)
                return false;
            requests = [.. list];
            nonce = extensionNonce;
            return true;
        }
        catch (AsnContentException)
        {
            return false;
        }
    }

    /// <summary>CertID ::= SEQUENCE { hashAlgorithm AlgorithmIdentifier, issuerNameHash OCTET STRING, issuerKeyHash OCTET STRING, serialNumber INTEGER }.</summary>
    private static RequestedCertId ReadCertId(ReadOnlyMemory<byte> der)
    {
        var outer = new AsnReader(der, AsnEncodingRules.DER);
        var id = outer.ReadSequence();
        var algorithm = id.ReadSequence();
        var oid = algorithm.ReadObjectIdentifier();
        if (algorithm.HasData)
            _ = algorithm.ReadEncodedValue(); // parameters: NULL or absent for SHA-1/SHA-256, not compared
        algorithm.ThrowIfNotEmpty();
        if (!id.TryReadPrimitiveOctetString(out var nameHash) || !id.TryReadPrimitiveOctetString(out var keyHash))
            throw new AsnContentException("a CertID hash is not a primitive OCTET STRING");
        var serial = id.ReadIntegerBytes();
        id.ThrowIfNotEmpty();
        return new RequestedCertId(der, oid, nameHash, keyHash, CertificateSerial.ToHex(serial.Span));
    }

    /// <summary>Extensions ::= SEQUENCE SIZE (1..MAX) OF Extension; each extnID once (RFC 5280 §4.2). extnID → extnValue's contents.</summary>
    private static Dictionary<string, ReadOnlyMemory<byte>> ReadExtensions(AsnReader explicitTag)
    {
        var list = explicitTag.ReadSequence();
        explicitTag.ThrowIfNotEmpty();
        var extensions = new Dictionary<string, ReadOnlyMemory<byte>>(StringComparer.Ordinal);
        while (list.HasData)
        {
            var extension = list.ReadSequence();
            var oid = extension.ReadObjectIdentifier();
            if (extension.PeekTag().HasSameClassAndValue(Asn1Tag.Boolean))
                _ = extension.ReadBoolean();
            if (!extension.TryReadPrimitiveOctetString(out var value))
                throw new AsnContentException("extnValue is not a primitive OCTET STRING");
            extension.ThrowIfNotEmpty();
            if (!extensions.TryAdd(oid, value))
                throw new AsnContentException($"extension {oid} repeated");
        }
        if (extensions.Count == 0)
            throw new AsnContentException("no extension in Extensions");
        return extensions;
    }

    /// <summary>RFC 9654 §2.1: Nonce ::= OCTET STRING (SIZE(1..128)), DER in the extension's extnValue.</summary>
    private static bool TryReadNonce(ReadOnlyMemory<byte> extnValue, out byte[]? nonce)
    {
        nonce = null;
        try
        {
            var reader = new AsnReader(extnValue, AsnEncodingRules.DER);
            if (!reader.TryReadPrimitiveOctetString(out var octets))
                return false;
            reader.ThrowIfNotEmpty();
            if (octets.Length is < OcspNonce.MinLength or > OcspNonce.MaxLength)
                return false;
            nonce = octets.ToArray();
            return true;
        }
        catch (AsnContentException)
        {
            return false;
        }
    }

    /// <summary>requestorName [1] EXPLICIT GeneralName: one element of the CHOICE (RFC 5280 §4.2.1.6, context tags 0–8), skipped.</summary>
    private static void SkipGeneralName(AsnReader explicitTag)
    {
        var tag = explicitTag.PeekTag();
        if (tag.TagClass != TagClass.ContextSpecific || tag.TagValue > 8)
            throw new AsnContentException("requestorName is not a GeneralName");
        _ = explicitTag.ReadEncodedValue();
        explicitTag.ThrowIfNotEmpty();
    }
}
