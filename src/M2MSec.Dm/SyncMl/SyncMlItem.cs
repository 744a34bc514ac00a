namespace M2MSec.Dm.SyncMl;

/// <summary>
/// &lt;Item&gt; (OMA-TS-DM_RepPro-V1_2 §6.6.9): Target/Source, Meta, Data and MoreData (large objects, §6.3.4).
/// <c>Data = null</c> means no &lt;Data&gt; element; <see cref="SyncMlData.Empty"/> is &lt;Data/&gt;.
/// </summary>
public sealed record SyncMlItem
{
    public SyncMlLocation? Target { get; init; }
    public SyncMlLocation? Source { get; init; }
    public SyncMlMeta? Meta { get; init; }
    public SyncMlData? Data { get; init; }
    public bool MoreData { get; init; }
}
