namespace M2MSec.NetworkFunctions.Drf;

// The DRF's JSON API between roles (docs/provisioning.md). A public contract: snake_case, octet strings hex, DER base64.

/// <summary>M2MMobj as read by the DPF (step 11), as it travels between roles (certificates base64 DER, nonce hex).</summary>
public sealed record M2MMobjDto(string? Pcid, string? TreId, string? ShoId, string? PfcAttestation, string? PfcEncryption, string? RegistrationNonce);

/// <summary>202 answer when the DRF accepted M2MMobj and registered the M2ME at the SHO (step 12).</summary>
public sealed record RegistrationAccepted(string Pcid, string State);

/// <summary>PUT /assignments/{pcid} (administrator): the SHO the PCID's owner has a contract with (step 9's database).</summary>
public sealed record AssignmentRequest(string? ShoId);

/// <summary>The PCID's assignment.</summary>
public sealed record Assignment(string Pcid, string ShoId);

/// <summary>POST /bootstrap-requests (role icf, step 8): PCID, the address the VNO gave the device, and K_RO (hex, a secret).</summary>
public sealed record BootstrapRequestDto(string? Pcid, string? IpAddress, string? KRo);

/// <summary>202 answer of POST /bootstrap-requests.</summary>
public sealed record BootstrapRequestAccepted(string Pcid);

/// <summary>Device POST /bootstrap (step 7): the M2ME asks the RO with its PCID, the address the VNO gave it and its DevId (TRE id).</summary>
public sealed record DeviceBootstrapRequest(string? Pcid, string? IpAddress, string? DevId);

/// <summary>
/// The Bootstrap message (step 10): the OMA DM bootstrap package (WBXML, base64) with a DMAcc for the DPF and the M2M
/// context (./M2MContext/SHO), and its MAC (hex HMAC-SHA1, OMA ProvBoot §5.3) keyed with K_RO (<c>sec</c> "ro-kro").
/// <c>sho_id</c> and <c>dm_url</c> repeat what the package says; the device reads them from the package only. The package is
/// sealed under a key from K_RO (<c>enc</c> "aes-256-gcm-kro", <c>RoBootstrapSeal</c>): its DM passwords are the device's alone;
/// the MAC is over the package as sealed inside.
/// </summary>
public sealed record BootstrapMessageDto(string Pcid, string ShoId, string DmUrl, string Sec, string Package, string Mac, string Enc);
