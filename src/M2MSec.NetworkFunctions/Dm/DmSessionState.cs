using M2MSec.Dm.SyncMl;

namespace M2MSec.NetworkFunctions.Dm;

/// <summary>A queued command on its way to the device: the job command it is, and for a large object the text still to send.</summary>
internal sealed record DmOutgoing(ItemCommand Command, string JobId, int Seq, string? Remaining = null);

/// <summary>What the server remembers of one session (keyed by device and SessionID).</summary>
internal sealed class DmSessionState(DateTimeOffset started)
{
    public DateTimeOffset Started { get; } = started;
    public bool Authenticated { get; set; }
    public int Failures { get; set; }
    public bool JobsTaken { get; set; }

    /// <summary>The device's MaxMsgSize (package 1 SyncHdr Meta), our budget for every message to it.</summary>
    public long MaxMsgSize { get; set; } = SyncMlLimits.Default.MaxDocumentBytes;

    /// <summary>Commands not yet sent (the package continues in the next message).</summary>
    public LinkedList<DmOutgoing> Outbox { get; } = new();

    /// <summary>Sent CmdID → the job command it carries (the last chunk of a large object).</summary>
    public Dictionary<string, (string JobId, int Seq)> Sent { get; } = new(StringComparer.Ordinal);

    public HashSet<string> Jobs { get; } = new(StringComparer.Ordinal);

    /// <summary>Results chunks of a large object from the device (MoreData), by the CmdRef they answer.</summary>
    public Dictionary<string, List<byte>> IncomingChunks { get; } = new(StringComparer.Ordinal);
}
