namespace M2MSec.NetworkFunctions.Icf;

// The ICF's JSON API (docs/provisioning.md). A public contract: snake_case, octet strings hex.

/// <summary>POST /temporary-credentials (role ccif): a PCID's temporary-access credential (TR 33.812 §5.1.3.6.2 NOTE 2).</summary>
public sealed record TemporaryCredentialRequest(string? Pcid, string? K, string? Opc, string? Amf);

/// <summary>201 answer of POST /temporary-credentials.</summary>
public sealed record TemporaryCredentialCreated(string Pcid);
