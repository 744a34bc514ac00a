namespace M2MSec.Pki.Ocsp;

/// <summary>A built OCSPRequest: its DER, the nonce it carries (null: none) and the CertID asked about.</summary>
public sealed record OcspRequest(byte[] Der, byte[]? Nonce, OcspCertId CertId)
{
    /// <summary>
    /// The path segment of the GET form (RFC 6960 Appendix A.1): the URL-encoding of the base64
    /// of the DER. Append to the responder URL after a '/'.
    /// </summary>
    public string ToGetPathSegment() => Uri.EscapeDataString(Convert.ToBase64String(Der));
}

/// <summary>
/// A built OCSPRequest about several certificates of one issuer (RFC 6960 §4.1.1: a Request per CertID in its requestList, one
/// nonce for the message): its DER, the nonce and the CertIDs asked about, in order.
/// </summary>
public sealed record OcspBatchRequest(byte[] Der, byte[]? Nonce, IReadOnlyList<OcspCertId> CertIds);
