namespace M2MSec.NetworkFunctions.Dpf;

// The DPF's JSON API between roles (docs/provisioning.md). A public contract: snake_case, octet strings hex.

/// <summary>The DM account the DRF made for the device (its Bootstrap message carries the same); passwords are secrets.</summary>
public sealed record DmAccountDto(string? ServerId, string? ClientUser, string? ClientPassword, string? ServerPassword, string? ClientAuth, string? ServerAuth);

/// <summary>POST /provisionings (role drf, step 10): an ongoing provisioning of the device <c>pcid</c> for the SHO <c>sho_id</c>.</summary>
public sealed record CreateProvisioningRequest(string? Pcid, string? ShoId, DmAccountDto? DmAccount);

/// <summary>201 answer: where the device reaches the DPF's DM server (its device-facing listener).</summary>
public sealed record ProvisioningCreated(string Pcid, string DmUrl);
