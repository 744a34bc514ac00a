namespace M2MSec.Dm.Tree;

/// <summary>
/// The device's management tree (OMA-TS-DM_TND-V1_2). Two faces: device-local setup (the *Local methods, no ACL,
/// throw on programming errors) used by managed objects, and the server commands (<see cref="Get"/>, <see cref="Add"/>,
/// <see cref="Replace"/>, <see cref="Delete"/>, <see cref="Exec"/>, ACL property) which check the ACL for the
/// server id and return DM status codes instead of throwing.
/// </summary>
public sealed partial class DmTree
{
    /// <summary>Largest leaf value accepted (413 above).</summary>
    public const int MaxLeafSize = 64 * 1024;

    /// <summary>Most nodes the tree holds, root included (420 Device full above).</summary>
    public const int MaxNodes = 4096;

    /// <summary>420 Device full (SyncML RepPro §10); not in <see cref="DmStatusCode"/>.</summary>
    public const int DeviceFullStatus = 420;

    public DmTree()
    {
        Root = new DmNode(".", null, DmFormat.Node) { Acl = DmAcl.RootDefault, IsPermanent = true };
        NodeCount = 1;
    }

    public DmNode Root { get; }

    public int NodeCount { get; private set; }

    /// <summary>The node at <paramref name="uri"/>, or null (also for malformed URIs).</summary>
    public DmNode? Find(string uri) => DmUri.TryParse(uri, out var segs, out _) ? Find(segs) : null;

    /// <summary>The node's own ACL if set, else the nearest ancestor's (TND §7.7.1; the root always has one).</summary>
    public static DmAcl EffectiveAcl(DmNode node)
    {
        ArgumentNullException.ThrowIfNull(node);
        for (DmNode? n = node; n is not null; n = n.Parent)
        {
            if (!n.Acl.IsEmpty)
            {
                return n.Acl;
            }
        }

        return DmAcl.Empty;
    }

    /// <summary>Device-local: creates an interior node (the parent must exist).</summary>
    public DmNode AddInteriorLocal(string uri, DmAcl? acl = null, bool permanent = false, string? type = null) =>
        AddLocal(uri, DmFormat.Node, default, acl, permanent, type);

    /// <summary>Device-local: creates a leaf (the parent must exist). The value must match the Format's syntax.</summary>
    public DmNode AddLeafLocal(string uri, DmFormat format, ReadOnlySpan<byte> value, DmAcl? acl = null, bool permanent = false, string? type = null)
    {
        if (format == DmFormat.Node)
        {
            throw new ArgumentException("use AddInteriorLocal for interior nodes", nameof(format));
        }

        return AddLocal(uri, format, value, acl, permanent, type);
    }

    /// <summary>Device-local: sets a node's value (no ACL, no validator).</summary>
    public void SetValueLocal(string uri, ReadOnlySpan<byte> value)
    {
        var node = Require(uri);
        if (node.IsInterior || value.Length > MaxLeafSize || !DmValueSyntax.IsValid(node.Format, value))
        {
            throw new ArgumentException($"value not valid for {node}", nameof(value));
        }

        node.Value = value.ToArray();
    }

    /// <summary>Device-local: removes a node and its subtree, permanent nodes included (no ACL). The root stays.</summary>
    public void DeleteLocal(string uri)
    {
        var node = Require(uri);
        if (node.Parent is null)
        {
            throw new ArgumentException("the root cannot be removed", nameof(uri));
        }

        NodeCount -= node.CountSubtree();
        node.Parent.RemoveChild(node.Name);
    }

    /// <summary>Device-local: sets (or clears with <see cref="DmAcl.Empty"/>) a node's ACL. The root's cannot be cleared.</summary>
    public void SetAclLocal(string uri, DmAcl acl)
    {
        ArgumentNullException.ThrowIfNull(acl);
        var node = Require(uri);
        if (node == Root && acl.IsEmpty)
        {
            throw new ArgumentException("the root must keep an ACL", nameof(acl));
        }

        node.Acl = acl;
    }

