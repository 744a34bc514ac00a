using System.Diagnostics.CodeAnalysis;

namespace M2MSec.Dm.Auth;

/// <summary>Why an x-syncml-hmac header value was refused.</summary>
public enum SyncMlHmacHeaderError
{
    None,
    Missing,
    TooLong,
    Malformed,
    DuplicateParameter,
    UnsupportedAlgorithm,
    MissingUsername,
    MissingMac,
    BadMac,
}

/// <summary>
/// The auth-MAC transport header (OMA-TS-DM_Security-V1_2 §5.1.4.2):
/// <c>x-syncml-hmac: algorithm=MD5, username="NAME", mac=MAC</c>. Only MD5 is defined (and accepted).
/// </summary>
public sealed record SyncMlHmacHeader
{
    public const string HeaderName = "x-syncml-hmac";
    public const string Md5 = "MD5";

    /// <summary>Cap on the header value we parse.</summary>
    public const int MaxLength = 1024;

    public SyncMlHmacHeader(string username, string mac)
    {
        ArgumentNullException.ThrowIfNull(username);
        ArgumentNullException.ThrowIfNull(mac);
        if (username.Length == 0 || username.Any(c => c == '"' || char.IsControl(c)))
        {
            throw new ArgumentException("username must be non-empty, without '\"' or control characters", nameof(username));
        }

        if (!IsMacWellFormed(mac))
        {
            throw new ArgumentException("mac must be base64 of a 16-byte MD5 digest", nameof(mac));
        }

        Username = username;
        Mac = mac;
    }

    public string Algorithm => Md5;

    public string Username { get; }

    /// <summary>B64 of the 16-byte keyed MD5 digest.</summary>
    public string Mac { get; }

    public string Format() => $"algorithm={Md5}, username=\"{Username}\", mac={Mac}";

    public override string ToString() => Format();

    /// <summary>
    /// Defensive parse: parameters in any order, names case-insensitive, values quoted or not, whitespace around
    /// tokens, unknown parameters ignored, duplicates refused, algorithm defaults to MD5.
    /// </summary>
    public static bool TryParse(string? value, [NotNullWhen(true)] out SyncMlHmacHeader? header, out SyncMlHmacHeaderError error)
    {
        header = null;
        error = Parse(value, out var username, out var mac);
        if (error != SyncMlHmacHeaderError.None)
        {
            return false;
        }

        header = new SyncMlHmacHeader(username!, mac!);
        return true;
    }

    private static SyncMlHmacHeaderError Parse(string? value, out string? username, out string? mac)
    {
        username = null;
        mac = null;
        string? algorithm = null;
        if (string.IsNullOrWhiteSpace(value))
        {
            return SyncMlHmacHeaderError.Missing;
        }

        if (value.Length > MaxLength)
        {
            return SyncMlHmacHeaderError.TooLong;
        }

        var i = 0;
        while (true)
        {
            SkipSpace(value, ref i);
            var eq = value.IndexOf('=', i);
            if (eq < 0)
            {
                return SyncMlHmacHeaderError.Malformed;
            }

            var name = value[i..eq].Trim();
            if (name.Length == 0 || name.Any(c => c == ',' || c == '"' || char.IsWhiteSpace(c)))
            {
                return SyncMlHmacHeaderError.Malformed;
            }

            i = eq + 1;
            SkipSpace(value, ref i);
            string v;
            if (i < value.Length && value[i] == '"')
            {
                var close = value.IndexOf('"', i + 1);
                if (close < 0)
                {
                    return SyncMlHmacHeaderError.Malformed;
                }

                v = value[(i + 1)..close];
                i = close + 1;
                SkipSpace(value, ref i);
            }
            else
            {
                var comma = value.IndexOf(',', i);
                var end = comma < 0 ? value.Length : comma;
                v = value[i..end].Trim();
                if (v.Contains('"') || v.Any(char.IsWhiteSpace))
                {
                    return SyncMlHmacHeaderError.Malformed;
                }

                i = end;
            }

            if (v.Length == 0 || v.Any(char.IsControl))
            {
                return SyncMlHmacHeaderError.Malformed;
            }

            var duplicate = false;
            switch (name.ToUpperInvariant())
            {
                case "ALGORITHM": duplicate = algorithm is not null; algorithm = v; break;
                case "USERNAME": duplicate = username is not null; username = v; break;
                case "MAC": duplicate = mac is not null; mac = v; break;
                default: break; // unknown parameters are ignored
            }

            if (duplicate)
            {
                return SyncMlHmacHeaderError.DuplicateParameter;
            }

            if (i >= value.Length)
            {
                break;
            }

            if (value[i] != ',')
            {
                return SyncMlHmacHeaderError.Malformed;
            }

            i++;
        }

        if (algorithm is not null && !string.Equals(algorithm, Md5, StringComparison.OrdinalIgnoreCase))
        {
            return SyncMlHmacHeaderError.UnsupportedAlgorithm;
        }

        if (username is null)
        {
            return SyncMlHmacHeaderError.MissingUsername;
        }

        if (mac is null)
        {
            return SyncMlHmacHeaderError.MissingMac;
        }

        return IsMacWellFormed(mac) ? SyncMlHmacHeaderError.None : SyncMlHmacHeaderError.BadMac;
    }

    private static bool IsMacWellFormed(string mac) => DmBase64.TryDecode(mac, 64, out var b) && b.Length == 16;

    private static void SkipSpace(string s, ref int i)
    {
        while (i < s.Length && char.IsWhiteSpace(s[i]))
        {
            i++;
        }
    }
}
