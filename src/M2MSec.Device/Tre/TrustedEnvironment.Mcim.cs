namespace M2MSec.Device.Tre;

/// <summary>
/// MCIM provisioning inside the TRE (seed 003): the registration nonce, and the installation of a signed M2MSIMMobj —
/// signature and signer (the designated SHO) checked, the nonce checked and cleared by the same sealed write that installs
/// the MCIM, the MCIM object opened with the platform's encryption key. Several MCIMs, one active.
/// </summary>
public sealed partial class TrustedEnvironment
{
    /// <summary>The pending registration nonce (seed 003 step 12), made and sealed when none is pending.</summary>
    public byte[] RegistrationNonce(TreCaller caller) => throw new NotImplementedException("issue 15: TrustedEnvironment.RegistrationNonce");

    /// <summary>
    /// Installs the MCIM a signed M2MSIMMobj document carries (steps 19–20). Never throws for a refused object: the result
    /// says why (nothing changed then); throws only for a locked TRE or a caller the policy refuses.
    /// </summary>
    public McimInstallResult InstallMcim(TreCaller caller, ReadOnlySpan<byte> signedM2MSimMobj) =>
        throw new NotImplementedException("issue 15: TrustedEnvironment.InstallMcim");
}

/// <summary>What the TRE did with an M2MSIMMobj: <see cref="Code"/> is "installed" or a refusal key (bad-signature, wrong-sho, stale-nonce, mac-mismatch, …).</summary>
public sealed record McimInstallResult(string Code, string? Imsi, string Detail)
{
    public const string Installed = "installed";

    public bool IsInstalled => Code == Installed;
}
