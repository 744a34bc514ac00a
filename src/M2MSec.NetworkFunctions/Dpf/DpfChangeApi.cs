namespace M2MSec.NetworkFunctions.Dpf;

// Issue 16, change of subscription (docs/decisions/021): the DPF's JSON messages. snake_case on the wire.

/// <summary>POST /changes (role drf): open a new provisioning of the installed device <c>pcid</c> for the SHO <c>sho_id</c> on its existing DM account.</summary>
public sealed record DpfChangeRequest(string? Pcid, string? ShoId);

/// <summary>
/// POST /instructions/{pcid} (role sho): signed MCIM life-cycle instructions (base64 of each McimInstruction document, 1 to 4, applied
/// in order) from the SHO <c>sho_id</c> (under mutual TLS: the caller's certificate CN), delivered by DM Replace of ./M2MSIMMobj/Instruction.
/// </summary>
public sealed record InstructionDelivery(string? ShoId, IReadOnlyList<string>? Instructions);

/// <summary>202 answer: the DM job that carries the instructions in the device's next session.</summary>
public sealed record InstructionsQueued(string Pcid, string JobId, int Count);
