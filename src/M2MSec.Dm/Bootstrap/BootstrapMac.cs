using System.Security.Cryptography;

namespace M2MSec.Dm.Bootstrap;

/// <summary>
/// The bootstrap MAC (OMA ProvBoot §5.3, reused by OMA-TS-DM_Bootstrap): MAC = uppercase hex of HMAC-SHA1(key, body),
/// 40 characters. The key is a parameter here: the SEC methods derive it, and the provisioning flow may key it
/// with a secret only the device and the Registration Operator share.
/// </summary>
public static class BootstrapMac
{
    public const int HexLength = 2 * HMACSHA1.HashSizeInBytes;

    public static byte[] Compute(ReadOnlySpan<byte> key, ReadOnlySpan<byte> body) => HMACSHA1.HashData(key, body);

    public static string ComputeHex(ReadOnlySpan<byte> key, ReadOnlySpan<byte> body) => Convert.ToHexString(Compute(key, body));

    /// <summary>
    /// Fixed-time check of a received MAC. Senders emit uppercase hex; we also accept lowercase (the value is the same
    /// 20 bytes). False on wrong length or non-hex.
    /// </summary>
    public static bool VerifyHex(ReadOnlySpan<byte> key, ReadOnlySpan<byte> body, string? macHex)
    {
        if (macHex is null || macHex.Length != HexLength)
        {
            return false;
        }

        Span<byte> received = stackalloc byte[HMACSHA1.HashSizeInBytes];
        if (Convert.FromHexString(macHex, received, out _, out var written) != System.Buffers.OperationStatus.Done
            || written != received.Length)
        {
            return false;
        }

        return CryptographicOperations.FixedTimeEquals(Compute(key, body), received);
    }
}
