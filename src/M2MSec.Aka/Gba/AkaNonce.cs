namespace M2MSec.Aka.Gba;

/// <summary>
/// The Digest AKA nonce (RFC 3310 §3.2): base64(RAND ‖ AUTN ‖ server data). The BSF's server data is 16 random octets naming the
/// pending challenge (docs/decisions/029). I/O-free.
/// </summary>
public static class AkaNonce
{
    /// <summary>Size of the BSF's server data.</summary>
    public const int ServerDataSize = 16;

    private const int AkaPart = Milenage.RandSize + AkaVectors.AutnSize;

    public static string Encode(ReadOnlySpan<byte> rand, ReadOnlySpan<byte> autn, ReadOnlySpan<byte> serverData)
    {
        if (rand.Length != Milenage.RandSize || autn.Length != AkaVectors.AutnSize)
            throw new ArgumentException("RAND and AUTN are 16 octets each.");
        return Convert.ToBase64String([.. rand, .. autn, .. serverData]);
    }

    /// <summary>Splits a nonce; false (with the reason) when it is not base64 or shorter than RAND ‖ AUTN.</summary>
    public static bool TryDecode(string? nonce, out byte[] rand, out byte[] autn, out byte[] serverData, out string error)
    {
        rand = autn = serverData = [];
        error = "";
        var buffer = new byte[((nonce?.Length ?? 0) * 3 / 4) + 3];
        if (string.IsNullOrEmpty(nonce) || !Convert.TryFromBase64String(nonce, buffer, out var n))
        {
            error = "nonce: not base64";
            return false;
        }
        if (n < AkaPart)
        {
            error = $"nonce: {n} octets, shorter than RAND ‖ AUTN ({AkaPart})";
            return false;
        }
        rand = buffer[..Milenage.RandSize];
        autn = buffer[Milenage.RandSize..AkaPart];
        serverData = buffer[AkaPart..n];
        return true;
    }
}
