using System.Text;

namespace M2MSec.Aka.Gba;

/// <summary>A WWW-Authenticate Digest challenge (RFC 2617 §3.2.1; RFC 3310 §3.1: the nonce carries RAND ‖ AUTN ‖ server data).</summary>
public sealed record DigestChallenge(string Realm, string Nonce, string Algorithm = DigestAka.Algorithm, string Qop = DigestAka.QopAuthInt, bool Stale = false);

/// <summary>
/// An Authorization Digest header (RFC 2617 §3.2.2): the credentials of one request. <see cref="Auts"/> (RFC 3310 §3.4) is the
/// base64 AUTS of a synchronisation failure. <see cref="Response"/> is the digest, not a secret in itself, but never logged.
/// </summary>
public sealed record DigestCredentials(string Username, string Realm, string Nonce, string Uri, string Qop, string Nc, string Cnonce, string Response,
    string Algorithm = DigestAka.Algorithm, string? Auts = null)
{
    public override string ToString() => $"DigestCredentials {{ Username = {Username}, Realm = {Realm} }}";
}

/// <summary>An Authentication-Info header (RFC 2617 §3.2.3): rspauth proves the server knew the password too.</summary>
public sealed record DigestAuthenticationInfo(string RspAuth, string Qop, string Nc, string Cnonce);

/// <summary>
/// Formats and parses the Digest headers (RFC 2617 §1.2, §3.2; RFC 7616 §3.3–3.5): auth-param lists of token = token / quoted-string.
/// I/O-free; a malformed header is refused with a one-line reason (never echoing a value).
/// </summary>
public static class DigestHeaders
{
    /// <summary>The longest header parsed (an IMPI is at most a few hundred octets).</summary>
    public const int MaxHeaderLength = 4096;

    public static string Format(DigestChallenge c)
    {
        ArgumentNullException.ThrowIfNull(c);
        var s = $"Digest realm={Quote(c.Realm)}, nonce={Quote(c.Nonce)}, algorithm={c.Algorithm}, qop={Quote(c.Qop)}";
        return c.Stale ? s + ", stale=TRUE" : s;
    }

    public static string Format(DigestCredentials c)
    {
        ArgumentNullException.ThrowIfNull(c);
        var s = $"Digest username={Quote(c.Username)}, realm={Quote(c.Realm)}, nonce={Quote(c.Nonce)}, uri={Quote(c.Uri)}, qop={c.Qop}, nc={c.Nc}, " +
            $"cnonce={Quote(c.Cnonce)}, response={Quote(c.Response)}, algorithm={c.Algorithm}";
        return c.Auts is null ? s : s + $", auts={Quote(c.Auts)}";
    }

    public static string Format(DigestAuthenticationInfo i)
    {
        ArgumentNullException.ThrowIfNull(i);
        return $"qop={i.Qop}, rspauth={Quote(i.RspAuth)}, cnonce={Quote(i.Cnonce)}, nc={i.Nc}";
    }

    public static bool TryParseChallenge(string? header, out DigestChallenge challenge, out string error)
    {
        challenge = null!;
        if (!TryParseDigest(header, requireScheme: true, out var p, out error))
            return false;
        if (!Required(p, "realm", out var realm, ref error) || !Required(p, "nonce", out var nonce, ref error))
            return false;
        var algorithm = p.GetValueOrDefault("algorithm", "MD5");
        var qop = p.GetValueOrDefault("qop", "");
        var stale = string.Equals(p.GetValueOrDefault("stale"), "true", StringComparison.OrdinalIgnoreCase);
        challenge = new DigestChallenge(realm, nonce, algorithm, qop, stale);
        return true;
    }

    public static bool TryParseCredentials(string? header, out DigestCredentials credentials, out string error)
    {
        credentials = null!;
        if (!TryParseDigest(header, requireScheme: true, out var p, out error))
            return false;
        foreach (var name in new[] { "username", "realm", "nonce", "uri", "response" })
        {
            if (!p.ContainsKey(name))
            {
                error = $"Authorization: the {name} parameter is missing";
                return false;
            }
        }
        // RFC 2617 §3.2.2: with qop, cnonce and nc are required; nc is 8 hex digits.
        var qop = p.GetValueOrDefault("qop", "");
        var nc = p.GetValueOrDefault("nc", "");
        var cnonce = p.GetValueOrDefault("cnonce", "");
        if (qop.Length > 0 && (cnonce.Length == 0 || nc.Length != 8 || !nc.All(Uri.IsHexDigit)))
        {
            error = "Authorization: with qop, cnonce and nc (8 hex digits) are required";
            return false;
        }
        credentials = new DigestCredentials(p["username"], p["realm"], p["nonce"], p["uri"], qop, nc, cnonce, p["response"],
            p.GetValueOrDefault("algorithm", "MD5"), p.GetValueOrDefault("auts"));
        return true;
    }

