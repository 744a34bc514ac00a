namespace M2MSec.Dm.SyncMl;

/// <summary>
/// Bounds on what a parser accepts from a peer. <see cref="MaxDocumentBytes"/> is our MaxMsgSize
/// (OMA-TS-DM_RepPro-V1_2 §6.1.1): a longer message is refused with 413.
/// </summary>
public sealed record SyncMlLimits
{
    public static SyncMlLimits Default { get; } = new();

    public int MaxDocumentBytes { get; init; } = 64 * 1024;
    public int MaxDepth { get; init; } = 32;

    /// <summary>Commands in the body, counting those nested in Atomic/Sequence.</summary>
    public int MaxCommands { get; init; } = 256;

    public int MaxItemsPerCommand { get; init; } = 256;
}
