using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using System.Text.Json;

namespace M2MSec.Dm.Tree;

/// <summary>
/// Persists a <see cref="DmTree"/> as UTF-8 JSON for the device's sealed storage:
/// <c>{"format":"m2msec-dmtree","version":1,"root":NODE}</c>,
/// NODE = <c>{"name":..,"format":"node|chr|..","type"?:..,"acl"?:..,"permanent"?:true,"value"?:B64,"children"?:[NODE..]}</c>.
/// Loading is strict: unknown or duplicate members, bad names/formats/ACLs/values, sibling clashes, a leaf with
/// children, too many nodes or too deep → <see cref="DmTreeFormatException"/>. Validators and Exec handlers are
/// code, not data: re-attach them after loading.
/// </summary>
public static class DmTreeSerializer
{
    public const string FormatTag = "m2msec-dmtree";
    public const int Version = 1;

    /// <summary>Cap on the persisted size we load.</summary>
    public const int MaxBytes = 16 * 1024 * 1024;

    private const int InitialBuffer = 4 * 1024;

    private const int MaxKeptBuffer = 256 * 1024;

    [ThreadStatic]
    private static ArrayBufferWriter<byte>? _threadBuffer;

    public static byte[] Serialize(DmTree tree)
    {
        ArgumentNullException.ThrowIfNull(tree);
        // Issue 19: one buffer per thread, reused (a tree holds no secrets: DMAcc passwords live in the TRE, not in the tree); the writer over a
        // stream grew a buffer of its own from 256 octets for every commit of a device's tree, then the stream's, then a copy.
        var buffer = _threadBuffer ??= new ArrayBufferWriter<byte>(InitialBuffer);
        buffer.ResetWrittenCount();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("format", FormatTag);
            w.WriteNumber("version", Version);
            w.WritePropertyName("root");
            WriteNode(w, tree.Root);
            w.WriteEndObject();
        }

