namespace M2MSec.Device.Tre;

/// <summary>Names of the protected objects the provisioning flow keeps in the TRE (docs/provisioning.md "Identities").</summary>
public static class TreObjects
{
    /// <summary>The SHO the Bootstrap message designated (UTF-8); the M2MSIMMobj signer must name it.</summary>
    public const string DesignatedSho = "prov/sho-id";

    /// <summary>The pending registration nonce (16 octets), cleared by the write that installs the MCIM.</summary>
    public const string RegistrationNonce = "prov/reg-nonce";

    /// <summary>
    /// The device-specific authorisation token (seed 003: "distributed with the M2ME device, and provided to the SHO by the
    /// M2ME user"), written by the manufacturer; an MCIM must carry the same token. Nobody reads it back.
    /// </summary>
    public const string AuthorisationToken = "prov/auth-token";

    /// <summary>The root the DPF's (DM server's) certificate must chain to (DER).</summary>
    public const string DmRoot = "trust/root/dm";

    /// <summary>The root the SHO's M2MSIMMobj signing certificate must chain to (DER).</summary>
    public const string ShoSigningRoot = "trust/root/sho";

    /// <summary>The PfC: the attestation key's certificate (DER), from the manufacturer hierarchy.</summary>
    public const string PfcAttestation = "cert/pfc/attestation";

    /// <summary>The PfC: the encryption key's (PK_D's) certificate (DER), profile platform-encryption.</summary>
    public const string PfcEncryption = "cert/pfc/encryption";
}
