namespace M2MSec.NetworkFunctions.Dpf;

// The DPF's JSON API between roles (docs/provisioning.md). A public contract: snake_case, octet strings hex.

/// <summary>The DM account the DRF made for the device (its Bootstrap message carries the same); passwords are secrets.</summary>
public sealed record DmAccountDto(string? ServerId, string? ClientUser, string? ClientPassword, string? ServerPassword, string? ClientAuth, string? ServerAuth);

/// <summary>POST /provisionings (role drf, step 10): an ongoing provisioning of the device <c>pcid</c> for the SHO <c>sho_id</c>.</summary>
public sealed record CreateProvisioningRequest(string? Pcid, string? ShoId, DmAccountDto? DmAccount);

/// <summary>201 answer: where the device reaches the DPF's DM server (its device-facing listener).</summary>
public sealed record ProvisioningCreated(string Pcid, string DmUrl);

/// <summary>POST /provisionings/{pcid}/attestation (role sho, step 14): the PVA's validation and its challenge (hex) for the TRE.</summary>
public sealed record AttestationRequest(string? ValidationId, string? Challenge);

/// <summary>POST /provisionings/{pcid}/m2msimmobj (role sho, step 17): the signed M2MSIMMobj (base64) and the PVA's verdict that authorises it.</summary>
public sealed record M2MSimMobjDelivery(string? M2msimmobj, string? Verdict);

/// <summary>202 answer: the provisioning's new state (the DM job is queued for the device's next session).</summary>
public sealed record ProvisioningState(string Pcid, string State);
