namespace M2MSec.Dm.SyncMl;

/// <summary>
/// &lt;Meta&gt; with the MetInf elements OMA DM uses (OMA-TS-SyncML_MetaInfo-V1_2 §5; namespace
/// 'syncml:metinf', WBXML code page 1). Other MetInf elements (Anchor, EMI, Mem, ...) are ignored.
/// </summary>
public sealed record SyncMlMeta
{
    public string? Format { get; init; }
    public string? Type { get; init; }
    public string? Mark { get; init; }
    public long? Size { get; init; }
    public string? Version { get; init; }
    public string? NextNonce { get; init; }
    public long? MaxMsgSize { get; init; }
    public long? MaxObjSize { get; init; }
}

/// <summary>&lt;Cred&gt;: Meta Type/Format and Data (OMA-SUP-DTD_SyncML_RepPro-V1_2; OMA-TS-DM_Security-V1_2 §5.1).</summary>
public sealed record SyncMlCred
{
    public SyncMlMeta? Meta { get; init; }
    public SyncMlData? Data { get; init; }
}

/// <summary>&lt;Chal&gt; in a Status: Meta Type, Format and NextNonce (OMA-TS-DM_Security-V1_2 §5.1.3).</summary>
public sealed record SyncMlChal
{
    public SyncMlMeta? Meta { get; init; }
}

/// <summary>A &lt;Target&gt; or &lt;Source&gt;: LocURI and optional LocName.</summary>
public sealed record SyncMlLocation(string LocUri, string? LocName = null);
