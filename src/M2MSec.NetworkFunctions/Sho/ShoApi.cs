using M2MSec.NetworkFunctions.Drf;

namespace M2MSec.NetworkFunctions.Sho;

// The SHO's JSON API between roles (docs/provisioning.md). A public contract: snake_case, octet strings hex.

/// <summary>PUT /authorisation-tokens/{pcid} (administrator): the device's authorisation token in hex — a secret, never echoed.</summary>
public sealed record AuthorisationTokenRequest(string? Token)
{
    public override string ToString() => "AuthorisationTokenRequest(…)";
}

/// <summary>POST /registrations (role drf, step 12): the RO registers the M2ME, with its M2MMobj.</summary>
public sealed record ShoRegistrationRequest(string? Pcid, M2MMobjDto? M2mmobj);

/// <summary>202 answer: the registration and what the SHO does next (e.g. "validating").</summary>
public sealed record ShoRegistrationAccepted(string Pcid, string State);

/// <summary>POST /registrations/{pcid}/verdict (role dpf, step 15): the PVA's signed verdict, forwarded by the DPF.</summary>
public sealed record ShoVerdictRequest(string? ValidationId, string? Verdict);

/// <summary>POST /registrations/{pcid}/status (role dpf, step 21): "installed" or "failed", and the TRE's result code.</summary>
public sealed record ShoStatusRequest(string? Result, string? Detail);

/// <summary>What the SHO did with a verdict or a status: the subscription's new state.</summary>
public sealed record ShoSubscriptionState(string Pcid, string State, string? Imsi = null);

/// <summary>One subscription as GET /subscriptions lists it (never K or OPc); a prepared MCIM (issue 16) with its expiry.</summary>
public sealed record ShoSubscriptionDto(string Pcid, string TreId, string State, string? Imsi, string? Reason, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt,
    DateTimeOffset? ExpiresAt = null);

/// <summary>GET /subscriptions (administrators): every subscription and the IMSI pool by state.</summary>
public sealed record ShoSubscriptionList(string ShoId, IReadOnlyList<ShoSubscriptionDto> Subscriptions, IReadOnlyDictionary<string, int> Pool);

/// <summary>POST /imsi-pool (administrators): <c>count</c> consecutive IMSIs from <c>first</c>.</summary>
public sealed record ImsiPoolRangeRequest(string? First, int? Count);

/// <summary>201 answer: how many IMSIs were new, and the pool by state.</summary>
public sealed record ImsiPoolAdded(int Added, IReadOnlyDictionary<string, int> Pool);

/// <summary>GET /signing-root: the root of the SHO's signing hierarchy (devices hold it as trust/root/sho) and the signer (PEM).</summary>
public sealed record ShoSigningRoot(string ShoId, string RootPem, string SignerPem);
