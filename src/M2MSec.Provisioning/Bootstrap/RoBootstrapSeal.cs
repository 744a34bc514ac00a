using System.Security.Cryptography;
using System.Text;

namespace M2MSec.Provisioning.Bootstrap;

/// <summary>
/// Confidentiality of the Bootstrap message (steps 10–11): it carries the device's DM account, whose passwords only the device
/// may learn, so the DRF encrypts the package under a key from K_RO — which only the ICF/DRF and the TRE hold — as well as
/// MACing it (the OMA DM bootstrap MAC, <c>BootstrapAuthenticator</c>). AES-256-GCM, key = HKDF-SHA256(K_RO, info
/// "M2MSec RO bootstrap confidentiality v1"), the PCID as associated data. Wire: nonce (12) ‖ ciphertext ‖ tag (16).
/// docs/decisions/016-registration-operator.md.
/// </summary>
public static class RoBootstrapSeal
{
    /// <summary>The <c>enc</c> value naming this protection in the DRF's answer.</summary>
    public const string Name = "aes-256-gcm-kro";

    private const int NonceSize = 12;
    private const int TagSize = 16;
    private static readonly byte[] Info = Encoding.ASCII.GetBytes("M2MSec RO bootstrap confidentiality v1");

    public static byte[] Seal(ReadOnlySpan<byte> kRo, string pcid, ReadOnlySpan<byte> package)
    {
        var key = Key(kRo);
        try
        {
            var output = new byte[NonceSize + package.Length + TagSize];
            RandomNumberGenerator.Fill(output.AsSpan(0, NonceSize));
            using var gcm = new AesGcm(key, TagSize);
            gcm.Encrypt(output.AsSpan(0, NonceSize), package, output.AsSpan(NonceSize, package.Length), output.AsSpan(output.Length - TagSize), Encoding.ASCII.GetBytes(pcid));
            return output;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(key);
        }
    }

    /// <summary>The package, or false when it was not sealed under this K_RO for this PCID (or was altered).</summary>
    public static bool TryOpen(ReadOnlySpan<byte> kRo, string pcid, ReadOnlySpan<byte> sealedPackage, out byte[] package)
    {
        package = [];
        if (sealedPackage.Length < NonceSize + TagSize)
            return false;
        var key = Key(kRo);
        var plain = new byte[sealedPackage.Length - NonceSize - TagSize];
        try
        {
            using var gcm = new AesGcm(key, TagSize);
            gcm.Decrypt(sealedPackage[..NonceSize], sealedPackage[NonceSize..^TagSize], sealedPackage[^TagSize..], plain, Encoding.ASCII.GetBytes(pcid));
            package = plain;
            return true;
        }
        catch (AuthenticationTagMismatchException)
        {
            return false;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(key);
        }
    }

    private static byte[] Key(ReadOnlySpan<byte> kRo) => HKDF.DeriveKey(HashAlgorithmName.SHA256, kRo.ToArray(), 32, [], Info);
}
