using System.Numerics;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using M2MSec.Crypto.Metering;

namespace M2MSec.Pki.Authority;

/// <summary>
/// Builds X.509 v3 certificates to a <see cref="CertificateProfile"/>: positive random serials of
/// 16 octets (RFC 5280 §4.1.2.2: ≤ 20), SKI on every certificate, AKI on every one not self-signed,
/// AIA with the OCSP URL when the hierarchy has one. No I/O.
/// </summary>
public static class CertificateFactory
{
    public static byte[] NewSerial()
    {
        var serial = RandomNumberGenerator.GetBytes(16);
        serial[0] = (byte)((serial[0] & 0x7F) | 0x01);
        return serial;
    }

    /// <summary>A self-signed root CA with the given key.</summary>
    public static X509Certificate2 CreateRoot(AsymmetricAlgorithm key, KeyAlgorithm algorithm, string organisation, string commonName,
        DateTimeOffset notBefore, TimeSpan validity)
    {
        ArgumentNullException.ThrowIfNull(key);
        var name = new CertificateSubject(commonName).DistinguishedName(organisation);
        var request = Request(name, key, algorithm);
        foreach (var e in CertificateProfile.Root.Extensions(algorithm.IsRsa()))
            request.CertificateExtensions.Add(e);
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        using var cert = request.Create(name, KeyAlgorithms.SignatureGenerator(key), notBefore, notBefore + validity, NewSerial());
        return KeyAlgorithms.WithKey(cert, key);
    }

    /// <summary>
    /// Issues a certificate for <paramref name="subjectKey"/> under <paramref name="issuer"/> (which
    /// holds its private key). Validity is cut at the issuer's own notAfter.
    /// </summary>
    public static X509Certificate2 Issue(X509Certificate2 issuer, CertificateProfile profile, CertificateSubject subject, PublicKey subjectKey,
        KeyAlgorithm subjectAlgorithm, string organisation, DateTimeOffset notBefore, TimeSpan validity, Uri? ocspUrl = null, string? role = null)
    {
        ArgumentNullException.ThrowIfNull(issuer);
        ArgumentNullException.ThrowIfNull(subject);
        ArgumentNullException.ThrowIfNull(subjectKey);
        if (validity <= TimeSpan.Zero)
            throw new ArgumentException("--days: validity must be positive", nameof(validity));
        if (!profile.IsCa() && profile != CertificateProfile.OcspSigner)
            profile.CheckRole(role);
        var issuerAlgorithm = KeyAlgorithms.Of(issuer) ?? throw new ArgumentException("issuer key outside the profile", nameof(issuer));
        var request = new CertificateRequest(subject.DistinguishedName(organisation), subjectKey, issuerAlgorithm.SignatureHash(),
            issuerAlgorithm.IsRsa() ? RSASignaturePadding.Pkcs1 : null);
        foreach (var e in profile.Extensions(subjectAlgorithm.IsRsa(), role))
            request.CertificateExtensions.Add(e);
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(subjectKey, false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(issuer, includeKeyIdentifier: true, includeIssuerAndSerial: false));
        if (subject.SanExtension(profile.NeedsSan()) is { } san)
            request.CertificateExtensions.Add(san);
        if (ocspUrl is not null && !profile.IsCa() && profile != CertificateProfile.OcspSigner)
            request.CertificateExtensions.Add(new X509AuthorityInformationAccessExtension([ocspUrl.ToString()], null));
        var notAfter = notBefore + validity;
        if (notAfter > issuer.NotAfter.ToUniversalTime())
            notAfter = issuer.NotAfter.ToUniversalTime();
        using var issuerKey = KeyAlgorithms.PrivateKey(issuer);
        OperationMeter.Count(issuerKey is RSA ? MeteredOperation.RsaSign : MeteredOperation.EcdsaSign);
        return request.Create(issuer.SubjectName, KeyAlgorithms.SignatureGenerator(issuerKey), notBefore, notAfter, NewSerial());
    }

    /// <summary>A CRL of the issuer (RFC 5280 §5) with reasons; <paramref name="crlNumber"/> strictly increasing.</summary>
    public static byte[] BuildCrl(X509Certificate2 issuer, IEnumerable<(string SerialHex, DateTimeOffset RevokedAt, int? Reason)> revoked,
        long crlNumber, DateTimeOffset thisUpdate, DateTimeOffset nextUpdate)
    {
        ArgumentNullException.ThrowIfNull(issuer);
        ArgumentNullException.ThrowIfNull(revoked);
        var builder = new CertificateRevocationListBuilder();
        foreach (var (serial, at, reason) in revoked)
            builder.AddEntry(Convert.FromHexString(serial), at, reason is { } r ? (X509RevocationReason)r : null);
        var algorithm = KeyAlgorithms.Of(issuer) ?? throw new ArgumentException("issuer key outside the profile", nameof(issuer));
        return builder.Build(issuer, new BigInteger(crlNumber), nextUpdate, algorithm.SignatureHash(),
            algorithm.IsRsa() ? RSASignaturePadding.Pkcs1 : null, thisUpdate);
    }

    private static CertificateRequest Request(X500DistinguishedName name, AsymmetricAlgorithm key, KeyAlgorithm algorithm) => key switch
    {
        ECDsa ec => new CertificateRequest(name, ec, algorithm.SignatureHash()),
        RSA rsa => new CertificateRequest(name, rsa, algorithm.SignatureHash(), RSASignaturePadding.Pkcs1),
        _ => throw new ArgumentException("unsupported key type", nameof(key)),
    };
}
