using System.Security.Cryptography;

namespace M2MSec.Dm.Bootstrap;

/// <summary>
/// Checks (device side) and produces (server side) the MAC of a bootstrap message for each SEC method
/// (OMA ProvBoot §5.3, OMA-TS-DM_Bootstrap §5.3). The body is the WBXML document as received.
/// </summary>
public static class BootstrapAuthenticator
{
    /// <summary>
    /// NETWPIN / USERPIN / USERNETWPIN: the MAC parameter is uppercase hex HMAC-SHA1. USERPINMAC: <paramref name="mac"/>
    /// is ignored; the PIN the user typed is M || m, key = M (ASCII), and m[i] = '0' + (HMAC[i] mod 10).
    /// </summary>
    public static BootstrapVerifyResult Verify(BootstrapSecMethod sec, string? imsi, string? pin, ReadOnlySpan<byte> body, string? mac)
    {
        if (sec == BootstrapSecMethod.UserPinMac)
        {
            return VerifyUserPinMac(pin, body);
        }

        var status = TryDeriveKey(sec, imsi, pin, out var key);
        if (status != BootstrapVerifyResult.Ok)
        {
            return status;
        }

        try
        {
            if (string.IsNullOrEmpty(mac))
            {
                return BootstrapVerifyResult.MissingMac;
            }

            return BootstrapMac.VerifyHex(key, body, mac) ? BootstrapVerifyResult.Ok : BootstrapVerifyResult.MacMismatch;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(key);
        }
    }

    /// <summary>Smallest key the keyed method takes (128 bits): a secret device and Registration Operator share, not a PIN.</summary>
    public const int MinKeyBytes = 16;

    /// <summary>
    /// The keyed method: the same MAC (uppercase hex HMAC-SHA1 over the body) with the key given by the caller
    /// instead of one derived from the IMSI or a PIN. A key shorter than <see cref="MinKeyBytes"/> is refused.
    /// </summary>
    public static BootstrapVerifyResult VerifyWithKey(ReadOnlySpan<byte> key, ReadOnlySpan<byte> body, string? mac)
    {
        if (key.Length < MinKeyBytes)
        {
            return BootstrapVerifyResult.InvalidKey;
        }

        if (string.IsNullOrEmpty(mac))
        {
            return BootstrapVerifyResult.MissingMac;
        }

        return BootstrapMac.VerifyHex(key, body, mac) ? BootstrapVerifyResult.Ok : BootstrapVerifyResult.MacMismatch;
    }

    /// <summary>Server side of <see cref="VerifyWithKey"/>.</summary>
    public static string ComputeMacWithKey(ReadOnlySpan<byte> key, ReadOnlySpan<byte> body)
    {
        if (key.Length < MinKeyBytes)
        {
            throw new ArgumentException($"the key must have at least {MinKeyBytes} bytes", nameof(key));
        }

        return BootstrapMac.ComputeHex(key, body);
    }

    /// <summary>Server side for NETWPIN / USERPIN / USERNETWPIN: the MAC parameter to send.</summary>
    public static string ComputeMac(BootstrapSecMethod sec, string? imsi, string? pin, ReadOnlySpan<byte> body)
    {
        if (sec == BootstrapSecMethod.UserPinMac)
        {
            throw new ArgumentException("USERPINMAC carries no MAC parameter; use ComputeUserPinMacPin", nameof(sec));
        }

        var status = TryDeriveKey(sec, imsi, pin, out var key);
        if (status != BootstrapVerifyResult.Ok)
        {
            throw new ArgumentException($"cannot derive the key: {status}");
        }

        try
        {
            return BootstrapMac.ComputeHex(key, body);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(key);
        }
    }

    /// <summary>Server side for USERPINMAC: the full PIN (M || m) to give the user, from the first half M (≥ 5 digits).</summary>
    public static string ComputeUserPinMacPin(string firstHalf, ReadOnlySpan<byte> body)
    {
        ArgumentNullException.ThrowIfNull(firstHalf);
        if (!BootstrapKeys.IsValidUserPinMacPin(firstHalf + firstHalf) || firstHalf.Length > HMACSHA1.HashSizeInBytes)
        {
            throw new ArgumentException("first half must be 5 to 20 decimal digits", nameof(firstHalf));
        }

        var hmac = BootstrapMac.Compute(BootstrapKeys.Ascii(firstHalf), body);
        return string.Concat(firstHalf, new string([.. hmac.Take(firstHalf.Length).Select(b => (char)('0' + (b % 10)))]));
    }

    private static BootstrapVerifyResult VerifyUserPinMac(string? pin, ReadOnlySpan<byte> body)
    {
        if (string.IsNullOrEmpty(pin))
        {
            return BootstrapVerifyResult.MissingPin;
        }

        // n digits of check value, each from one HMAC byte: n ≤ 20 (HMAC-SHA1 length).
        if (!BootstrapKeys.IsValidUserPinMacPin(pin) || pin.Length / 2 > HMACSHA1.HashSizeInBytes)
        {
            return BootstrapVerifyResult.InvalidPin;
        }

        var n = pin.Length / 2;
        var hmac = BootstrapMac.Compute(BootstrapKeys.Ascii(pin[..n]), body);
        var expected = new byte[n];
        for (var i = 0; i < n; i++)
        {
            expected[i] = (byte)('0' + (hmac[i] % 10));
        }

        return CryptographicOperations.FixedTimeEquals(expected, BootstrapKeys.Ascii(pin[n..]))
            ? BootstrapVerifyResult.Ok
            : BootstrapVerifyResult.MacMismatch;
    }

    private static BootstrapVerifyResult TryDeriveKey(BootstrapSecMethod sec, string? imsi, string? pin, out byte[] key)
    {
        key = [];
        switch (sec)
        {
            case BootstrapSecMethod.NetwPin:
            case BootstrapSecMethod.UserNetwPin:
                if (string.IsNullOrEmpty(imsi))
                {
                    return BootstrapVerifyResult.MissingImsi;
                }

                if (!BootstrapKeys.TryImsiKey(imsi, out var imsiKey))
                {
                    return BootstrapVerifyResult.InvalidImsi;
                }

                if (sec == BootstrapSecMethod.NetwPin)
                {
                    key = imsiKey;
                    return BootstrapVerifyResult.Ok;
                }

                var pinStatus = CheckPin(pin);
                if (pinStatus != BootstrapVerifyResult.Ok)
                {
                    return pinStatus;
                }

                key = [.. imsiKey, .. BootstrapKeys.Ascii(pin!)];
                return BootstrapVerifyResult.Ok;

            case BootstrapSecMethod.UserPin:
                var status = CheckPin(pin);
                if (status == BootstrapVerifyResult.Ok)
                {
                    key = BootstrapKeys.Ascii(pin!);
                }

                return status;

            default:
                return BootstrapVerifyResult.UnknownMethod;
        }
    }

    private static BootstrapVerifyResult CheckPin(string? pin) =>
        string.IsNullOrEmpty(pin) ? BootstrapVerifyResult.MissingPin
        : BootstrapKeys.IsValidPin(pin) ? BootstrapVerifyResult.Ok
        : BootstrapVerifyResult.InvalidPin;
}
