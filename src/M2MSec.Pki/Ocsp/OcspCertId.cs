using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Org.BouncyCastle.Asn1;
using Org.BouncyCastle.Asn1.Nist;
using Org.BouncyCastle.Asn1.Oiw;
using Org.BouncyCastle.Asn1.X509;
using Org.BouncyCastle.Math;
using Org.BouncyCastle.Ocsp;

namespace M2MSec.Pki.Ocsp;

/// <summary>
/// An OCSP CertID (RFC 6960 §4.1.1): hash algorithm, hash of the issuer's DN, hash of the
/// issuer's public key BIT STRING contents, and the serial (spelled as <see cref="CertificateSerial"/>).
/// </summary>
public sealed class OcspCertId
{
    private OcspCertId(CertificateID id)
    {
        Inner = id;
        HashAlgorithm = HashOf(id.HashAlgOid) ?? throw new ArgumentException($"unsupported CertID hash {id.HashAlgOid}", nameof(id));
        IssuerNameHash = id.GetIssuerNameHash();
        IssuerKeyHash = id.GetIssuerKeyHash();
        SerialHex = CertificateSerial.ToHex(id.SerialNumber.ToByteArray());
    }

    /// <summary>SHA-1 (what OpenSSL and RFC 5019 clients use) or SHA-256.</summary>
    public HashAlgorithmName HashAlgorithm { get; }

    public ReadOnlyMemory<byte> IssuerNameHash { get; }

    public ReadOnlyMemory<byte> IssuerKeyHash { get; }

    public string SerialHex { get; }

    internal CertificateID Inner { get; }

    /// <summary>The CertID of <paramref name="certificate"/> issued by <paramref name="issuer"/>; SHA-1 unless told.</summary>
    public static OcspCertId For(X509Certificate2 certificate, X509Certificate2 issuer, HashAlgorithmName? hash = null)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        ArgumentNullException.ThrowIfNull(issuer);
        var algorithm = AlgorithmOf(hash ?? HashAlgorithmName.SHA1);
        // SerialNumber is the hex of the INTEGER contents (two's complement, big-endian).
        var serial = new BigInteger(Convert.FromHexString(certificate.SerialNumber));
        return new(new CertificateID(algorithm, BouncyCastleCertificates.ToBouncyCastle(issuer), serial));
    }

    /// <summary>Wraps a parsed CertID when its hash algorithm is one we support; null otherwise.</summary>
    internal static OcspCertId? TryFrom(CertificateID id) => HashOf(id.HashAlgOid) is null ? null : new OcspCertId(id);

    /// <summary>Same algorithm, hashes and serial (algorithm parameters NULL/absent are not compared).</summary>
    public bool Matches(OcspCertId other)
    {
        ArgumentNullException.ThrowIfNull(other);
        return HashAlgorithm == other.HashAlgorithm
            && IssuerNameHash.Span.SequenceEqual(other.IssuerNameHash.Span)
            && IssuerKeyHash.Span.SequenceEqual(other.IssuerKeyHash.Span)
            && SerialHex == other.SerialHex;
    }

    /// <summary>True when this CertID names <paramref name="issuer"/> (under this CertID's own hash).</summary>
    internal bool NamesIssuer(Org.BouncyCastle.X509.X509Certificate issuer) => Inner.MatchesIssuer(issuer);

    public override string ToString() => $"CertID({HashAlgorithm.Name}, serial {SerialHex})";

    private static AlgorithmIdentifier AlgorithmOf(HashAlgorithmName hash)
    {
        if (hash == HashAlgorithmName.SHA1)
            return new AlgorithmIdentifier(OiwObjectIdentifiers.IdSha1, DerNull.Instance);
        if (hash == HashAlgorithmName.SHA256)
            return new AlgorithmIdentifier(NistObjectIdentifiers.IdSha256, DerNull.Instance);
        throw new ArgumentException($"CertID hash must be SHA-1 or SHA-256, not {hash.Name}", nameof(hash));
    }

    private static HashAlgorithmName? HashOf(string oid) =>
        oid == OiwObjectIdentifiers.IdSha1.Id ? HashAlgorithmName.SHA1
        : oid == NistObjectIdentifiers.IdSha256.Id ? HashAlgorithmName.SHA256
        : null;
}
