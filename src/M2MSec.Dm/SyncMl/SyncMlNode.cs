using System.Runtime.InteropServices;

namespace M2MSec.Dm.SyncMl;

/// <summary>
/// The element tree both encodings read into and write from: a SyncML (code page 0) or MetInf (code page 1)
/// element with child elements, or character data, or (WBXML) opaque bytes. SyncML has no attributes.
/// </summary>
internal sealed class SyncMlNode(string name, bool metInf)
{
    private List<SyncMlNode>? _children;

    public string Name { get; } = name;
    public bool MetInf { get; } = metInf;

    /// <summary>In document order; add with <see cref="Add"/> (a leaf, most nodes, gets no list at all).</summary>
    public ReadOnlySpan<SyncMlNode> Children => CollectionsMarshal.AsSpan(_children);

    public string? Text { get; set; }
    public byte[]? Opaque { get; set; }

    /// <summary>Set by the readers when an element is not in the SyncML or MetInf vocabulary.</summary>
    public bool Unknown { get; init; }

    public SyncMlNode Add(SyncMlNode child)
    {
        (_children ??= []).Add(child);
        return this;
    }
}
