namespace M2MSec.NetworkFunctions.Drf;

// The DRF's JSON API between roles (docs/provisioning.md). A public contract: snake_case, octet strings hex, DER base64.

/// <summary>M2MMobj as read by the DPF (step 11), as it travels between roles (certificates base64 DER, nonce hex).</summary>
public sealed record M2MMobjDto(string? Pcid, string? TreId, string? ShoId, string? PfcAttestation, string? PfcEncryption, string? RegistrationNonce);

/// <summary>202 answer when the DRF accepted M2MMobj and registered the M2ME at the SHO (step 12).</summary>
public sealed record RegistrationAccepted(string Pcid, string State);
