using System.Text;

namespace M2MSec.Dm.Tree;

/// <summary>
/// Server commands on the tree (OMA-TS-DM_TND-V1_2 §7.7.1 ACL rules; OMA-TS-DM_RepPro-V1_2 §6.6 commands, §10 codes).
/// Rights: Get/Replace/Delete/Exec need the right on the target, Add needs Add on the parent; rights come from the
/// effective (inherited) ACL. Status codes: 200 ok; 400 malformed URI/ACL; 414 URI too long/deep; 404 no such node
/// (or, for Add, no parent — missing interior ancestors are not created); 425 no right; 418 Add of an existing node;
/// 405 not allowed on this node (Replace/Add-below a leaf's interior mismatch, Delete of the root or of a subtree with a
/// permanent node, Exec without a handler) or value refused by the managed object's validator; 415 Format differs
/// from the node's or the value does not parse in its Format; 413 value too large; 420 tree full.
/// </summary>
public sealed partial class DmTree
{
    public DmGetResult Get(string serverId, string uri)
    {
        var (status, node) = Target(uri, serverId, DmAclCommand.Get);
        if (node is null)
        {
            return DmGetResult.Fail(status);
        }

        return node.IsInterior
            ? new DmGetResult(DmStatusCode.Ok, DmFormat.Node, node.Type, Encoding.UTF8.GetBytes(string.Join('/', node.Children.Select(c => c.Name))))
            : new DmGetResult(DmStatusCode.Ok, node.Format, node.Type, node.ReadHandler is { } read ? read() : node.Value);
    }

    /// <summary>Adds an interior node (<paramref name="format"/> = node; the value is ignored) or a leaf.</summary>
    public int Add(string serverId, string uri, DmFormat format, ReadOnlySpan<byte> value, string? type = null)
    {
        if (!DmUri.TryParse(uri, out var segs, out var error))
        {
            return DmUri.StatusFor(error);
        }

        if (segs.Length == 0)
        {
            return DmStatusCode.AlreadyExists;
        }

        var parent = Find(segs[..^1]);
        if (parent is null)
        {
            return DmStatusCode.NotFound;
        }

        if (!EffectiveAcl(parent).Allows(DmAclCommand.Add, serverId))
        {
            return DmStatusCode.PermissionDenied;
        }

        if (!parent.IsInterior)
        {
            return DmStatusCode.CommandNotAllowed;
        }

        if (parent.Child(segs[^1]) is not null)
        {
            return DmStatusCode.AlreadyExists;
        }

        var valueStatus = format == DmFormat.Node ? DmStatusCode.Ok : CheckValue(format, value);
        if (valueStatus != DmStatusCode.Ok)
        {
            return valueStatus;
        }

        if (NodeCount >= MaxNodes)
        {
            return DeviceFullStatus;
        }

        var node = new DmNode(segs[^1], parent, format)
        {
            Type = type,
            Value = format == DmFormat.Node ? ReadOnlyMemory<byte>.Empty : value.ToArray(),
        };
        parent.AddChild(node);
        NodeCount++;
        return DmStatusCode.Ok;
    }

    /// <summary>Replaces a leaf value. <paramref name="format"/> null = keep the node's; <paramref name="type"/> null = keep.</summary>
    public int Replace(string serverId, string uri, DmFormat? format, ReadOnlySpan<byte> value, string? type = null)
    {
        var (status, node) = Target(uri, serverId, DmAclCommand.Replace);
        if (node is null)
        {
            return status;
        }

        if (node.IsInterior)
        {
            return DmStatusCode.CommandNotAllowed;
        }

        if (format is { } f && f != node.Format)
        {
            return DmStatusCode.UnsupportedMediaTypeOrFormat;
        }

        var valueStatus = CheckValue(node.Format, value);
        if (valueStatus != DmStatusCode.Ok)
        {
            return valueStatus;
        }

        var candidate = value.ToArray();
        if (node.ReplaceHandler is { } handle)
        {
            return handle(candidate);
        }

        if (node.Validator is { } validate && !validate(candidate))
        {
            return DmStatusCode.CommandNotAllowed;
        }

        node.Value = candidate;
        node.Type = type ?? node.Type;
        return DmStatusCode.Ok;
    }

    public int Delete(string serverId, string uri)
    {
        var (status, node) = Target(uri, serverId, DmAclCommand.Delete);
        if (node is null)
        {
            return status;
        }

        if (node.Parent is null || node.SubtreeHasPermanent())
        {
            return DmStatusCode.CommandNotAllowed;
        }

        NodeCount -= node.CountSubtree();
        node.Parent.RemoveChild(node.Name);
        return DmStatusCode.Ok;
    }

    /// <summary>Runs the node's Exec handler (405 if none) and returns its status.</summary>
    public int Exec(string serverId, string uri, ReadOnlySpan<byte> data)
    {
        var (status, node) = Target(uri, serverId, DmAclCommand.Exec);
        if (node is null)
        {
            return status;
        }

        return node.ExecHandler is { } handler ? handler(data.ToArray()) : DmStatusCode.CommandNotAllowed;
    }

    /// <summary>Get of the ACL property (uri?prop=ACL): needs Get on the node; returns the node's own ACL text.</summary>
    public DmGetResult GetAcl(string serverId, string uri)
    {
        var (status, node) = Target(uri, serverId, DmAclCommand.Get);
        return node is null
            ? DmGetResult.Fail(status)
            : new DmGetResult(DmStatusCode.Ok, DmFormat.Chr, "text/plain", Encoding.UTF8.GetBytes(node.Acl.ToString()));
    }

    /// <summary>
    /// Replace of the ACL property. Our reading of TND §7.7.1: an interior node's ACL needs Replace on the node, a leaf's
    /// needs Replace on its parent. The root's ACL cannot be emptied (405); malformed ACL text → 400.
    /// </summary>
    public int ReplaceAcl(string serverId, string uri, string acl)
    {
        if (!DmUri.TryParse(uri, out var segs, out var error))
        {
            return DmUri.StatusFor(error);
        }

        var node = Find(segs);
        if (node is null)
        {
            return DmStatusCode.NotFound;
        }

        var rightsOn = node.IsInterior || node.Parent is null ? node : node.Parent;
        if (!EffectiveAcl(rightsOn).Allows(DmAclCommand.Replace, serverId))
        {
            return DmStatusCode.PermissionDenied;
        }

        if (!DmAcl.TryParse(acl, out var parsed))
        {
            return DmStatusCode.BadRequest;
        }

        if (node.Parent is null && parsed.IsEmpty)
        {
            return DmStatusCode.CommandNotAllowed;
        }

        node.Acl = parsed;
        return DmStatusCode.Ok;
    }

    private static int CheckValue(DmFormat format, ReadOnlySpan<byte> value) =>
        value.Length > MaxLeafSize ? DmStatusCode.RequestEntityTooLarge
        : DmValueSyntax.IsValid(format, value) ? DmStatusCode.Ok
        : DmStatusCode.UnsupportedMediaTypeOrFormat;

    private (int Status, DmNode? Node) Target(string uri, string serverId, DmAclCommand command)
    {
        if (!DmUri.TryParse(uri, out var segs, out var error))
        {
            return (DmUri.StatusFor(error), null);
        }

        var node = Find(segs);
        if (node is null)
        {
            return (DmStatusCode.NotFound, null);
        }

        return EffectiveAcl(node).Allows(command, serverId) ? (DmStatusCode.Ok, node) : (DmStatusCode.PermissionDenied, null);
    }
}