        var bytes = buffer.WrittenSpan.ToArray();
        if (buffer.Capacity > MaxKeptBuffer)
            _threadBuffer = null; // an unusually large tree does not keep its buffer
        return bytes;
    }

    public static DmTree Deserialize(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length > MaxBytes)
        {
            throw new DmTreeFormatException("too large");
        }

        JsonDocument doc;
        try
        {
            // Each tree level costs two JSON levels (node object + children array).
            doc = JsonDocument.Parse(bytes.ToArray(), new JsonDocumentOptions { MaxDepth = (2 * DmUri.MaxDepth) + 4 });
        }
        catch (JsonException e)
        {
            throw new DmTreeFormatException("not JSON", e);
        }

        using (doc)
        {
            var top = doc.RootElement;
            RequireObject(top, "format", "version", "root");
            if (Str(top, "format") != FormatTag || !top.TryGetProperty("version", out var ver)
                || ver.ValueKind != JsonValueKind.Number || !ver.TryGetInt32(out var v) || v != Version
                || !top.TryGetProperty("root", out var root))
            {
                throw new DmTreeFormatException("unknown format or version");
            }

            var tree = new DmTree();
            RequireObject(root, "name", "format", "type", "acl", "permanent", "value", "children");
            if (Str(root, "name") != "." || Str(root, "format") != "node")
            {
                throw new DmTreeFormatException("bad root");
            }

            tree.Root.Acl = DmAcl.Empty; // must come from the data, not the constructor's default
            ReadProperties(root, tree.Root);
            tree.Root.IsPermanent = true;
            if (tree.Root.Acl.IsEmpty)
            {
                throw new DmTreeFormatException("root without ACL");
            }

            ReadChildren(tree, root, tree.Root, 0);
            return tree;
        }
    }

    public static bool TryDeserialize(ReadOnlySpan<byte> bytes, [NotNullWhen(true)] out DmTree? tree, [NotNullWhen(false)] out string? error)
    {
        try
        {
            tree = Deserialize(bytes);
            error = null;
            return true;
        }
        catch (DmTreeFormatException e)
        {
            tree = null;
            error = e.Message;
            return false;
        }
    }

    private static void WriteNode(Utf8JsonWriter w, DmNode n)
    {
        w.WriteStartObject();
        w.WriteString("name", n.Name);
        w.WriteString("format", n.Format.ToWireName());
        if (n.Type is not null)
        {
            w.WriteString("type", n.Type);
        }

        if (!n.Acl.IsEmpty)
        {
            w.WriteString("acl", n.Acl.ToString());
        }

        if (n.IsPermanent)
        {
            w.WriteBoolean("permanent", true);
        }

        if (n.IsInterior)
        {
            w.WriteStartArray("children");
            foreach (var c in n.Children)
            {
                WriteNode(w, c);
            }

            w.WriteEndArray();
        }
        else
        {
            w.WriteBase64String("value", n.Value.Span);
        }

        w.WriteEndObject();
    }

    private static void ReadChildren(DmTree tree, JsonElement e, DmNode parent, int depth)
    {
        if (!e.TryGetProperty("children", out var children))
        {
            return;
        }

        if (children.ValueKind != JsonValueKind.Array || (depth >= DmUri.MaxDepth && children.GetArrayLength() > 0))
        {
            throw new DmTreeFormatException("bad children");
        }

        foreach (var c in children.EnumerateArray())
        {
            RequireObject(c, "name", "format", "type", "acl", "permanent", "value", "children");
            var name = Str(c, "name");
            if (!DmUri.IsValidNodeName(name) || parent.Child(name!) is not null)
            {
                throw new DmTreeFormatException("bad or duplicate node name");
            }

            if (!DmFormatNames.TryParse(Str(c, "format"), out var format))
            {
                throw new DmTreeFormatException("bad format");
            }

            var node = tree.AttachLoaded(parent, name!, format);
            ReadProperties(c, node);
            ReadChildren(tree, c, node, depth + 1);
        }
    }

    private static void ReadProperties(JsonElement e, DmNode n)
    {
        if (e.TryGetProperty("type", out var type))
        {
            n.Type = type.ValueKind == JsonValueKind.String ? type.GetString() : throw new DmTreeFormatException("bad type");
        }

        if (e.TryGetProperty("acl", out var acl))
        {
            if (acl.ValueKind != JsonValueKind.String || !DmAcl.TryParse(acl.GetString(), out var parsed))
            {
                throw new DmTreeFormatException("bad ACL");
            }

            n.Acl = parsed;
        }

        if (e.TryGetProperty("permanent", out var perm))
        {
            n.IsPermanent = perm.ValueKind switch
            {
                JsonValueKind.True => true,
                JsonValueKind.False => false,
                _ => throw new DmTreeFormatException("bad permanent flag"),
            };
        }

        var hasValue = e.TryGetProperty("value", out var value);
        var hasChildren = e.TryGetProperty("children", out _);
        if (n.IsInterior ? hasValue : hasChildren || !hasValue)
        {
            throw new DmTreeFormatException("interior node with value or leaf with children/without value");
        }

        if (hasValue)
        {
            if (value.ValueKind != JsonValueKind.String || !value.TryGetBytesFromBase64(out var bytes)
                || bytes.Length > DmTree.MaxLeafSize || !DmValueSyntax.IsValid(n.Format, bytes))
            {
                throw new DmTreeFormatException("bad value");
            }

            n.Value = bytes;
        }
    }

    private static void RequireObject(JsonElement e, params string[] allowed)
    {
        if (e.ValueKind != JsonValueKind.Object)
        {
            throw new DmTreeFormatException("object expected");
        }

        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var p in e.EnumerateObject())
        {
            if (!allowed.Contains(p.Name, StringComparer.Ordinal) || !seen.Add(p.Name))
            {
                throw new DmTreeFormatException($"unexpected or duplicate member '{p.Name}'");
            }
        }
    }

    private static string? Str(JsonElement e, string name) =>
        e.TryGetProperty(name, out var p) && p.ValueKind == JsonValueKind.String ? p.GetString() : null;
}
