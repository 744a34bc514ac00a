using System.Net;
using System.Security.Cryptography.X509Certificates;
using System.Text.RegularExpressions;

namespace M2MSec.Pki.Authority;

/// <summary>Who a certificate names: a common name and subjectAltNames (DNS names and IP addresses).</summary>
public sealed partial record CertificateSubject
{
    public CertificateSubject(string commonName, IEnumerable<string>? alternativeNames = null)
    {
        if (string.IsNullOrWhiteSpace(commonName) || commonName.Length > MaxCommonNameLength || !IsPrintable(commonName)
            || commonName[0] == ' ' || commonName[^1] == ' ')
            throw new ArgumentException($"--subject: a common name of 1 to {MaxCommonNameLength} printable ASCII characters (no control characters, no leading or trailing space)", nameof(commonName));
        CommonName = commonName;
        var names = new List<string>();
        foreach (var name in alternativeNames ?? [])
        {
            if (names.Count >= MaxAlternativeNames)
                throw new ArgumentException($"--san: at most {MaxAlternativeNames} names", nameof(alternativeNames));
            if (!IPAddress.TryParse(name, out _) && !DnsName().IsMatch(name))
                throw new ArgumentException($"--san: '{Sanitise(name)}' is neither a DNS name nor an IP address", nameof(alternativeNames));
            names.Add(name);
        }
        AlternativeNames = names;
    }

    /// <summary>RFC 5280 Appendix A ub-common-name.</summary>
    public const int MaxCommonNameLength = 64;

    public const int MaxAlternativeNames = 16;

    public string CommonName { get; }

    /// <summary>Printable ASCII (0x20–0x7E) only: no control characters, escapes or line breaks that could forge log lines or terminal output.</summary>
    public static bool IsPrintable(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        foreach (var c in text)
        {
            if (c is < ' ' or > '~')
                return false;
        }
        return true;
    }

    /// <summary>
    /// <paramref name="text"/> fit to echo in an answer or a log line (a name from a certificate or request
    /// not checked here): every character outside printable ASCII as '?', at most 64 characters.
    /// </summary>
    public static string Sanitise(string? text)
    {
        if (text is null)
            return "";
        var chars = text.Length > MaxCommonNameLength ? text[..MaxCommonNameLength].ToCharArray() : text.ToCharArray();
        for (var i = 0; i < chars.Length; i++)
        {
            if (chars[i] is < ' ' or > '~')
                chars[i] = '?';
        }
        return text.Length > MaxCommonNameLength ? new string(chars) + "…" : new string(chars);
    }

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
