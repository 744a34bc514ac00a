using System.Security.Cryptography.X509Certificates;

namespace M2MSec.Pki;

/// <summary>
/// The one spelling of a certificate serial number used across stores, OCSP and the CLI:
/// lowercase hex of the DER INTEGER contents (big-endian, minimal, a leading 00 when the high
/// bit is set), which is what X509Certificate.SerialNumber (as hex) and BouncyCastle's
/// <c>BigInteger.ToByteArray()</c> both return for a positive serial.
/// </summary>
public static class CertificateSerial
{
    public static string ToHex(ReadOnlySpan<byte> derContents) => Convert.ToHexStringLower(derContents);

    public static string Of(X509Certificate2 certificate)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        return certificate.SerialNumber.ToLowerInvariant();
    }

    /// <summary>Parses the CLI's --serial: hex, either case, optional leading zeros normalised.</summary>
    public static bool TryParse(string text, out string serialHex)
    {
        serialHex = "";
        if (string.IsNullOrEmpty(text) || text.Length > 42 || text.Length % 2 != 0)
            return false;
        byte[] bytes;
        try
        {
            bytes = Convert.FromHexString(text);
        }
        catch (FormatException)
        {
            return false;
        }
        var start = 0;
        while (start < bytes.Length - 1 && bytes[start] == 0 && bytes[start + 1] < 0x80)
            start++;
        if (bytes[start] >= 0x80 || bytes.Length - start > 20)
            return false;
        serialHex = ToHex(bytes.AsSpan(start));
        return true;
    }
}
