using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace M2MSec.Pki.Authority;

/// <summary>
/// What a certificate is for; each profile fixes key usage, extended key usage, basic
/// constraints and a default validity (TS 33.310 §6.1.3 certificate profiles; RFC 5280).
/// </summary>
public enum CertificateProfile
{
    /// <summary>Self-signed root CA: keyCertSign + cRLSign, CA without path limit.</summary>
    Root,

    /// <summary>Issuing CA under the root: keyCertSign + cRLSign, CA with pathLen 0.</summary>
    Issuing,

    /// <summary>Delegated OCSP responder (RFC 6960 §4.2.2.2): id-kp-OCSPSigning and id-pkix-ocsp-nocheck.</summary>
    OcspSigner,

    /// <summary>DM server (TLS server, short-lived): serverAuth, SAN required.</summary>
    DmServer,

    /// <summary>Network function (mutual TLS between network functions): serverAuth + clientAuth.</summary>
    NetworkFunction,

    /// <summary>Device or platform certificate: clientAuth.</summary>
    Device,

    /// <summary>Signing certificate of the selected home operator: digitalSignature + nonRepudiation, no EKU.</summary>
    Sho,

    /// <summary>
    /// Administrator of the network functions' administrative APIs: clientAuth only, and the
    /// administrator policy OID (<see cref="CertificateRoles.AdministratorPolicyOid"/>).
    /// </summary>
    Admin,

    /// <summary>
    /// The attestation key of a TRE (PfC, TR 33.812 §5.1.3.6.2 step 13; manufacturer hierarchy): digitalSignature only, no EKU —
    /// it signs attestation statements for the PVA, never a TLS handshake.
    /// </summary>
    PlatformAttestation,

    /// <summary>
    /// The encryption key behind PK_D (PfC; seed 003 "a process to certify the PK_D"): keyAgreement for an EC key (ECIES),
    /// keyEncipherment for an RSA one (RSA-OAEP of PIK ‖ PCK), no EKU.
    /// </summary>
    PlatformEncryption,
}

/// <summary>Profile names on the CLI and their rules.</summary>
public static class CertificateProfiles
{
    /// <summary>id-pkix-ocsp-nocheck (RFC 6960 §4.2.2.2.1): the responder certificate is not itself checked.</summary>
    public const string OcspNoCheckOid = "1.3.6.1.5.5.7.48.1.5";

    public const string ServerAuthOid = "1.3.6.1.5.5.7.3.1";
    public const string ClientAuthOid = "1.3.6.1.5.5.7.3.2";
    public const string OcspSigningOid = "1.3.6.1.5.5.7.3.9";

    private static readonly (CertificateProfile Profile, string Name)[] Names =
    [
        (CertificateProfile.DmServer, "dm-server"), (CertificateProfile.NetworkFunction, "nf"), (CertificateProfile.OcspSigner, "ocsp"),
        (CertificateProfile.Device, "device"), (CertificateProfile.Sho, "sho"), (CertificateProfile.Admin, "admin"),
        (CertificateProfile.PlatformAttestation, "platform-attestation"), (CertificateProfile.PlatformEncryption, "platform-encryption"),
    ];

    /// <summary>The profiles `pki issue` accepts (the CAs are made by `pki init`).</summary>
    public static IReadOnlyList<string> IssuableNames { get; } = [.. Names.Select(n => n.Name)];

    public static string Name(this CertificateProfile profile) =>
        Names.FirstOrDefault(n => n.Profile == profile).Name ?? profile.ToString().ToLowerInvariant();

    public static bool TryParse(string? name, out CertificateProfile profile)
    {
        foreach (var (p, n) in Names)
        {
            if (string.Equals(n, name, StringComparison.OrdinalIgnoreCase))
            {
                profile = p;
                return true;
            }
        }
        profile = default;
        return false;
    }

    public static bool IsCa(this CertificateProfile profile) => profile is CertificateProfile.Root or CertificateProfile.Issuing;

    /// <summary>Whether the profile names a TLS endpoint and so must carry a subjectAltName.</summary>
    public static bool NeedsSan(this CertificateProfile profile) => profile is CertificateProfile.DmServer or CertificateProfile.NetworkFunction;

