using System.Security.Cryptography;

namespace M2MSec.Dm.Auth;

/// <summary>
/// syncml:auth-md5 (OMA-TS-DM_Security-V1_2 §5.1.3.2):
/// Cred/Data = B64(H(B64(H(name ":" password)) ":" nonce)), H = MD5, nonce = decoded NextNonce bytes.
/// </summary>
public static class AuthMd5
{
    /// <summary>The raw 16-byte digest.</summary>
    public static byte[] ComputeDigest(DmCredentials credentials, ReadOnlySpan<byte> nonce)
    {
        ArgumentNullException.ThrowIfNull(credentials);
        return KeyedMd5.Digest(credentials, nonce, []);
    }

    public static string Compute(DmCredentials credentials, DmNonce nonce)
    {
        ArgumentNullException.ThrowIfNull(nonce);
        return Convert.ToBase64String(ComputeDigest(credentials, nonce.Bytes));
    }

    /// <summary>True when Data is the base64 of the expected digest (fixed-time on the decoded bytes).</summary>
    public static bool Verify(DmCredentials expected, DmNonce nonce, string? data)
    {
        ArgumentNullException.ThrowIfNull(nonce);
        if (!DmBase64.TryDecode(data, 64, out var received))
        {
            return false;
        }

        return CryptographicOperations.FixedTimeEquals(ComputeDigest(expected, nonce.Bytes), received);
    }
}
