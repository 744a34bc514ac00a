namespace M2MSec.Device.Tre;

/// <summary>
/// Who inside the M2ME asks the TRE for something. The TRE's own policy (<see cref="TrePolicy"/>)
/// decides per caller which keys and protected objects it may use (TR 33.812 §5.1.2.2: "A TRE
/// should support and enforce its own security policy").
/// </summary>
public enum TreCaller
{
    /// <summary>The out-of-band manufacturing facility (injection at manufacture only).</summary>
    Manufacturer,

    /// <summary>The platform-validation agent: attestation and identity signatures.</summary>
    Platform,

    /// <summary>The network access stack: AKA with an installed MCIM.</summary>
    Network,

    /// <summary>The OMA DM client: trusted roots, NAS configuration, DM account.</summary>
    DeviceManagement,

    /// <summary>The MCIM provisioning client: PK_D decryption, MCIM installation.</summary>
    Provisioning,

    /// <summary>The GBA client: NAF keys released for one stated use.</summary>
    Gba,

    /// <summary>Diagnostics: status only, no key or object.</summary>
    Diagnostics,
}
