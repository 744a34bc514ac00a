using System.Security.Cryptography;

namespace M2MSec.Storage.Ota;

/// <summary>
/// One key set of a UICC's OTA security domain (ETSI TS 102 225 §5.1): its version number
/// (the key index carried in KIc/KID), the ciphering and checksum keys with their algorithm
/// nibbles, and the TAR values it serves. Secrets: <see cref="ToString"/> shows no key.
/// </summary>
public sealed class OtaKeySet(string iccid, int keyVersion, byte kicAlgorithm, byte[] kic, byte kidAlgorithm, byte[] kid, string? tar = null)
{
    /// <summary>The TAR (6 hex digits) the key set serves, when one was registered.</summary>
    public string? Tar { get; } = tar is null || (tar.Length == 6 && tar.All(char.IsAsciiHexDigit)) ? tar?.ToLowerInvariant() : throw new ArgumentException("A TAR is 3 octets (6 hex digits).", nameof(tar));

    public string Iccid { get; } = Check(iccid);

    /// <summary>Key version number 1..15 (the high nibble of KIc/KID).</summary>
    public int KeyVersion { get; } = keyVersion is >= 1 and <= 15 ? keyVersion : throw new ArgumentOutOfRangeException(nameof(keyVersion), "Key version is 1..15.");

    public byte KicAlgorithm { get; } = kicAlgorithm;

    public byte[] Kic { get; } = kic ?? throw new ArgumentNullException(nameof(kic));

    public byte KidAlgorithm { get; } = kidAlgorithm;

    public byte[] Kid { get; } = kid ?? throw new ArgumentNullException(nameof(kid));

    public void Wipe()
    {
        CryptographicOperations.ZeroMemory(Kic);
        CryptographicOperations.ZeroMemory(Kid);
    }

    public override string ToString() => $"OtaKeySet {{ ICCID = {Iccid}, KVN = {KeyVersion} }}";

    private static string Check(string iccid) =>
        iccid is { Length: >= 10 and <= 20 } && iccid.All(char.IsAsciiHexDigit) ? iccid : throw new ArgumentException("An ICCID is 10 to 20 digits.", nameof(iccid));
}
