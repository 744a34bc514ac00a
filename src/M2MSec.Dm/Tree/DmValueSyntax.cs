using System.Globalization;
using System.Text;

namespace M2MSec.Dm.Tree;

/// <summary>
/// Syntax of leaf values per Format (OMA-TS-DM_TND-V1_2 §7.7.5): int = 32-bit signed decimal, bool = "true" | "false",
/// float = decimal/exponent form, date = ISO 8601 yyyy-MM-dd, time = ISO 8601 HH:mm:ss with optional 'Z',
/// chr = UTF-8, b64 = base64 text; bin is opaque.
/// </summary>
internal static class DmValueSyntax
{
    private static readonly UTF8Encoding StrictUtf8 = new(false, true);

    public static bool IsValid(DmFormat format, ReadOnlySpan<byte> value)
    {
        if (format == DmFormat.Bin)
        {
            return true;
        }

        string text;
        try
        {
            text = StrictUtf8.GetString(value);
        }
        catch (DecoderFallbackException)
        {
            return false;
        }

        var inv = CultureInfo.InvariantCulture;
        return format switch
        {
            DmFormat.Chr => true,
            DmFormat.Int => int.TryParse(text, NumberStyles.AllowLeadingSign, inv, out _),
            DmFormat.Bool => text is "true" or "false",
            DmFormat.Float => text.Length > 0 && !text.Any(char.IsWhiteSpace) && double.TryParse(text, NumberStyles.Float, inv, out var d) && double.IsFinite(d),
            DmFormat.Date => DateOnly.TryParseExact(text, "yyyy-MM-dd", inv, DateTimeStyles.None, out _),
            DmFormat.Time => TimeOnly.TryParseExact(text.EndsWith('Z') ? text[..^1] : text, "HH:mm:ss", inv, DateTimeStyles.None, out _),
            DmFormat.B64 => text.Length % 4 == 0 && Convert.TryFromBase64String(text, new byte[text.Length / 4 * 3], out _),
            _ => false,
        };
    }
}
