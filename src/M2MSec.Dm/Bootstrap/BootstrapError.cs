using M2MSec.Dm.SyncMl;

namespace M2MSec.Dm.Bootstrap;

/// <summary>Why a message is not a bootstrap package we accept.</summary>
public enum BootstrapErrorReason
{
    /// <summary>Not a SyncML DM 1.2 message (truncated or malformed WBXML, wrong version, no Final).</summary>
    Malformed,

    /// <summary>A command other than Add, or an Add item without Target, Meta Format or Data.</summary>
    UnexpectedCommand,

    /// <summary>A node outside the DMAcc MO as we read it, or a second DMAcc / AppAddr instance.</summary>
    UnknownNode,

    /// <summary>A required node (ServerID, Addr, AAuthSecret, an interior node, ...) is not added.</summary>
    MissingNode,

    DuplicateNode,

    /// <summary>A node with the wrong Format (e.g. a leaf added as node, ServerID as int).</summary>
    WrongFormat,

    /// <summary>A value out of its range: AppID not "w7", AddrType not "URI", Addr not an http(s) URI, unknown AAuthType, ...</summary>
    InvalidValue,
}

/// <summary>A refused bootstrap message; <see cref="SyncMl"/> is the codec's error when the message did not parse.</summary>
public sealed record BootstrapError(BootstrapErrorReason Reason, string Message, SyncMlError? SyncMl = null)
{
    public override string ToString() => $"{Reason}: {Message}";
}
