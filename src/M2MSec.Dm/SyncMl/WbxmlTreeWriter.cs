using System.Text;

namespace M2MSec.Dm.SyncMl;

/// <summary>Serializes an element tree as WBXML 1.2 (WAP-192-WBXML §5).</summary>
internal static class WbxmlTreeWriter
{
    public static byte[] Write(SyncMlNode root)
    {
        using var output = new MemoryStream();
        output.WriteByte(0x02); // version 1.2 (§5.4)
        WriteMbUInt32(output, SyncMlWbxml.SyncMl12PublicId); // §5.5
        WriteMbUInt32(output, SyncMlWbxml.Utf8Charset); // §5.6
        WriteMbUInt32(output, 0); // empty string table (§5.7)
        var page = 0;
        WriteNode(output, root, ref page);
        return output.ToArray();
    }

    private static void WriteNode(MemoryStream output, SyncMlNode node, ref int page)
    {
        if (!SyncMlTags.TryGetToken(node.Name, node.MetInf, out var token))
            throw new InvalidOperationException($"no WBXML token for {node.Name}");
        var nodePage = node.MetInf ? 1 : 0;
        if (nodePage != page)
        {
            output.WriteByte(WbxmlTokens.SwitchPage);
            output.WriteByte((byte)nodePage);
            page = nodePage;
        }
        var hasContent = node.Children.Length > 0 || node.Opaque is not null || node.Text is { Length: > 0 };
        output.WriteByte(hasContent ? (byte)(token | WbxmlTokens.HasContent) : token);
        if (!hasContent)
            return;
        if (node.Opaque is { } opaque)
        {
            output.WriteByte(WbxmlTokens.Opaque);
            WriteMbUInt32(output, opaque.Length);
            output.Write(opaque);
        }
        else if (node.Text is { Length: > 0 } text)
        {
            if (text.Contains('\0', StringComparison.Ordinal))
                throw new ArgumentException($"{node.Name} text contains NUL", nameof(node));
            output.WriteByte(WbxmlTokens.StrI);
            output.Write(Encoding.UTF8.GetBytes(text));
            output.WriteByte(0);
        }
        foreach (var child in node.Children)
            WriteNode(output, child, ref page);
        output.WriteByte(WbxmlTokens.End);
    }

    /// <summary>mb_u_int32 (§5.1): big-endian 7-bit groups, continuation bit 0x80.</summary>
    private static void WriteMbUInt32(MemoryStream output, int value)
    {
        Span<byte> buffer = stackalloc byte[5];
        var i = buffer.Length;
        var v = (uint)value;
        buffer[--i] = (byte)(v & 0x7F);
        while ((v >>= 7) != 0)
            buffer[--i] = (byte)(0x80 | (v & 0x7F));
        output.Write(buffer[i..]);
    }
}
