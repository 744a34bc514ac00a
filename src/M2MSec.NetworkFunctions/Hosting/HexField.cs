namespace M2MSec.NetworkFunctions.Hosting;

/// <summary>Parses the lowercase/uppercase hex octet strings of the JSON APIs.</summary>
public static class HexField
{
    /// <summary>Parses <paramref name="value"/> as exactly <paramref name="octets"/> octets; the error names the field.</summary>
    public static bool TryParse(string? value, int octets, string field, out byte[] bytes, out string error)
    {
        bytes = [];
        error = "";
        if (string.IsNullOrEmpty(value))
        {
            error = $"{field}: required, {octets * 2} hex digits ({octets} octets)";
            return false;
        }
        if (value.Length != octets * 2 || !IsHex(value))
        {
            error = $"{field}: expected {octets * 2} hex digits ({octets} octets), got {(IsHex(value) ? value.Length.ToString(System.Globalization.CultureInfo.InvariantCulture) : "non-hex text")}";
            return false;
        }
        bytes = Convert.FromHexString(value);
        return true;
    }

    private static bool IsHex(string s) => s.All(Uri.IsHexDigit);
}
