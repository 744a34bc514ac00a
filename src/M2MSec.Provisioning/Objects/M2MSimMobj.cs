using System.Security.Cryptography.X509Certificates;

namespace M2MSec.Provisioning.Objects;

/// <summary>What the SHO puts in M2MSIMMobj: for whom, from which SHO, the registration nonce, and the MCIM object.</summary>
public sealed record M2MSimMobjContent(string Pcid, string TreId, string ShoId, byte[] RegistrationNonce, byte[] McimObject);

/// <summary>
/// M2MSIMMobj (seed 003), the document the SHO signs: XML Signature (enveloped, exclusive c14n, exactly one Reference
/// URI=""), ECDSA or RSA; XML parsed hardened (no DTD, no external references). docs/decisions/014-mcim-object.md.
/// </summary>
public static class M2MSimMobj
{
    /// <summary>The signed document (UTF-8 XML) under <paramref name="signer"/> (with its private key; profile sho).</summary>
    public static byte[] Sign(M2MSimMobjContent content, X509Certificate2 signer, X509Certificate2Collection? chain = null) =>
        throw new NotImplementedException("issue 15: M2MSimMobj.Sign");

    /// <summary>
    /// Verifies the signature and that the signer chains to <paramref name="trustRoot"/> at <paramref name="now"/>; returns the
    /// content and the signer (whose CN is the SHO id). Throws <see cref="ProvisioningException"/>.
    /// </summary>
    public static M2MSimMobjContent Verify(ReadOnlySpan<byte> document, X509Certificate2 trustRoot, DateTimeOffset now, out X509Certificate2 signer) =>
        throw new NotImplementedException("issue 15: M2MSimMobj.Verify");
}