    /// <summary>Default validity: DM server certificates are short-lived (seed 001: secure-clock mode).</summary>
    public static TimeSpan DefaultValidity(this CertificateProfile profile) => profile switch
    {
        CertificateProfile.Root => TimeSpan.FromDays(20 * 365),
        CertificateProfile.Issuing => TimeSpan.FromDays(10 * 365),
        CertificateProfile.OcspSigner => TimeSpan.FromDays(30),
        CertificateProfile.DmServer => TimeSpan.FromDays(7),
        CertificateProfile.NetworkFunction => TimeSpan.FromDays(365),
        CertificateProfile.Device => TimeSpan.FromDays(10 * 365),
        CertificateProfile.Sho => TimeSpan.FromDays(2 * 365),
        CertificateProfile.Admin => TimeSpan.FromDays(30),
        CertificateProfile.PlatformAttestation or CertificateProfile.PlatformEncryption => TimeSpan.FromDays(10 * 365),
        _ => throw new ArgumentOutOfRangeException(nameof(profile)),
    };

    /// <summary>Whether the profile names a network-function role (one policy OID, <see cref="CertificateRoles"/>); only nf does, and must.</summary>
    public static bool NeedsRole(this CertificateProfile profile) => profile == CertificateProfile.NetworkFunction;

    /// <summary>Checks the role given for <paramref name="profile"/>: required for nf, refused for the others.</summary>
    public static void CheckRole(this CertificateProfile profile, string? role)
    {
        if (profile.NeedsRole() && !CertificateRoles.IsRole(role))
            throw new ArgumentException($"--role: the nf profile needs one of {string.Join(", ", CertificateRoles.Names)}", nameof(role));
        if (!profile.NeedsRole() && role is not null)
            throw new ArgumentException("--role: only for the nf profile", nameof(role));
    }

    /// <summary>The profile's fixed extensions (besides SKI/AKI/SAN/AIA, which depend on the keys and names); <paramref name="role"/> for nf.</summary>
    internal static IEnumerable<X509Extension> Extensions(this CertificateProfile profile, bool rsa, string? role = null)
    {
        // RSA key transport is not in the profile (ECDHE only), but keyEncipherment is harmless
        // and some TLS stacks still insist on it for RSA server certificates.
        var tlsUsage = X509KeyUsageFlags.DigitalSignature | (rsa ? X509KeyUsageFlags.KeyEncipherment : X509KeyUsageFlags.None);
        switch (profile)
        {
            case CertificateProfile.Root:
                yield return X509BasicConstraintsExtension.CreateForCertificateAuthority();
                yield return new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, critical: true);
                break;
            case CertificateProfile.Issuing:
                yield return X509BasicConstraintsExtension.CreateForCertificateAuthority(0);
                yield return new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, critical: true);
                break;
            case CertificateProfile.OcspSigner:
                yield return X509BasicConstraintsExtension.CreateForEndEntity();
                yield return new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, critical: true);
                yield return Eku(OcspSigningOid);
                yield return new X509Extension(OcspNoCheckOid, [0x05, 0x00], critical: false);
                break;
            case CertificateProfile.DmServer:
                yield return X509BasicConstraintsExtension.CreateForEndEntity();
                yield return new X509KeyUsageExtension(tlsUsage, critical: true);
                yield return Eku(ServerAuthOid);
                break;
            case CertificateProfile.NetworkFunction:
                yield return X509BasicConstraintsExtension.CreateForEndEntity();
                yield return new X509KeyUsageExtension(tlsUsage, critical: true);
                yield return Eku(ServerAuthOid, ClientAuthOid);
                yield return CertificateRoles.PolicyExtension(CertificateRoles.PolicyOid(role ?? throw new ArgumentException("--role: the nf profile needs a role", nameof(role))));
                break;
            case CertificateProfile.Admin:
                yield return X509BasicConstraintsExtension.CreateForEndEntity();
                yield return new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, critical: true);
                yield return Eku(ClientAuthOid);
                yield return CertificateRoles.PolicyExtension(CertificateRoles.AdministratorPolicyOid);
                break;
            case CertificateProfile.Device:
                yield return X509BasicConstraintsExtension.CreateForEndEntity();
                yield return new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, critical: true);
                yield return Eku(ClientAuthOid);
                break;
            case CertificateProfile.PlatformAttestation:
                yield return X509BasicConstraintsExtension.CreateForEndEntity();
                yield return new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, critical: true);
                break;
            case CertificateProfile.PlatformEncryption:
                yield return X509BasicConstraintsExtension.CreateForEndEntity();
                yield return new X509KeyUsageExtension(rsa ? X509KeyUsageFlags.KeyEncipherment : X509KeyUsageFlags.KeyAgreement, critical: true);
                break;
            case CertificateProfile.Sho:
                yield return X509BasicConstraintsExtension.CreateForEndEntity();
                yield return new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.NonRepudiation, critical: true);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(profile));
        }
    }

    private static X509EnhancedKeyUsageExtension Eku(params string[] oids)
    {
        var collection = new OidCollection();
        foreach (var oid in oids)
            collection.Add(new Oid(oid));
        return new X509EnhancedKeyUsageExtension(collection, critical: false);
    }
}
