namespace M2MSec.NetworkFunctions.Pva;

// The PVA's JSON API between roles (docs/provisioning.md). A public contract: snake_case, octet strings hex, DER base64.

/// <summary>POST /validations (role sho, step 13): validate this PfC and PCID; <c>sho_nonce</c> (16 octets) comes back in the verdict.</summary>
public sealed record ValidationRequest(string? Pcid, string? PfcAttestation, string? PfcEncryption, string? ShoNonce);

/// <summary>201 answer: the validation and the fresh challenge the TRE must sign (step 14).</summary>
public sealed record ValidationStarted(string ValidationId, string Challenge, DateTimeOffset ExpiresAt);

/// <summary>POST /validations/{id}/evidence (role dpf or sho): the TRE's attestation statement (base64).</summary>
public sealed record EvidenceRequest(string? Evidence);

/// <summary>The answer to the evidence: the signed verdict (<c>M2MSec.Provisioning.Validation.PvaVerdict</c>) and its result in clear.</summary>
public sealed record ValidationVerdict(string ValidationId, string Result, string? Reason, string Verdict);

/// <summary>
/// POST /references (role ccif only): the manufacturer's reference for a device — its TRE id, the SHA-256 (hex) of each
/// firmware image the manufacturer built, the PfC it issued and the manufacturer hierarchy's root and issuing CA (DER base64).
/// </summary>
public sealed record ReferenceRequest(string? Pcid, string? TreId, Dictionary<string, string>? Measurements, string? PfcAttestation,
    string? PfcEncryption, string? ManufacturerRoot, string? ManufacturerIssuing);

/// <summary>201 answer of POST /references.</summary>
public sealed record ReferenceRegistered(string Pcid, string PfcFingerprint);

/// <summary>One validation as GET /validations?pcid= lists it (administrators; `m2msec pva show`).</summary>
public sealed record ValidationSummary(string ValidationId, string Pcid, string State, string? Reason, string RequestedBy, DateTimeOffset CreatedAt,
    DateTimeOffset ExpiresAt, DateTimeOffset? CompletedAt, string PfcFingerprint);

/// <summary>GET /validations?pcid= answer: whether a reference is registered, and the validations, oldest first.</summary>
public sealed record ValidationList(string Pcid, bool ReferenceRegistered, string? TreId, IReadOnlyList<ValidationSummary> Validations);

/// <summary>
/// POST /references/{pcid}/measurements (role ccif only, issue 16): a firmware update's reference measurements (SHA-256 hex per
/// image name) the manufacturer registered; kept beside the original reference, never replacing it.
/// </summary>
public sealed record MeasurementSetRequest(Dictionary<string, string>? Measurements);

/// <summary>201 answer: how many firmware updates the PCID now has registered.</summary>
public sealed record MeasurementSetRegistered(string Pcid, int FirmwareUpdates);

/// <summary>
/// POST /rehabilitations (roles dpf, sho; issue 16): fresh evidence of a locked-down TRE — its PfC (DER base64), the nonce the
/// TRE issued (hex, 32 octets) and the attestation statement over that nonce (base64).
/// </summary>
public sealed record RehabilitationRequest(string? Pcid, string? PfcAttestation, string? PfcEncryption, string? TreNonce, string? Evidence);

/// <summary>The answer: the signed rehabilitation statement (<c>PvaRehabilitation</c>) and its result in clear; invalid is a statement too.</summary>
public sealed record RehabilitationAnswer(string Pcid, string Result, string? Reason, string Statement);
