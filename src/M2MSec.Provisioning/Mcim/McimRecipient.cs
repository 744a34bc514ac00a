using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace M2MSec.Provisioning.Mcim;

/// <summary>
/// A PK_D prepared for sealing (imported once, so a SHO sealing many MCIMs for one device — or a benchmark — does not
/// parse the key each time): EC P-256 (ECIES) or RSA ≥ 2048 (RSA-OAEP with SHA-256). docs/decisions/014-mcim-object.md.
/// </summary>
public sealed class McimRecipient : IDisposable
{
    private const string RsaOid = "1.2.840.113549.1.1.1";
    private const string EcOid = "1.2.840.10045.2.1";
    private const string P256Oid = "1.2.840.10045.3.1.7";

    private readonly RSA? _rsa;
    private readonly ECDiffieHellman? _ec;
    private readonly ECDiffieHellmanPublicKey? _ecPublic;

    private McimRecipient(RSA rsa)
    {
        if (rsa.KeySize < 2048)
            throw new ArgumentException("PK_D: RSA keys of at least 2048 bits", nameof(rsa));
        _rsa = rsa;
        Kem = McimKem.RsaOaepSha256;
    }

    private McimRecipient(ECDiffieHellman ec)
    {
        if (ec.ExportParameters(false).Curve.Oid?.Value != P256Oid && ec.ExportParameters(false).Curve.Oid?.FriendlyName != "nistP256")
            throw new ArgumentException("PK_D: EC keys on P-256 only", nameof(ec));
        _ec = ec;
        _ecPublic = ec.PublicKey;
        Kem = McimKem.EciesP256;
    }

    /// <summary>How PK_D wraps PIK ‖ PCK for this key.</summary>
    public McimKem Kem { get; }

    /// <summary>From SubjectPublicKeyInfo DER (what the PfC encryption certificate carries). Throws <see cref="ArgumentException"/>.</summary>
    public static McimRecipient FromSubjectPublicKeyInfo(ReadOnlySpan<byte> spki)
    {
        PublicKey key;
        try
        {
            key = PublicKey.CreateFromSubjectPublicKeyInfo(spki, out var read);
            if (read != spki.Length)
                throw new ArgumentException("PK_D: trailing octets after the SubjectPublicKeyInfo", nameof(spki));
        }
        catch (CryptographicException e)
        {
            throw new ArgumentException("PK_D: not a SubjectPublicKeyInfo", nameof(spki), e);
        }
        return key.Oid.Value switch
        {
            RsaOid => new McimRecipient(key.GetRSAPublicKey() ?? throw new ArgumentException("PK_D: bad RSA key", nameof(spki))),
            EcOid => new McimRecipient(key.GetECDiffieHellmanPublicKey() ?? throw new ArgumentException("PK_D: bad EC key", nameof(spki))),
            _ => throw new ArgumentException("PK_D: neither RSA nor EC", nameof(spki)),
        };
    }

    /// <summary>The platform encryption certificate's key (PfC, profile platform-encryption).</summary>
    public static McimRecipient FromCertificate(X509Certificate2 certificate)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        return FromSubjectPublicKeyInfo(certificate.PublicKey.ExportSubjectPublicKeyInfo());
    }

    /// <summary>The length of PK_D(PIK ‖ PCK) for <paramref name="suite"/>.</summary>
    public int WrappedLength(McimSuite suite) =>
        Kem == McimKem.EciesP256 ? PkDEcies.Overhead + suite.WrappedKeyLength() : _rsa!.KeySize / 8;

    /// <summary>PK_D(keys) into <paramref name="destination"/> (<see cref="WrappedLength"/> octets).</summary>
    internal void Wrap(ReadOnlySpan<byte> keys, ReadOnlySpan<byte> associatedData, Span<byte> destination)
    {
        if (_ecPublic is not null)
        {
            PkDEcies.Encrypt(_ecPublic, keys, associatedData, destination);
            return;
        }
        // RSA-OAEP has no associated data here; the wrapped length differs per suite, so a key cannot change suite.
        if (!_rsa!.TryEncrypt(keys, destination, RSAEncryptionPadding.OaepSHA256, out var written) || written != destination.Length)
            throw new CryptographicException("RSA-OAEP output is not the modulus length");
    }

    public void Dispose()
    {
        _rsa?.Dispose();
        _ecPublic?.Dispose();
        _ec?.Dispose();
    }
}

/// <summary>How PK_D protects PIK ‖ PCK (the MCIM object's first octet). docs/decisions/014.</summary>
public enum McimKem : byte
{
    /// <summary><see cref="PkDEcies"/>: ephemeral ECDH P-256, HKDF-SHA256, AES-256-GCM.</summary>
    EciesP256 = 1,

    /// <summary>RSAES-OAEP (RFC 8017 §7.1) with SHA-256 and MGF1-SHA-256.</summary>
    RsaOaepSha256 = 2,
}
