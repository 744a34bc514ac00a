namespace M2MSec.Dm.Tree;

/// <summary>
/// A node of the DM tree (OMA-TS-DM_TND-V1_2 §7): interior (Format node, children) or leaf (value bytes + Format).
/// Read-only to callers; <see cref="DmTree"/> mutates it.
/// </summary>
public sealed class DmNode
{
    private readonly SortedDictionary<string, DmNode> _children = new(StringComparer.Ordinal);

    internal DmNode(string name, DmNode? parent, DmFormat format)
    {
        Name = name;
        Parent = parent;
        Format = format;
    }

    public string Name { get; }

    public DmNode? Parent { get; }

    public bool IsInterior => Format == DmFormat.Node;

    public DmFormat Format { get; internal set; }

    /// <summary>Type property: a MIME type for leaves, a DDF type URN for interior nodes, or null.</summary>
    public string? Type { get; internal set; }

    /// <summary>The node's own ACL; <see cref="DmAcl.Empty"/> = inherit from the nearest ancestor with one.</summary>
    public DmAcl Acl { get; internal set; } = DmAcl.Empty;

    /// <summary>Permanent nodes cannot be deleted by a server (TND §7.5).</summary>
    public bool IsPermanent { get; internal set; }

    public ReadOnlyMemory<byte> Value { get; internal set; } = ReadOnlyMemory<byte>.Empty;

    /// <summary>Size property (TND §7.7.8): value length in bytes; 0 for interior nodes.</summary>
    public int Size => IsInterior ? 0 : Value.Length;

    public IEnumerable<DmNode> Children => _children.Values;

    public string Uri
    {
        get
        {
            var names = new Stack<string>();
            for (var n = this; n.Parent is not null; n = n.Parent)
            {
                names.Push(n.Name);
            }

            return DmUri.Format(names);
        }
    }

    /// <summary>Managed-object hook: refuses values before they are applied (see <see cref="DmTree.SetValidator"/>).</summary>
    internal Func<ReadOnlyMemory<byte>, bool>? Validator { get; set; }

    internal Func<ReadOnlyMemory<byte>, int>? ExecHandler { get; set; }

    /// <summary>Managed-object hook: the leaf's value computed at each Get (see <see cref="DmTree.SetReadHandler"/>).</summary>
    internal Func<ReadOnlyMemory<byte>>? ReadHandler { get; set; }

    /// <summary>Managed-object hook: a Replace handed to the object, which answers the status (see <see cref="DmTree.SetReplaceHandler"/>).</summary>
    internal Func<ReadOnlyMemory<byte>, int>? ReplaceHandler { get; set; }

    internal int ChildCount => _children.Count;

    internal DmNode? Child(string name) => _children.GetValueOrDefault(name);

    internal void AddChild(DmNode child) => _children.Add(child.Name, child);

    internal void RemoveChild(string name) => _children.Remove(name);

    internal int CountSubtree() => 1 + _children.Values.Sum(c => c.CountSubtree());

    internal bool SubtreeHasPermanent() => IsPermanent || _children.Values.Any(c => c.SubtreeHasPermanent());

    public override string ToString() => $"{Uri} ({Format.ToWireName()})";
}
