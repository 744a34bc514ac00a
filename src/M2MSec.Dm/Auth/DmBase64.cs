using System.Diagnostics.CodeAnalysis;

namespace M2MSec.Dm.Auth;

/// <summary>Strict standard-alphabet base64 with padding and a length cap (surrounding whitespace trimmed).</summary>
internal static class DmBase64
{
    public static bool TryDecode(string? text, int maxChars, [NotNullWhen(true)] out byte[]? bytes)
    {
        bytes = null;
        if (text is null)
        {
            return false;
        }

        var t = text.AsSpan().Trim();
        if (t.Length > maxChars || t.Length % 4 != 0)
        {
            return false;
        }

        var buf = new byte[t.Length / 4 * 3];
        if (!Convert.TryFromBase64Chars(t, buf, out var n))
        {
            return false;
        }

        bytes = n == buf.Length ? buf : buf[..n];
        return true;
    }
}
