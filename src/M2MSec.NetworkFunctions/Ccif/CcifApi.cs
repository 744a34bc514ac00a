namespace M2MSec.NetworkFunctions.Ccif;

// The CCIF's JSON API (docs/provisioning.md). A public contract: snake_case, octet strings hex, DER base64.

/// <summary>
/// POST /devices (administrator: the factory line): a device to manufacture — PCID, TRE id, the kind and public halves
/// (SubjectPublicKeyInfo DER, base64) of the TRE's two platform keys, the manufacturer's reference measurements (image name →
/// SHA-256 hex, computed from the firmware it built), and optionally the SHA-256 (hex) of the device's authorisation token.
/// </summary>
public sealed record DeviceRegistrationRequest(string? Pcid, string? TreId, string? PlatformKey, string? AttestationPublicKey, string? EncryptionPublicKey,
    Dictionary<string, string>? ReferenceMeasurements, string? AuthTokenSha256);

/// <summary>
/// 201 answer: what the factory line injects into the TRE — the temporary credential (K, OPc hex: given once, over mutual TLS,
/// to the administrator), the PfC (DER base64), the manufacturer's root and issuing CA, and the roots the device trusts
/// (DM/DPF root = the operator root; the SHO's signing root when the SHO could be asked).
/// </summary>
public sealed record DeviceManufactured(string Pcid, string TreId, string PlatformKey, string K, string Opc, string PfcAttestation, string PfcEncryption,
    string ManufacturerRoot, string ManufacturerIssuing, string? DmRoot, string? ShoSigningRoot)
{
    /// <summary>Never K or OPc.</summary>
    public override string ToString() => $"DeviceManufactured({Pcid}, TRE {TreId}, {PlatformKey})";
}

/// <summary>GET /devices/{pcid}: the public facts (no K, no OPc).</summary>
public sealed record CcifDeviceInfo(string Pcid, string TreId, string PlatformKey, string AttestationSerial, string EncryptionSerial, string PfcAttestation,
    string PfcEncryption, DateTimeOffset ManufacturedAt, DateTimeOffset? RevokedAt, string? RevocationReason);

/// <summary>POST /devices/{pcid}/revocation (administrator): revoke the device's PfC (RFC 5280 §5.3.1 reason name).</summary>
public sealed record PfcRevocationRequest(string? Reason);

/// <summary>Answer of the revocation: both PfC serials, now "revoked" at the CCIF's OCSP responder.</summary>
public sealed record PfcRevoked(string Pcid, string Reason, IReadOnlyList<string> Serials);

/// <summary>GET /manufacturer-root: the manufacturer hierarchy's root and issuing CA (DER base64) and where it answers OCSP.</summary>
public sealed record ManufacturerRootResponse(string Root, string Issuing, string? OcspUrl);

/// <summary>TRE identities as the CCIF accepts them: 1 to 64 of A-Z a-z 0-9 . _ - (they become the PfC's CN).</summary>
public static class TreIds
{
    public static bool IsValid(string? treId) =>
        !string.IsNullOrEmpty(treId) && treId.Length <= 64 && treId.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-');
}

/// <summary>POST /devices/{pcid}/firmware-updates (administrators, issue 16): the SHA-256 (hex) of each image of the updated firmware.</summary>
public sealed record FirmwareUpdateRequest(Dictionary<string, string>? Measurements);
