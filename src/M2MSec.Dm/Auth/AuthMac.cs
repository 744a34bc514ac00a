using System.Security.Cryptography;
using System.Text;

namespace M2MSec.Dm.Auth;

/// <summary>
/// syncml:auth-MAC (OMA-TS-DM_Security-V1_2 §5.1.4.2), carried in the x-syncml-hmac HTTP header, never in Cred:
/// mac = B64(H(B64(H(name ":" pwd)) ":" nonce ":" B64(H(body)))), H = MD5. A keyed digest, not RFC 2104 HMAC.
/// </summary>
public static class AuthMac
{
    public static byte[] ComputeDigest(DmCredentials credentials, ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> body)
    {
        ArgumentNullException.ThrowIfNull(credentials);
        var bodyB64 = Encoding.ASCII.GetBytes(Convert.ToBase64String(MD5.HashData(body)));
        return KeyedMd5.Digest(credentials, nonce, bodyB64);
    }

    public static string ComputeMac(DmCredentials credentials, DmNonce nonce, ReadOnlySpan<byte> body)
    {
        ArgumentNullException.ThrowIfNull(nonce);
        return Convert.ToBase64String(ComputeDigest(credentials, nonce.Bytes, body));
    }

    /// <summary>The header to send with <paramref name="body"/>, keyed by the nonce the peer sent last.</summary>
    public static SyncMlHmacHeader CreateHeader(DmCredentials credentials, DmNonce nonce, ReadOnlySpan<byte> body)
    {
        ArgumentNullException.ThrowIfNull(credentials);
        return new SyncMlHmacHeader(credentials.Name, ComputeMac(credentials, nonce, body));
    }

    /// <summary>Username must equal the account name; mac compared in fixed time.</summary>
    public static bool Verify(DmCredentials expected, DmNonce nonce, ReadOnlySpan<byte> body, SyncMlHmacHeader header)
    {
        ArgumentNullException.ThrowIfNull(expected);
        ArgumentNullException.ThrowIfNull(nonce);
        ArgumentNullException.ThrowIfNull(header);
        if (!DmBase64.TryDecode(header.Mac, 64, out var received))
        {
            return false;
        }

        var macOk = CryptographicOperations.FixedTimeEquals(ComputeDigest(expected, nonce.Bytes, body), received);
        return macOk & string.Equals(header.Username, expected.Name, StringComparison.Ordinal);
    }

    /// <summary>Parses then verifies a raw header value; false for any parse error.</summary>
    public static bool Verify(DmCredentials expected, DmNonce nonce, ReadOnlySpan<byte> body, string? headerValue) =>
        SyncMlHmacHeader.TryParse(headerValue, out var header, out _) && Verify(expected, nonce, body, header);
}