    public static bool TryParseAuthenticationInfo(string? header, out DigestAuthenticationInfo info, out string error)
    {
        info = null!;
        if (!TryParseDigest(header, requireScheme: false, out var p, out error))
            return false;
        if (!Required(p, "rspauth", out var rspauth, ref error))
            return false;
        info = new DigestAuthenticationInfo(rspauth, p.GetValueOrDefault("qop", ""), p.GetValueOrDefault("nc", ""), p.GetValueOrDefault("cnonce", ""));
        return true;
    }

    private static bool Required(Dictionary<string, string> p, string name, out string value, ref string error)
    {
        if (p.TryGetValue(name, out value!))
            return true;
        error = $"Digest: the {name} parameter is missing";
        return false;
    }

    /// <summary>Quoted-string of RFC 7230 §3.2.6: '"' and '\' escaped; control characters are refused by the caller's values.</summary>
    private static string Quote(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        if (value.Any(char.IsControl))
            throw new ArgumentException("A Digest parameter holds no control characters.", nameof(value));
        return "\"" + value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal) + "\"";
    }

    /// <summary>[Digest] auth-param *( "," auth-param ), names case-insensitive, each at most once.</summary>
    private static bool TryParseDigest(string? header, bool requireScheme, out Dictionary<string, string> parameters, out string error)
    {
        parameters = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        error = "";
        if (string.IsNullOrWhiteSpace(header))
        {
            error = "Digest: the header is empty";
            return false;
        }
        if (header.Length > MaxHeaderLength)
        {
            error = $"Digest: the header is longer than {MaxHeaderLength} characters";
            return false;
        }
        var s = header.AsSpan().Trim();
        if (requireScheme)
        {
            if (s.Length < 7 || !s[..6].Equals("Digest", StringComparison.OrdinalIgnoreCase) || s[6] != ' ')
            {
                error = "Digest: the scheme is not Digest";
                return false;
            }
            s = s[7..];
        }
        var i = 0;
        while (true)
        {
            while (i < s.Length && s[i] is ' ' or '\t')
                i++;
            var start = i;
            while (i < s.Length && IsTokenChar(s[i]))
                i++;
            if (i == start)
            {
                error = "Digest: expected a parameter name";
                return false;
            }
            var name = s[start..i].ToString();
            while (i < s.Length && s[i] is ' ' or '\t')
                i++;
            if (i >= s.Length || s[i] != '=')
            {
                error = $"Digest: '=' expected after {Safe(name)}";
                return false;
            }
            i++;
            while (i < s.Length && s[i] is ' ' or '\t')
                i++;
            string value;
            if (i < s.Length && s[i] == '"')
            {
                i++;
                var sb = new StringBuilder();
                var closed = false;
                while (i < s.Length)
                {
                    var ch = s[i++];
                    if (ch == '"')
                    {
                        closed = true;
                        break;
                    }
                    if (ch == '\\')
                    {
                        if (i >= s.Length)
                            break;
                        ch = s[i++];
                    }
                    if (char.IsControl(ch))
                    {
                        error = $"Digest: a control character in {Safe(name)}";
                        return false;
                    }
                    sb.Append(ch);
                }
                if (!closed)
                {
                    error = $"Digest: the quoted value of {Safe(name)} is not closed";
                    return false;
                }
                value = sb.ToString();
            }
            else
            {
                start = i;
                while (i < s.Length && IsTokenChar(s[i]))
                    i++;
                if (i == start)
                {
                    error = $"Digest: no value for {Safe(name)}";
                    return false;
                }
                value = s[start..i].ToString();
            }
            if (!parameters.TryAdd(name, value))
            {
                error = $"Digest: the {Safe(name)} parameter appears twice";
                return false;
            }
            while (i < s.Length && s[i] is ' ' or '\t')
                i++;
            if (i == s.Length)
                return true;
            if (s[i] != ',')
            {
                error = $"Digest: ',' expected after {Safe(name)}";
                return false;
            }
            i++;
        }
    }

    /// <summary>tchar of RFC 7230 §3.2.6.</summary>
    private static bool IsTokenChar(char c) => c < 128 && (char.IsAsciiLetterOrDigit(c) || "!#$%&'*+-.^_`|~".Contains(c, StringComparison.Ordinal));

    private static string Safe(string name) => name.Length > 32 ? name[..32] : name;
}
