namespace M2MSec.Pki.Ocsp;

/// <summary>The CertStatus CHOICE of a SingleResponse (RFC 6960 §4.2.1).</summary>
public enum OcspStatus
{
    Good,
    Revoked,
    Unknown,
}
