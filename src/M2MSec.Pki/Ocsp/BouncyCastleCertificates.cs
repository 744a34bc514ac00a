using Org.BouncyCastle.X509;
using DotNetCertificate = System.Security.Cryptography.X509Certificates.X509Certificate2;

namespace M2MSec.Pki.Ocsp;

/// <summary>.NET ↔ BouncyCastle certificate and time conversions.</summary>
internal static class BouncyCastleCertificates
{
    /// <summary>
    /// The certificate parsed once per certificate object (issue 19: an OCSP client parsed its issuer for every request and every
    /// answer); weak keys, so a certificate no longer used takes its parse with it. BouncyCastle's certificates are shared
    /// read-only across threads, as the responder's issuer and signer always were.
    /// </summary>
    public static X509Certificate ToBouncyCastle(DotNetCertificate certificate)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        return Parsed.GetValue(certificate, c => new X509CertificateParser().ReadCertificate(c.RawData));
    }

    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<DotNetCertificate, X509Certificate> Parsed = new();

    public static DateTimeOffset FromUtc(DateTime time) =>
        new(time.Kind == DateTimeKind.Local ? time.ToUniversalTime() : DateTime.SpecifyKind(time, DateTimeKind.Utc));
}
