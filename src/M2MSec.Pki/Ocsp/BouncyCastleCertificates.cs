using Org.BouncyCastle.X509;
using DotNetCertificate = System.Security.Cryptography.X509Certificates.X509Certificate2;

namespace M2MSec.Pki.Ocsp;

/// <summary>.NET ↔ BouncyCastle certificate and time conversions.</summary>
internal static class BouncyCastleCertificates
{
    public static X509Certificate ToBouncyCastle(DotNetCertificate certificate)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        return new X509CertificateParser().ReadCertificate(certificate.RawData);
    }

    /// <summary>GeneralizedTime without fractional seconds, as most OCSP clients expect (RFC 5019 §2.2.4 style).</summary>
    public static DateTime ToWholeSecondsUtc(DateTimeOffset time) =>
        new(time.UtcTicks - time.UtcTicks % TimeSpan.TicksPerSecond, DateTimeKind.Utc);

    public static DateTimeOffset FromUtc(DateTime time) =>
        new(time.Kind == DateTimeKind.Local ? time.ToUniversalTime() : DateTime.SpecifyKind(time, DateTimeKind.Utc));
}
