using System.Globalization;
using System.Text;
using System.Xml;

namespace M2MSec.Aka.Gba;

/// <summary>
/// The body of the BSF's 200 OK on Ub (TS 24.109 §4.5.2 step 7, Annex C: application/vnd.3gpp.bsf+xml): the B-TID and the key's
/// lifetime (an absolute UTC time). I/O-free; the parser refuses DTDs, other elements and oversized documents.
/// </summary>
public sealed record BootstrappingInfo(string BTid, DateTimeOffset Lifetime)
{
    public const string MediaType = "application/vnd.3gpp.bsf+xml";

    public const string Namespace = "uri:3gpp-gba";

    public const int MaxLength = 8192;

    public byte[] Encode()
    {
        var lifetime = Lifetime.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
        var xml = $"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<BootstrappingInfo xmlns=\"{Namespace}\">\n  <btid>{System.Security.SecurityElement.Escape(BTid)}</btid>\n" +
            $"  <lifetime>{lifetime}</lifetime>\n</BootstrappingInfo>\n";
        return Encoding.UTF8.GetBytes(xml);
    }

    public static bool TryParse(ReadOnlySpan<byte> body, out BootstrappingInfo info, out string error)
    {
        info = null!;
        error = "";
        if (body.Length == 0 || body.Length > MaxLength)
        {
            error = $"BootstrappingInfo: expected 1 to {MaxLength} octets";
            return false;
        }
        string? btid = null, lifetime = null;
        try
        {
            var settings = new XmlReaderSettings { DtdProcessing = DtdProcessing.Prohibit, XmlResolver = null, IgnoreComments = true, IgnoreWhitespace = true };
            using var reader = XmlReader.Create(new MemoryStream(body.ToArray()), settings);
            reader.MoveToContent();
            if (reader.LocalName != "BootstrappingInfo" || reader.NamespaceURI != Namespace)
            {
                error = "BootstrappingInfo: the root element is not BootstrappingInfo in uri:3gpp-gba";
                return false;
            }
            reader.ReadStartElement();
            while (reader.NodeType == XmlNodeType.Element)
            {
                switch (reader.LocalName)
                {
                    case "btid" when btid is null:
                        btid = reader.ReadElementContentAsString();
                        break;
                    case "lifetime" when lifetime is null:
                        lifetime = reader.ReadElementContentAsString();
                        break;
                    default:
                        error = "BootstrappingInfo: an unexpected or repeated element";
                        return false;
                }
            }
        }
        catch (XmlException)
        {
            error = "BootstrappingInfo: not well-formed XML";
            return false;
        }
        if (string.IsNullOrEmpty(btid) || !Gba.BTid.IsWellFormed(btid))
        {
            error = "BootstrappingInfo: btid missing or not base64(RAND)@domain";
            return false;
        }
        if (lifetime is null || !DateTimeOffset.TryParseExact(lifetime, ["yyyy-MM-dd'T'HH:mm:ss'Z'", "yyyy-MM-dd'T'HH:mm:ss.FFFFFFF'Z'"], CultureInfo.InvariantCulture,
                DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var at))
        {
            error = "BootstrappingInfo: lifetime missing or not an xs:dateTime in UTC (…Z)";
            return false;
        }
        info = new BootstrappingInfo(btid, at);
        return true;
    }
}

/// <summary>The Bootstrapping Transaction Identifier (TS 33.220 §4.5.2 step 6): base64(RAND) "@" the BSF's server name.</summary>
public static class BTid
{
    public const int MaxLength = 255;

    public static string Create(ReadOnlySpan<byte> rand, string bsfDomain)
    {
        ArgumentException.ThrowIfNullOrEmpty(bsfDomain);
        return Convert.ToBase64String(rand) + "@" + bsfDomain;
    }

    /// <summary>base64 of 16 octets, '@', a DNS name; at most <see cref="MaxLength"/> characters.</summary>
    public static bool IsWellFormed(string? bTid)
    {
        if (string.IsNullOrEmpty(bTid) || bTid.Length > MaxLength)
            return false;
        var at = bTid.IndexOf('@', StringComparison.Ordinal);
        if (at <= 0 || at == bTid.Length - 1)
            return false;
        Span<byte> rand = stackalloc byte[18];
        if (!Convert.TryFromBase64String(bTid[..at], rand, out var n) || n != Milenage.RandSize)
            return false;
        var domain = bTid[(at + 1)..];
        return domain.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '-') && !domain.StartsWith('.') && !domain.EndsWith('.');
    }
}
