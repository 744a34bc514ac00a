namespace M2MSec.Dm.SyncMl;

/// <summary>
/// One SyncML DM 1.2 message (OMA-TS-DM_RepPro-V1_2 §6; packages 0–4 of OMA-TS-DM_Protocol-V1_2 §8):
/// header, body commands in order, and &lt;Final/&gt;.
/// </summary>
public sealed record SyncMlMessage
{
    public required SyncHeader Header { get; init; }
    public EquatableList<SyncMlCommand> Commands { get; init; } = [];
    public bool Final { get; init; }
}

/// <summary>&lt;SyncHdr&gt; (§6.6.16 of OMA-SUP-DTD_SyncML_RepPro-V1_2; OMA-TS-DM_RepPro-V1_2 §6.1).</summary>
public sealed record SyncHeader
{
    public const string DmVerDtd = "1.2";
    public const string DmVerProto = "DM/1.2";

    public string VerDtd { get; init; } = DmVerDtd;
    public string VerProto { get; init; } = DmVerProto;
    public required string SessionId { get; init; }
    public required string MsgId { get; init; }
    public required SyncMlLocation Target { get; init; }
    public required SyncMlLocation Source { get; init; }
    public string? RespUri { get; init; }
    public bool NoResp { get; init; }
    public SyncMlCred? Cred { get; init; }

    /// <summary>Meta MaxMsgSize / MaxObjSize (OMA-TS-DM_RepPro-V1_2 §6.1.1, §6.3.4).</summary>
    public SyncMlMeta? Meta { get; init; }
}
