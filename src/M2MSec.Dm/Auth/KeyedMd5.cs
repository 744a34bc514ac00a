using System.Security.Cryptography;
using System.Text;

namespace M2MSec.Dm.Auth;

/// <summary>
/// The digest shared by auth-md5 and auth-MAC (OMA-TS-DM_Security-V1_2 §5.1.3.2, §5.1.4.2):
/// H(B64(H(name ":" pwd)) ":" nonce [":" B64(H(body))]) with H = MD5. Not RFC 2104 HMAC.
/// </summary>
internal static class KeyedMd5
{
    /// <summary>suffix: empty for auth-md5; B64(H(body)) for auth-MAC (a ':' is inserted before it).</summary>
    public static byte[] Digest(DmCredentials credentials, ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> suffix)
    {
        var ncp = credentials.NameColonPassword();
        Span<byte> inner = stackalloc byte[MD5.HashSizeInBytes];
        MD5.HashData(ncp, inner);
        CryptographicOperations.ZeroMemory(ncp);
        var innerB64 = Encoding.ASCII.GetBytes(Convert.ToBase64String(inner));
        CryptographicOperations.ZeroMemory(inner);

        using var md5 = IncrementalHash.CreateHash(HashAlgorithmName.MD5);
        md5.AppendData(innerB64);
        md5.AppendData(":"u8);
        md5.AppendData(nonce);
        if (!suffix.IsEmpty)
        {
            md5.AppendData(":"u8);
            md5.AppendData(suffix);
        }

        CryptographicOperations.ZeroMemory(innerB64);
        return md5.GetHashAndReset();
    }
}
