namespace M2MSec.NetworkFunctions.Naf;

// Zn (TS 33.220 §4.5.4 in spirit; issue 18, docs/decisions/029/030): the NAF asks the BSF for the key of (B-TID, NAF_Id), over
// mutual TLS with its `naf` certificate (dNSName SAN = the FQDN half of NAF_Id). snake_case, octet strings hex.

/// <summary>NAF → BSF POST /zn/naf-keys.</summary>
/// <param name="BTid">The B-TID the UE presented.</param>
/// <param name="NafId">Hex of the NAF FQDN (UTF-8) ‖ the 5-octet Ua security protocol identifier.</param>
public sealed record ZnKeyRequest(string? BTid, string? NafId);

/// <summary>The BSF's answer: Ks_NAF (GBA_ME) or Ks_ext_NAF (GBA_U) as <c>ks_naf</c>, the IMPI and the key's lifetime.</summary>
public sealed record ZnKeyAnswer(string BTid, string Impi, string GbaType, string KsNaf, DateTimeOffset BootstrappingTime, DateTimeOffset KeyLifetime);

/// <summary>A NAF key from Zn, kept by the NAF until <see cref="Expires"/>.</summary>
public sealed record NafKey(string BTid, string Impi, string GbaType, byte[] Key, DateTimeOffset BootstrappingTime, DateTimeOffset Expires);

/// <summary>Why Zn gave no key.</summary>
public enum ZnRefusal
{
    /// <summary>404 unknown-b-tid.</summary>
    UnknownBTid,

    /// <summary>410 b-tid-expired (or a cached key past its lifetime).</summary>
    Expired,

    /// <summary>403 naf-not-authorised: this NAF's certificate does not name the NAF_Id's FQDN.</summary>
    NotAuthorised,

    /// <summary>The BSF could not be reached or answered something else.</summary>
    Unavailable,
}

/// <summary>A key, or why there is none.</summary>
public sealed record ZnResult(NafKey? Key, ZnRefusal? Refusal, string Detail = "")
{
    public static ZnResult Of(NafKey key) => new(key, null);

    public static ZnResult Refused(ZnRefusal refusal, string detail) => new(null, refusal, detail);
}
