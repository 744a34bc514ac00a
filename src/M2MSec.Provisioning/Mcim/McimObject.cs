using System.Security.Cryptography;

namespace M2MSec.Provisioning.Mcim;

/// <summary>
/// The MCIM object (seed 003, TR 33.812 §5.1.3.7.3.3): <c>PK_D(PIK | PCK) | Protected_data</c>, with
/// <c>Protected_data = ENC_PCK(data) | MAC_PIK(ENC_PCK(data))</c> and <c>data = tag | payload_length | payload | version | filling_data</c>.
/// Sealed by the SHO to the platform's encryption key; opened only inside the TRE. docs/decisions/014-mcim-object.md.
/// </summary>
public static class McimObject
{
    /// <summary>Seals <paramref name="content"/> to the TRE whose encryption key is <paramref name="pkD"/> (SubjectPublicKeyInfo DER: EC P-256 or RSA).</summary>
    public static byte[] Seal(ReadOnlySpan<byte> pkD, McimContent content, McimSuite suite = McimSuite.Default) =>
        throw new NotImplementedException("issue 15: McimObject.Seal");

    /// <summary>
    /// Opens an MCIM object with the TRE's private key (EC P-256 <see cref="ECDiffieHellman"/> or <see cref="RSA"/>):
    /// the MAC is checked (fixed time) before anything is decrypted. Throws <see cref="ProvisioningException"/>.
    /// </summary>
    public static McimContent Open(AsymmetricAlgorithm pkDPrivate, ReadOnlySpan<byte> mcimObject) =>
        throw new NotImplementedException("issue 15: McimObject.Open");
}
