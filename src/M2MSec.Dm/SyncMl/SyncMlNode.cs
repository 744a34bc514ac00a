namespace M2MSec.Dm.SyncMl;

/// <summary>
/// The element tree both encodings read into and write from: a SyncML (code page 0) or MetInf (code page 1)
/// element with child elements, or character data, or (WBXML) opaque bytes. SyncML has no attributes.
/// </summary>
internal sealed class SyncMlNode(string name, bool metInf)
{
    public string Name { get; } = name;
    public bool MetInf { get; } = metInf;
    public List<SyncMlNode> Children { get; } = [];
    public string? Text { get; set; }
    public byte[]? Opaque { get; set; }

    /// <summary>Set by the readers when an element is not in the SyncML or MetInf vocabulary.</summary>
    public bool Unknown { get; init; }

    public SyncMlNode Add(SyncMlNode child)
    {
        Children.Add(child);
        return this;
    }
}
