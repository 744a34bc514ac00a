namespace M2MSec.Aka.Gba;

/// <summary>
/// The IMPI derived from the IMSI (TS 23.003 §13.3): "&lt;IMSI&gt;@ims.mnc&lt;MNC&gt;.mcc&lt;MCC&gt;.3gppnetwork.org", the MNC padded to three
/// digits. The project's PLMNs have two-digit MNCs (00101, 00102), so the MNC is the IMSI's digits 4–5 (docs/decisions/029).
/// </summary>
public static class Impi
{
    public static string FromImsi(string imsi)
    {
        if (!IsImsi(imsi))
            throw new ArgumentException("An IMSI is 6 to 15 decimal digits.", nameof(imsi));
        return $"{imsi}@ims.mnc0{imsi[3..5]}.mcc{imsi[..3]}.3gppnetwork.org";
    }

    /// <summary>The IMSI of an IMPI of that form (and only when the realm is the one derived from it).</summary>
    public static bool TryGetImsi(string? impi, out string imsi)
    {
        imsi = "";
        var at = impi?.IndexOf('@', StringComparison.Ordinal) ?? -1;
        if (at < 6 || impi!.Length > 255 || !IsImsi(impi[..at]) || !string.Equals(FromImsi(impi[..at]), impi, StringComparison.OrdinalIgnoreCase))
            return false;
        imsi = impi[..at];
        return true;
    }

    private static bool IsImsi(string? s) => s is { Length: >= 6 and <= 15 } && s.All(char.IsAsciiDigit);
}
