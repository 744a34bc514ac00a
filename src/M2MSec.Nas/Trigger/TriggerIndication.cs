namespace M2MSec.Nas.Trigger;

/// <summary>What a trigger asks the device to do (seed 002 §5.1; TS 22.368 §7.1.2).</summary>
public enum TriggerAction : byte
{
    /// <summary>Open an OMA DM session with the device's management server.</summary>
    DmSession = 1,

    /// <summary>Fetch an OTA job (the payload is the job id, UTF-8).</summary>
    OtaJob = 2,

    /// <summary>Hand the payload to the device's application.</summary>
    ApplicationData = 3,
}

/// <summary>
/// An MTC trigger indication (issue 17, docs/decisions/025): the network identity it comes from (seed 002 §6.1 solution 1),
/// the MTC-IWF's reference, the action and the application's payload.
/// </summary>
public sealed record TriggerIndication(string Plmn, uint Reference, TriggerAction Action, ReadOnlyMemory<byte> Payload)
{
    /// <summary>The application payload's bound (one trigger fits a paging-sized NAS transport).</summary>
    public const int MaxPayloadLength = 1024;
}

/// <summary>A malformed trigger indication (NAS message) at <see cref="Offset"/>.</summary>
public sealed class TriggerFormatException(string message, int offset) : FormatException($"trigger indication at offset {offset}: {message}")
{
    public int Offset { get; } = offset;
}
