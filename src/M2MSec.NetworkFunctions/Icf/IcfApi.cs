namespace M2MSec.NetworkFunctions.Icf;

// The ICF's JSON API (docs/provisioning.md). A public contract: snake_case, octet strings hex.

/// <summary>POST /temporary-credentials (role ccif): a PCID's temporary-access credential (TR 33.812 §5.1.3.6.2 NOTE 2).</summary>
public sealed record TemporaryCredentialRequest(string? Pcid, string? K, string? Opc, string? Amf);

/// <summary>201 answer of POST /temporary-credentials.</summary>
public sealed record TemporaryCredentialCreated(string Pcid);

/// <summary>POST /auth-vectors (role vno, steps 2–4): EPS vectors for a PCID. <c>serving_network_id</c> is required: the VNO gets K_ASME, never CK/IK.</summary>
public sealed record IcfAuthVectorsRequest(string? Pcid, int? Count, string? ServingNetworkId, IcfResyncInfo? Resync);

/// <summary>Re-synchronisation info: the RAND of the failed challenge and the TRE's AUTS (TS 33.102 §6.3.5).</summary>
public sealed record IcfResyncInfo(string? Rand, string? Auts);

/// <summary>An EPS vector (TS 33.401 §6.1.2): there is no CK or IK field in this API at all.</summary>
public sealed record EpsVectorDto(string Rand, string Xres, string Autn, string Kasme);

public sealed record IcfAuthVectorsResponse(string Pcid, bool Resynchronised, IReadOnlyList<EpsVectorDto> Vectors);

/// <summary>POST /attach-confirmations (role vno, step 6): the PCID passed AKA with <c>rand</c> and was given <c>ip_address</c>.</summary>
public sealed record AttachConfirmationRequest(string? Pcid, string? Rand, string? IpAddress);

/// <summary>202 answer: the ICF handed PCID, address and K_RO to the DRF (step 8).</summary>
public sealed record AttachConfirmed(string Pcid, string State);
