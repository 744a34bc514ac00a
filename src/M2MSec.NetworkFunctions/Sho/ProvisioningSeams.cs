using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using M2MSec.Provisioning;
using M2MSec.Provisioning.Mcim;
using M2MSec.Provisioning.Objects;
using M2MSec.Provisioning.Validation;

namespace M2MSec.NetworkFunctions.Sho;

/// <summary>
/// How the SHO and the DPF check a PVA verdict (seed 003: "the DPF has root certificates that can be used to verify that the
/// correct (trusted) PVA is performing the TRE check(s)"): signature, pva role, chain to the operator root, freshness.
/// </summary>
public interface IPvaVerdictVerifier
{
    /// <summary>The verdict, if the statement verifies at <paramref name="now"/>; throws <see cref="ProvisioningException"/> otherwise.</summary>
    PvaVerdict Verify(string statement, DateTimeOffset now);

    /// <summary>The PfC's fingerprint as verdicts name it.</summary>
    string Fingerprint(ReadOnlySpan<byte> attestationCertificate, ReadOnlySpan<byte> encryptionCertificate);
}

/// <summary>The real check: <see cref="PvaVerdict.Verify"/> against the operator root the function holds (its TLS trust root).</summary>
public sealed class PvaVerdictVerifier(X509Certificate2? operatorRoot, X509Certificate2Collection? intermediates, TimeSpan maxAge) : IPvaVerdictVerifier
{
    public PvaVerdict Verify(string statement, DateTimeOffset now) =>
        operatorRoot is null
            ? throw new ProvisioningException("bad-verdict", "no operator root to check the PVA's verdict against (the function runs without TLS)")
            : PvaVerdict.Verify(statement, operatorRoot, intermediates, now, maxAge);

    public string Fingerprint(ReadOnlySpan<byte> attestationCertificate, ReadOnlySpan<byte> encryptionCertificate) =>
        PvaVerdict.Fingerprint(attestationCertificate, encryptionCertificate);
}

/// <summary>What a verdict must say for this provisioning; the caller decides what a refusal does.</summary>
public static class PvaVerdictCheck
{
    /// <summary>
    /// Verifies <paramref name="statement"/> and that it names this validation, PCID and PfC (and, at the SHO, its own request
    /// nonce). Returns null and a problem type/detail when it does not.
    /// </summary>
    public static PvaVerdict? Check(IPvaVerdictVerifier verifier, string statement, DateTimeOffset now, string pcid, string? validationId,
        byte[] pfcAttestation, byte[] pfcEncryption, byte[]? shoNonce, out string type, out string detail)
    {
        ArgumentNullException.ThrowIfNull(verifier);
        PvaVerdict verdict;
        try
        {
            verdict = verifier.Verify(statement, now);
        }
        catch (ProvisioningException e)
        {
            (type, detail) = (e.Code, $"verdict: {e.Message}");
            return null;
        }
        (type, detail) = ("verdict-mismatch", "");
        if (verdict.Pcid != pcid)
            detail = "verdict: names another PCID";
        else if (validationId is not null && verdict.ValidationId != validationId)
            detail = "verdict: names another validation";
        else if (!string.Equals(verdict.PfcFingerprint, verifier.Fingerprint(pfcAttestation, pfcEncryption), StringComparison.OrdinalIgnoreCase))
            detail = "verdict: names another PfC";
        else if (shoNonce is not null && (verdict.ShoNonce is null || !CryptographicOperations.FixedTimeEquals(verdict.ShoNonce, shoNonce)))
            detail = "verdict: does not carry this SHO's request nonce";
        if (detail.Length > 0)
            return null;
        (type, detail) = ("", "");
        return verdict;
    }
}

/// <summary>Step 16: seal the MCIM to PK_D and sign M2MSIMMobj. A seam: <see cref="McimPackager"/> is the real one.</summary>
public interface IMcimPackager
{
    /// <summary>The signed M2MSIMMobj document carrying <paramref name="mcim"/> sealed to <paramref name="pkD"/> (SubjectPublicKeyInfo DER).</summary>
    byte[] Package(byte[] pkD, McimContent mcim, string pcid, string treId, string shoId, byte[] registrationNonce, X509Certificate2 signer,
        X509Certificate2Collection? chain);
}

/// <summary><c>McimObject.Seal</c> then <see cref="M2MSimMobj.Sign"/> (seed 003).</summary>
public sealed class McimPackager : IMcimPackager
{
    public byte[] Package(byte[] pkD, McimContent mcim, string pcid, string treId, string shoId, byte[] registrationNonce, X509Certificate2 signer,
        X509Certificate2Collection? chain)
    {
        var sealedMcim = McimObject.Seal(pkD, mcim);
        return M2MSimMobj.Sign(new M2MSimMobjContent(pcid, treId, shoId, registrationNonce, sealedMcim), signer, chain);
    }
}