    /// <summary>
    /// Managed-object hook on a leaf: called with the candidate value of a server Replace after the Format syntax check;
    /// false refuses it with 405 and leaves the old value. Not persisted: re-attach after <see cref="DmTreeSerializer.Deserialize"/>.
    /// </summary>
    public void SetValidator(string uri, Func<ReadOnlyMemory<byte>, bool>? validator)
    {
        var node = Require(uri);
        if (node.IsInterior)
        {
            throw new ArgumentException("validators apply to leaves", nameof(uri));
        }

        node.Validator = validator;
    }

    /// <summary>
    /// Managed-object hook on a leaf whose value lives elsewhere (e.g. in the TRE): a server Get (ACL checked first) answers what
    /// <paramref name="handler"/> returns at that moment, in the leaf's Format; the tree keeps no copy. Not persisted.
    /// </summary>
    public void SetReadHandler(string uri, Func<ReadOnlyMemory<byte>>? handler)
    {
        var node = Require(uri);
        if (node.IsInterior)
        {
            throw new ArgumentException("read handlers apply to leaves", nameof(uri));
        }

        node.ReadHandler = handler;
    }

    /// <summary>
    /// Managed-object hook on a leaf that acts on what a server writes (e.g. installs it): a server Replace that passed the ACL,
    /// Format and size checks is handed to <paramref name="handler"/>, whose DM status is the answer; the tree stores nothing.
    /// Not persisted.
    /// </summary>
    public void SetReplaceHandler(string uri, Func<ReadOnlyMemory<byte>, int>? handler)
    {
        var node = Require(uri);
        if (node.IsInterior)
        {
            throw new ArgumentException("replace handlers apply to leaves", nameof(uri));
        }

        node.ReplaceHandler = handler;
    }

    /// <summary>The handler run by a server Exec on the node; returns the DM status. Not persisted.</summary>
    public void SetExecHandler(string uri, Func<ReadOnlyMemory<byte>, int>? handler) => Require(uri).ExecHandler = handler;

    internal DmNode? Find(string[] segments)
    {
        var node = Root;
        foreach (var s in segments)
        {
            node = node.Child(s);
            if (node is null)
            {
                return null;
            }
        }

        return node;
    }

    internal DmNode AttachLoaded(DmNode parent, string name, DmFormat format)
    {
        if (NodeCount >= MaxNodes)
        {
            throw new DmTreeFormatException("too many nodes");
        }

        var n = new DmNode(name, parent, format);
        parent.AddChild(n);
        NodeCount++;
        return n;
    }

    private DmNode Require(string uri) => Find(uri) ?? throw new ArgumentException($"no node at {uri}", nameof(uri));

    private DmNode AddLocal(string uri, DmFormat format, ReadOnlySpan<byte> value, DmAcl? acl, bool permanent, string? type)
    {
        if (!DmUri.TryParse(uri, out var segs, out var error) || segs.Length == 0)
        {
            throw new ArgumentException($"bad URI ({error})", nameof(uri));
        }

        var parent = Find(segs[..^1]) ?? throw new ArgumentException("parent does not exist", nameof(uri));
        if (!parent.IsInterior || parent.Child(segs[^1]) is not null || NodeCount >= MaxNodes)
        {
            throw new ArgumentException("parent is a leaf, node exists, or tree full", nameof(uri));
        }

        if (value.Length > MaxLeafSize || !DmValueSyntax.IsValid(format, value) && format != DmFormat.Node)
        {
            throw new ArgumentException($"value not valid for {format.ToWireName()}", nameof(value));
        }

        var node = new DmNode(segs[^1], parent, format)
        {
            Acl = acl ?? DmAcl.Empty,
            IsPermanent = permanent,
            Type = type,
            Value = format == DmFormat.Node ? ReadOnlyMemory<byte>.Empty : value.ToArray(),
        };
        parent.AddChild(node);
        NodeCount++;
        return node;
    }
}
