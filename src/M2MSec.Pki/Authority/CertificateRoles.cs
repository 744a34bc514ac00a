using System.Formats.Asn1;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace M2MSec.Pki.Authority;

/// <summary>
/// What a certificate of the operator hierarchy may do, as certificate policy OIDs (RFC 5280
/// §4.2.1.4): the administrator profile, and one OID per network-function role. The one table of
/// role OIDs (docs/decisions/012). The arc is M2MSec's own UUID arc (ITU-T X.667, 2.25.UUID —
/// no registration needed): 2.25.30261589656016742081128309720742402683.1.x.
/// </summary>
public static class CertificateRoles
{
    /// <summary>M2MSec's certificate-policy arc under its UUID OID (16c42b90-26cc-4b75-8aaa-9751e8789a7b).</summary>
    public const string PolicyArc = "2.25.30261589656016742081128309720742402683.1";

    /// <summary>An administrator of the network functions' administrative APIs.</summary>
    public const string AdministratorPolicyOid = PolicyArc + ".1";

    /// <summary>Network-function roles: <see cref="PolicyArc"/>.2.N.</summary>
    public const string NetworkFunctionArc = PolicyArc + ".2";

    /// <summary>Role name (as `serve ROLE` and endpoints.json spell it) → its policy OID. Numbers are never reused.</summary>
    private static readonly (string Role, int Number)[] Table =
    [
        ("hss", 1), ("smsc", 2), ("ota", 3), ("ocsp", 4), ("scp81", 5), ("dm", 6),
        ("ccif", 7), ("vno", 8), ("icf", 9), ("drf", 10), ("dpf", 11), ("sho", 12), ("pva", 13), ("mtc-iwf", 14), ("bsf", 15), ("naf", 16),
        ("mtc-server", 17), ("metrics", 18),
    ];

    /// <summary>Every role a network-function certificate can carry.</summary>
    public static IReadOnlyList<string> Names { get; } = [.. Table.Select(t => t.Role)];

    /// <summary>
    /// Roles entitled to authentication vectors with CK/IK (HSS /auth-vectors): those that run AKA
    /// on behalf of a serving network — the VNO's serving network (TR 33.812 §5.1.3.5), the
    /// registration operator's initial connectivity function (TR 33.812 ICF) and the BSF (Zh,
    /// TS 33.220 §4.5.2). The demo's AKA stage acts as the VNO.
    /// </summary>
    public static IReadOnlyList<string> VectorConsumers { get; } = ["vno", "icf", "bsf"];

    public static bool IsRole(string? role) => role is not null && Table.Any(t => t.Role == role);

    /// <summary>The policy OID of <paramref name="role"/>; throws for an unknown role.</summary>
    public static string PolicyOid(string role) =>
        Table.FirstOrDefault(t => t.Role == role) is { Role: not null } t
            ? $"{NetworkFunctionArc}.{t.Number}"
            : throw new ArgumentException($"--role: expected one of {string.Join(", ", Names)}", nameof(role));

    /// <summary>The network-function role a certificate carries (exactly one of the table's OIDs), or null.</summary>
    public static string? RoleOf(X509Certificate2 certificate)
    {
        var roles = Policies(certificate).Select(RoleOfOid).OfType<string>().Distinct().ToList();
        return roles.Count == 1 ? roles[0] : null;
    }

    /// <summary>Whether the certificate carries the administrator policy (and no network-function role).</summary>
    public static bool IsAdministrator(X509Certificate2 certificate)
    {
        var policies = Policies(certificate);
        return policies.Contains(AdministratorPolicyOid) && !policies.Any(p => RoleOfOid(p) is not null);
    }

    private static string? RoleOfOid(string oid) => RolesByOid.GetValueOrDefault(oid);

    /// <summary>The table by OID (looked up on every peer's certificate: the OIDs made once, not per lookup).</summary>
    private static readonly Dictionary<string, string> RolesByOid = Table.ToDictionary(t => $"{NetworkFunctionArc}.{t.Number}", t => t.Role, StringComparer.Ordinal);

    /// <summary>The certificatePolicies extension (RFC 5280 §4.2.1.4) naming <paramref name="oid"/>, without qualifiers.</summary>
    internal static X509Extension PolicyExtension(string oid)
    {
        var writer = new AsnWriter(AsnEncodingRules.DER);
        using (writer.PushSequence())
        using (writer.PushSequence())
            writer.WriteObjectIdentifier(oid);
        return new X509Extension(CertificatePoliciesOid, writer.Encode(), critical: false);
    }

    public const string CertificatePoliciesOid = "2.5.29.32";

    /// <summary>The policy identifiers a certificate carries; none when the extension is missing or malformed.</summary>
    public static IReadOnlyList<string> Policies(X509Certificate2 certificate)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        var extension = certificate.Extensions[CertificatePoliciesOid];
        if (extension is null)
            return [];
        var oids = new List<string>();
        try
        {
            var reader = new AsnReader(extension.RawData, AsnEncodingRules.DER);
            var policies = reader.ReadSequence();
            reader.ThrowIfNotEmpty();
            while (policies.HasData)
            {
                var info = policies.ReadSequence();
                oids.Add(info.ReadObjectIdentifier());
            }
        }
        catch (AsnContentException)
        {
            return [];
        }
        catch (CryptographicException)
        {
            return [];
        }
        return oids;
    }
}
