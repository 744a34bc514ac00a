using System.Security.Cryptography.X509Certificates;
using M2MSec.Device.Tre;

namespace M2MSec.Device.Provisioning;

/// <summary>
/// What the device's provisioning objects (./M2MMobj, ./M2MSIMMobj) ask of the TRE, as the Provisioning caller (TR 33.812
/// §5.1.2.2): identities, the designated SHO and the PfC, the registration nonce, an attestation, the install of an MCIM.
/// A seam: <see cref="TreProvisioning"/> is the real TRE; tests may stand in for it.
/// </summary>
public interface IProvisioningTre
{
    string TreId { get; }

    string? Pcid { get; }

    /// <summary>The SHO the Bootstrap message designated (TRE object prov/sho-id), or null.</summary>
    string? DesignatedSho { get; }

    /// <summary>The PfC: the attestation certificate (DER), or null.</summary>
    byte[]? PfcAttestation { get; }

    /// <summary>The PfC: the encryption (PK_D) certificate (DER), or null.</summary>
    byte[]? PfcEncryption { get; }

    /// <summary>The pending registration nonce, made when none is pending.</summary>
    byte[] RegistrationNonce();

    /// <summary>The attestation statement over the PVA's challenge.</summary>
    byte[] Attest(ReadOnlySpan<byte> challenge);

    /// <summary>Installs the MCIM a signed M2MSIMMobj carries (the TRE checks everything).</summary>
    McimInstallResult InstallMcim(ReadOnlySpan<byte> signedM2MSimMobj);

    /// <summary>Applies an MCIM life-cycle instruction signed by the SHO that owns the MCIM (issue 16; the TRE checks everything).</summary>
    McimInstructionResult ApplyMcimInstruction(ReadOnlySpan<byte> signedInstruction);

    /// <summary>
    /// A change of subscription (issue 16, decision 021): designates the SHO whose M2MSIMMobj is installed next, keeping its
    /// signing root when given (write-once per SHO id); the TRE checks everything.
    /// </summary>
    ShoDesignationResult DesignateSho(string shoId, X509Certificate2? root);
}

/// <summary>The device's real TRE behind <see cref="IProvisioningTre"/>, called as <see cref="TreCaller.Provisioning"/>.</summary>
public sealed class TreProvisioning(TrustedEnvironment tre) : IProvisioningTre
{
    public string TreId => tre.TreId;

    public string? Pcid => tre.Pcid;

    public string? DesignatedSho => tre.ReadObject(TreCaller.Provisioning, TreObjects.DesignatedSho) is { } b ? System.Text.Encoding.UTF8.GetString(b) : null;

    public byte[]? PfcAttestation => tre.ReadObject(TreCaller.Provisioning, TreObjects.PfcAttestation);

    public byte[]? PfcEncryption => tre.ReadObject(TreCaller.Provisioning, TreObjects.PfcEncryption);

    public byte[] RegistrationNonce() => tre.RegistrationNonce(TreCaller.Provisioning);

    public byte[] Attest(ReadOnlySpan<byte> challenge) => tre.Attest(TreCaller.Provisioning, challenge);

    public McimInstallResult InstallMcim(ReadOnlySpan<byte> signedM2MSimMobj) => tre.InstallMcim(TreCaller.Provisioning, signedM2MSimMobj);

    public McimInstructionResult ApplyMcimInstruction(ReadOnlySpan<byte> signedInstruction) => tre.ApplyMcimInstruction(TreCaller.Provisioning, signedInstruction);

    public ShoDesignationResult DesignateSho(string shoId, X509Certificate2? root) => tre.DesignateSho(TreCaller.Provisioning, shoId, root);
}
