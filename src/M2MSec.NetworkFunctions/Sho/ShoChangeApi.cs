namespace M2MSec.NetworkFunctions.Sho;

// Issue 16, change of subscription (docs/decisions/021): the SHO's JSON messages. snake_case on the wire.

/// <summary>
/// POST /changes (administrators of the new SHO): move the device to this SHO. Exactly one of <c>pcid</c> or <c>imsi</c> (the device's
/// current IMSI at its old SHO; the DRF resolves it). The owner's authorisation token must have been handed to this SHO first.
/// </summary>
public sealed record ShoChangeRequest(string? Pcid, string? Imsi);

/// <summary>202 answer of a change (at the new SHO and at the DRF): the PCID, the SHO it leaves, the SHO it moves to, and the change's state.</summary>
public sealed record ChangeAccepted(string Pcid, string FromSho, string ToSho, string State);

/// <summary>POST /subscriptions/{pcid}/released (role drf): the device's new MCIM from <c>to_sho</c> is installed; this SHO disables and deletes its own.</summary>
public sealed record ShoReleaseRequest(string? ToSho);

/// <summary>What the TRE did with one life-cycle instruction the DPF delivered: <c>applied</c>, <c>refused</c> (its code in <c>detail</c>) or <c>failed</c>.</summary>
public sealed record McimInstructionOutcome(string? Imsi, string? Operation, ulong? Sequence, string? Result, string? Detail);

/// <summary>POST /subscriptions/{pcid}/instructions/status (role dpf): the outcomes of the instructions this SHO sent, in order.</summary>
public sealed record ShoInstructionStatusRequest(IReadOnlyList<McimInstructionOutcome>? Outcomes);
