using System.Security.Cryptography;
using System.Text;

namespace M2MSec.Aka.Gba;

/// <summary>
/// The arithmetic of HTTP Digest (RFC 2617 §3.2.2, RFC 7616 §3.4.1, MD5) as Digest AKA uses it (RFC 3310, algorithm AKAv1-MD5):
/// the password is the RES octets (RFC 3310 §3.3); after a synchronisation failure it is empty (§3.4). Only qop auth-int, the one
/// TS 24.109 §4.5.2 uses: A2 covers H(entity-body). No I/O, no state.
/// </summary>
public static class DigestAka
{
    /// <summary>The algorithm token of RFC 3310 §3.1.</summary>
    public const string Algorithm = "AKAv1-MD5";

    /// <summary>The quality of protection TS 24.109 requires.</summary>
    public const string QopAuthInt = "auth-int";

    /// <summary>H(A1) = MD5(username ":" realm ":" password), the password as octets (RFC 3310 §3.3: RES).</summary>
    public static string Ha1(string username, string realm, ReadOnlySpan<byte> password)
    {
        ArgumentNullException.ThrowIfNull(username);
        ArgumentNullException.ThrowIfNull(realm);
        var prefix = Encoding.UTF8.GetBytes($"{username}:{realm}:");
        var a1 = new byte[prefix.Length + password.Length];
        prefix.CopyTo(a1, 0);
        password.CopyTo(a1.AsSpan(prefix.Length));
        try
        {
            return Md5Hex(a1);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(a1);
        }
    }

    /// <summary>H(A1) with a text password (RFC 2617 §3.2.2.2), for the RFC's own known-answer example.</summary>
    public static string Ha1(string username, string realm, string password) => Ha1(username, realm, Encoding.UTF8.GetBytes(password));

    /// <summary>
    /// request-digest (RFC 2617 §3.2.2.1) = KD(H(A1), nonce ":" nc ":" cnonce ":" qop ":" H(A2)), with A2 = method ":" uri for qop auth
    /// and method ":" uri ":" H(entity-body) for auth-int (§3.2.2.3). For the rspauth of Authentication-Info (§3.2.3) the method is empty.
    /// </summary>
    public static string RequestDigest(string ha1, string nonce, string nc, string cnonce, string qop, string method, string uri, ReadOnlySpan<byte> entityBody)
    {
        ArgumentNullException.ThrowIfNull(ha1);
        ArgumentNullException.ThrowIfNull(qop);
        var a2 = qop == QopAuthInt ? $"{method}:{uri}:{Md5Hex(entityBody)}" : $"{method}:{uri}";
        return Md5Hex(Encoding.UTF8.GetBytes($"{ha1}:{nonce}:{nc}:{cnonce}:{qop}:{Md5Hex(Encoding.UTF8.GetBytes(a2))}"));
    }

    /// <summary>The response of a Digest AKA Authorization: password RES (or empty after a synchronisation failure).</summary>
    public static string Response(DigestCredentials credentials, ReadOnlySpan<byte> res, string method, ReadOnlySpan<byte> entityBody)
    {
        ArgumentNullException.ThrowIfNull(credentials);
        return RequestDigest(Ha1(credentials.Username, credentials.Realm, res), credentials.Nonce, credentials.Nc, credentials.Cnonce, credentials.Qop,
            method, credentials.Uri, entityBody);
    }

    /// <summary>rspauth of Authentication-Info (RFC 2617 §3.2.3): A2 = ":" uri ":" H(response body), the same H(A1), nonce, nc, cnonce.</summary>
    public static string RspAuth(DigestCredentials credentials, ReadOnlySpan<byte> res, ReadOnlySpan<byte> responseBody) =>
        Response(credentials, res, "", responseBody);

    /// <summary>Whether two digests (lowercase hex) are equal, compared in fixed time.</summary>
    public static bool DigestEquals(string expected, string? presented) =>
        presented is not null && presented.Length == expected.Length
        && CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(expected), Encoding.ASCII.GetBytes(presented.ToLowerInvariant()));

#pragma warning disable CA5351 // MD5 is the algorithm RFC 3310 (AKAv1-MD5) and RFC 2617 prescribe; the secret is RES, fresh per run.
    private static string Md5Hex(ReadOnlySpan<byte> data) => Convert.ToHexStringLower(MD5.HashData(data));
#pragma warning restore CA5351
}
