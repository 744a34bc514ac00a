using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;
using System.Text;

namespace M2MSec.Dm.Auth;

/// <summary>syncml:auth-basic (OMA-TS-DM_Security-V1_2 §5.1.3.1): Cred/Data = B64(name ":" password).</summary>
public static class AuthBasic
{
    /// <summary>Upper bound on the Data we decode (names and passwords are short).</summary>
    public const int MaxDataLength = 1024;

    public static string Compute(DmCredentials credentials)
    {
        ArgumentNullException.ThrowIfNull(credentials);
        var plain = credentials.NameColonPassword();
        try
        {
            return Convert.ToBase64String(plain);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(plain);
        }
    }

    /// <summary>Splits Data into name and password at the first ':' (the name cannot contain ':'). False on bad base64 or no ':'.</summary>
    public static bool TryDecode(string? data, [NotNullWhen(true)] out string? name, [NotNullWhen(true)] out byte[]? password)
    {
        name = null;
        password = null;
        if (!DmBase64.TryDecode(data, MaxDataLength, out var plain))
        {
            return false;
        }

        var colon = Array.IndexOf(plain, (byte)':');
        if (colon < 0)
        {
            return false;
        }

        try
        {
            name = new UTF8Encoding(false, true).GetString(plain, 0, colon);
        }
        catch (DecoderFallbackException)
        {
            return false;
        }

        password = plain[(colon + 1)..];
        CryptographicOperations.ZeroMemory(plain);
        return true;
    }

    /// <summary>True when Data decodes to exactly the expected name ":" password (fixed-time comparison).</summary>
    public static bool Verify(DmCredentials expected, string? data)
    {
        ArgumentNullException.ThrowIfNull(expected);
        if (!DmBase64.TryDecode(data, MaxDataLength, out var received))
        {
            return false;
        }

        var want = expected.NameColonPassword();
        try
        {
            return CryptographicOperations.FixedTimeEquals(want, received);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(want);
            CryptographicOperations.ZeroMemory(received);
        }
    }
}
