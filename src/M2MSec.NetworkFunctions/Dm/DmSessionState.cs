using M2MSec.Dm.Auth;
using M2MSec.Dm.SyncMl;
using M2MSec.Storage.Dm;

namespace M2MSec.NetworkFunctions.Dm;

/// <summary>A queued command on its way to the device: the job command it is, and for a large object the text still to send.</summary>
internal sealed record DmOutgoing(ItemCommand Command, string JobId, int Seq, string? Remaining = null);

/// <summary>What the server remembers of one authenticated session (found by the token of its RespURI).</summary>
internal sealed class DmSessionState(DateTimeOffset started, DmAccount account, string sessionId, byte[] token, string baseUri)
{
    public DateTimeOffset Started { get; } = started;
    public DateTimeOffset LastActivity { get; set; } = started;
    public DateTimeOffset LastTouched { get; set; } = started;
    public string DevId => Account.DevId;
    public string SessionId { get; } = sessionId;

    /// <summary>The secret part of the RespURI (never logged); compared in fixed time.</summary>
    public byte[] Token { get; } = token;

    /// <summary>The device's account (its server nonce kept current within the session).</summary>
    public DmAccount Account { get; set; } = account;

    /// <summary>auth-MAC accounts: the nonce the device's next message must be MACed over (rotated every message).</summary>
    public DmNonce? MacNonce { get; set; }

    /// <summary>The base URI the session started at (our Source LocURI; the RespURI adds the token to it).</summary>
    public string BaseUri { get; } = baseUri;

    public int Failures { get; set; }
    public bool JobsTaken { get; set; }

    /// <summary>Jobs that finished while the session went on (decision 038), "id state", for the session's log line.</summary>
    public List<string> Finished { get; } = [];

    /// <summary>Item 7: the device refused our Cred once and gave a new nonce; we resent over it.</summary>
    public bool CredRetried { get; set; }

    /// <summary>The last nonce the device gave the server in this session and not stored yet: it is stored with the session's end (decision 041).</summary>
    public string? UnsavedServerNonce { get; set; }

    /// <summary>The outbox as it was before our last message (resent when the device refuses our Cred).</summary>
    public List<DmOutgoing> PreviousOutbox { get; set; } = [];

    /// <summary>For the session's log line: how many commands went out and the statuses that came back.</summary>
    public int CommandsSent { get; set; }
    public List<int> Statuses { get; } = [];

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
