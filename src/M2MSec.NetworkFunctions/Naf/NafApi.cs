namespace M2MSec.NetworkFunctions.Naf;

// Issue 18: the NAF's (MTC server's) administrative API. Never a key.

/// <summary>GET /ua: where Ua listens and how (administrator).</summary>
public sealed record NafUaInfo(string NafFqdn, string NafId, string Ua, string IdentityHint, string IdentityPrefix, string CipherSuite, long Sessions, long Refused,
    long ZnRequests, int CachedKeys);

/// <summary>Administrator POST /naf-keys: ask the BSF over Zn for this NAF's key of <c>b_tid</c>.</summary>
public sealed record NafKeyQuery(string? BTid);

/// <summary>What the NAF learnt over Zn — the key itself stays in the NAF.</summary>
public sealed record NafKeyInfo(string BTid, string Impi, string GbaType, string NafId, DateTimeOffset BootstrappingTime, DateTimeOffset KeyLifetime);
