using System.Security.Cryptography;
using M2MSec.Provisioning.Mcim;

namespace M2MSec.Device.Tre;

/// <summary>
/// Encryption to the TRE's PK_D (TR 33.812 MCIM object: PK_D(PIK ‖ PCK)), ECIES over P-256; the scheme itself lives with
/// the MCIM object in <see cref="PkDEcies"/> (M2MSec.Provisioning). docs/decisions/007-tre-emulation.md, 014-mcim-object.md.
/// </summary>
public static class PkDCipher
{
    /// <summary>Encrypts to the recipient's PK_D (SubjectPublicKeyInfo DER).</summary>
    public static byte[] Encrypt(ReadOnlySpan<byte> recipientSpki, ReadOnlySpan<byte> plaintext, ReadOnlySpan<byte> associatedData) =>
        PkDEcies.Encrypt(recipientSpki, plaintext, associatedData);

    /// <summary>Decrypts inside the TRE; false if the ciphertext or its associated data was altered.</summary>
    internal static bool TryDecrypt(ECDiffieHellman privateKey, ReadOnlySpan<byte> ciphertext, ReadOnlySpan<byte> associatedData, out byte[] plaintext) =>
        PkDEcies.TryDecrypt(privateKey, ciphertext, associatedData, out plaintext);
}
