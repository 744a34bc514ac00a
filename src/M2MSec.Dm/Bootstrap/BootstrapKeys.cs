using System.Text;

namespace M2MSec.Dm.Bootstrap;

/// <summary>Key derivation for the SEC methods (OMA ProvBoot §5.3, algorithm as in Intel cpclient).</summary>
public static class BootstrapKeys
{
    /// <summary>3GPP TS 23.003 §2.2: at most 15 digits.</summary>
    public const int MaxImsiDigits = 15;

    /// <summary>Minimum USERPINMAC PIN length (2n digits with n ≥ 5), as cpclient enforces.</summary>
    public const int MinUserPinMacLength = 10;

    /// <summary>Cap on a user PIN (keeps keys small; real PINs are a few digits).</summary>
    public const int MaxPinLength = 64;

    /// <summary>
    /// IMSI as GSM 11.11 (TS 51.011 §10.3.2) semi-octets: prefix '9' (odd length) or '1' plus trailing 'F' (even length),
    /// then each digit pair nibble-swapped. 001010123456789 → 09 10 10 10 32 54 76 98.
    /// False for empty, non-digit or over-long IMSIs.
    /// </summary>
    public static bool TryImsiKey(string? imsi, out byte[] key)
    {
        key = [];
        if (string.IsNullOrEmpty(imsi) || imsi.Length > MaxImsiDigits || !imsi.All(char.IsAsciiDigit))
        {
            return false;
        }

        var odd = (imsi.Length & 1) == 1;
        var nibbles = (odd ? "9" : "1") + imsi + (odd ? "" : "F");
        key = new byte[nibbles.Length / 2];
        for (var i = 0; i < key.Length; i++)
        {
            // The first semi-octet of each pair goes in the low nibble.
            key[i] = (byte)((Convert.ToByte(nibbles[(2 * i) + 1].ToString(), 16) << 4) | Convert.ToByte(nibbles[2 * i].ToString(), 16));
        }

        return true;
    }

    /// <summary>A user PIN must be non-empty printable ASCII (OMA ProvBoot leaves the alphabet open; digits in practice).</summary>
    public static bool IsValidPin(string? pin) =>
        !string.IsNullOrEmpty(pin) && pin.Length <= MaxPinLength && pin.All(c => c is > ' ' and < (char)0x7F);

    /// <summary>USERPINMAC PIN: an even number (≥ 10) of decimal digits.</summary>
    public static bool IsValidUserPinMacPin(string? pin) =>
        pin is not null && pin.Length >= MinUserPinMacLength && pin.Length <= MaxPinLength && (pin.Length & 1) == 0
        && pin.All(char.IsAsciiDigit);

    internal static byte[] Ascii(string s) => Encoding.ASCII.GetBytes(s);
}
