using System.Net;
using System.Security.Cryptography.X509Certificates;
using System.Text.RegularExpressions;

namespace M2MSec.Pki.Authority;

/// <summary>Who a certificate names: a common name and subjectAltNames (DNS names and IP addresses).</summary>
public sealed partial record CertificateSubject
{
    public CertificateSubject(string commonName, IEnumerable<string>? alternativeNames = null)
    {
        if (string.IsNullOrWhiteSpace(commonName) || commonName.Length > 64)
            throw new ArgumentException("--subject: a common name of 1 to 64 characters", nameof(commonName));
        CommonName = commonName;
        var names = new List<string>();
        foreach (var name in alternativeNames ?? [])
        {
            if (!IPAddress.TryParse(name, out _) && !DnsName().IsMatch(name))
                throw new ArgumentException($"--san: '{name}' is neither a DNS name nor an IP address", nameof(alternativeNames));
            names.Add(name);
        }
        AlternativeNames = names;
    }

    public string CommonName { get; }

    public IReadOnlyList<string> AlternativeNames { get; }

    internal X500DistinguishedName DistinguishedName(string organisation)
    {
        var builder = new X500DistinguishedNameBuilder();
        builder.AddOrganizationName(organisation);
        builder.AddCommonName(CommonName);
        return builder.Build();
    }

    /// <summary>The SAN extension; for TLS endpoints without an explicit SAN, the common name as a DNS name or IP.</summary>
    internal X509Extension? SanExtension(bool required)
    {
        var names = AlternativeNames.Count > 0 ? AlternativeNames
            : required && (IPAddress.TryParse(CommonName, out _) || DnsName().IsMatch(CommonName)) ? [CommonName]
            : required ? throw new ArgumentException("--san: this profile needs a DNS name or IP address (the common name is neither)")
            : [];
        if (names.Count == 0)
            return null;
        var san = new SubjectAlternativeNameBuilder();
        foreach (var name in names)
        {
            if (IPAddress.TryParse(name, out var ip))
                san.AddIpAddress(ip);
            else
                san.AddDnsName(name);
        }
        return san.Build();
    }

    [GeneratedRegex(@"^(?=.{1,253}$)(\*\.)?([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$")]
    private static partial Regex DnsName();
}
