namespace M2MSec.NetworkFunctions.Vno;

// The VNO's device-facing API (docs/provisioning.md steps 1, 5, 6 and the attach with the new IMSI). A public contract:
// snake_case, octet strings hex.

/// <summary>Device POST /attach (step 1): the identity is a PCID (the RO's PLMN) or an IMSI (its home PLMN).</summary>
public sealed record AttachRequest(string? Identity);

/// <summary>The AKA challenge (step 5): answer at POST /attach/{attach_id} before it expires.</summary>
public sealed record AttachChallenge(string AttachId, string Rand, string Autn, int ExpiresInSeconds);

/// <summary>Device POST /attach/{attach_id}: exactly one of RES (the challenge passed) or AUTS (synchronisation failure).</summary>
public sealed record AttachResponse(string? Res, string? Auts);

/// <summary>
/// The answer to <see cref="AttachResponse"/>: <c>state</c> "attached" with <c>ip_address</c> (and <c>restricted_to</c> "ro"
/// for a PCID: connectivity to the Registration Operator only, step 6), or "challenge" with a new <c>attach_id</c>, RAND
/// and AUTN after a resynchronisation. <c>serving_plmn</c> (issue 17): the network the device attached to, whose identity K_ASME is
/// bound to and which it keeps as its last attached network (seed 002 §6.1 solution 1).
/// </summary>
public sealed record AttachResult(string State, string Identity, string? IpAddress, string? RestrictedTo, string? AttachId, string? Rand, string? Autn,
    string? ServingPlmn = null);
