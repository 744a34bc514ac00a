namespace M2MSec.NetworkFunctions.Drf;

// Issue 16, change of subscription (docs/decisions/021): the DRF's JSON messages. snake_case on the wire.

/// <summary>
/// POST /changes (role sho: the new SHO, whose certificate's CN must be <c>sho_id</c>): re-assign a registered PCID to <c>sho_id</c>.
/// Exactly one of <c>pcid</c> or <c>imsi</c> (the device's current IMSI, resolved at the SHO whose PLMN it belongs to).
/// </summary>
public sealed record DrfChangeRequest(string? Pcid, string? Imsi, string? ShoId);

/// <summary>POST /changes/{pcid}/status (role dpf): the change's provisioning ended — <c>installed</c> (step 21) or <c>failed</c>.</summary>
public sealed record DrfChangeStatusRequest(string? Result, string? Detail);

/// <summary>A change as the DRF keeps it (GET /changes/{pcid}, administrators).</summary>
public sealed record DrfChangeDto(string Pcid, string FromSho, string ToSho, string State, string? Reason, DateTimeOffset UpdatedAt);
