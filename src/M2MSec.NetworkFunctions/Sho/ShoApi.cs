using M2MSec.NetworkFunctions.Drf;

namespace M2MSec.NetworkFunctions.Sho;

// The SHO's JSON API between roles (docs/provisioning.md). A public contract: snake_case, octet strings hex.

/// <summary>POST /registrations (role drf, step 12): the RO registers the M2ME, with its M2MMobj.</summary>
public sealed record ShoRegistrationRequest(string? Pcid, M2MMobjDto? M2mmobj);

/// <summary>202 answer: the registration and what the SHO does next (e.g. "validating").</summary>
public sealed record ShoRegistrationAccepted(string Pcid, string State);
