using System.Text;
using System.Xml;

namespace M2MSec.Dm.SyncMl;

/// <summary>
/// SyncML DM 1.2 in XML (OMA-TS-DM_RepPro-V1_2 §5; OMA-SUP-DTD_SyncML_RepPro-V1_2): root &lt;SyncML
/// xmlns='SYNCML:SYNCML1.2'&gt;, Meta children in 'syncml:metinf' (as libdmclient sends and accepts).
/// Parsing is defensive: no DTD (a DOCTYPE is refused, so no entity expansion), no resolver, bounded size and
/// depth; elements in other namespaces are skipped; every failure is a <see cref="SyncMlError"/>.
/// </summary>
public static class SyncMlXml
{
    public static SyncMlMessage Parse(ReadOnlySpan<byte> utf8, SyncMlLimits? limits = null) =>
        TryParse(utf8, out var message, out var error, limits) ? message : throw new SyncMlParseException(error);

    public static bool TryParse(
        ReadOnlySpan<byte> utf8,
        [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out SyncMlMessage? message,
        [System.Diagnostics.CodeAnalysis.NotNullWhen(false)] out SyncMlError? error,
        SyncMlLimits? limits = null)
    {
        limits ??= SyncMlLimits.Default;
        if (utf8.Length > limits.MaxDocumentBytes)
        {
            message = null;
            error = new SyncMlError(SyncMlErrorReason.TooLarge, $"{utf8.Length} bytes > {limits.MaxDocumentBytes}");
            return false;
        }
        var bytes = utf8.ToArray();
        return SyncMlCodec.TryDecode(onHdr => ReadTree(bytes, limits, onHdr), e => Classify(e, bytes), limits, out message, out error);
    }

    /// <summary>Writes UTF-8 XML with an XML declaration and no indentation.</summary>
    public static byte[] Write(SyncMlMessage message)
    {
        var root = SyncMlTreeWriter.Write(message);
        using var stream = new MemoryStream();
        var settings = new XmlWriterSettings { Encoding = new UTF8Encoding(false), Indent = false };
        using (var writer = XmlWriter.Create(stream, settings))
        {
            writer.WriteStartDocument();
            WriteNode(writer, root);
            writer.WriteEndDocument();
        }
        return stream.ToArray();
    }

    private static void WriteNode(XmlWriter writer, SyncMlNode node)
    {
        writer.WriteStartElement(node.Name, node.MetInf ? SyncMlTags.MetInfNamespace : SyncMlTags.SyncMlNamespace);
        if (node.Opaque is { } opaque)
            writer.WriteString(new UTF8Encoding(false, true).GetString(opaque));
        else if (node.Text is { Length: > 0 } text)
            writer.WriteString(text);
        foreach (var child in node.Children)
            WriteNode(writer, child);
        writer.WriteEndElement();
    }

    private static SyncMlError? Classify(Exception e, byte[] bytes) => e switch
    {
        XmlException when bytes.AsSpan().IndexOf("<!DOCTYPE"u8) >= 0 =>
            new SyncMlError(SyncMlErrorReason.DtdProhibited, "DOCTYPE not allowed"),
        XmlException x when x.Message.Contains("unexpected end", StringComparison.OrdinalIgnoreCase) =>
            new SyncMlError(SyncMlErrorReason.Truncated, x.Message),
        XmlException x => new SyncMlError(SyncMlErrorReason.Malformed, x.Message),
        DecoderFallbackException or ArgumentException or InvalidOperationException => new SyncMlError(SyncMlErrorReason.Malformed, e.Message),
        _ => null,
    };

    private static SyncMlNode ReadTree(byte[] bytes, SyncMlLimits limits, Action<SyncMlNode> onHdr)
    {
        var settings = new XmlReaderSettings
        {
            DtdProcessing = DtdProcessing.Prohibit,
            XmlResolver = null,
            MaxCharactersInDocument = limits.MaxDocumentBytes,
            MaxCharactersFromEntities = 1024,
            IgnoreComments = true,
            IgnoreProcessingInstructions = true,
            CloseInput = true,
        };
        using var reader = XmlReader.Create(new MemoryStream(bytes, writable: false), settings);
        var stack = new Stack<(SyncMlNode Node, StringBuilder Text)>();
        SyncMlNode? root = null;
        var skipDepth = -1; // > -1 while inside an element of a foreign namespace
        while (reader.Read())
        {
            if (reader.NodeType == XmlNodeType.Element && reader.Depth >= limits.MaxDepth)
                throw new SyncMlFormatException(SyncMlErrorReason.TooDeep, $"deeper than {limits.MaxDepth}");
            if (skipDepth >= 0)
            {
                if (reader.NodeType == XmlNodeType.EndElement && reader.Depth == skipDepth)
                    skipDepth = -1;
                continue;
            }
            switch (reader.NodeType)
            {
                case XmlNodeType.Element:
                    var node = NewNode(reader, root is null);
                    if (node is null)
                    {
                        if (!reader.IsEmptyElement)
                            skipDepth = reader.Depth;
                        break;
                    }
                    if (root is null)
                        root = node;
                    else
                        stack.Peek().Node.Add(node);
                    stack.Push((node, new StringBuilder()));
                    if (reader.IsEmptyElement)
                        End(stack, onHdr);
                    break;
                case XmlNodeType.EndElement:
                    End(stack, onHdr);
                    break;
                case XmlNodeType.Text or XmlNodeType.CDATA or XmlNodeType.Whitespace or XmlNodeType.SignificantWhitespace:
                    if (stack.Count > 0)
                        stack.Peek().Text.Append(reader.Value);
                    break;
            }
        }
        return root ?? throw new SyncMlFormatException(SyncMlErrorReason.Malformed, "no root element");
    }

    /// <summary>Text of an element with element children is whitespace between them (dropped); else it is the value.</summary>
    private static void End(Stack<(SyncMlNode Node, StringBuilder Text)> stack, Action<SyncMlNode> onHdr)
    {
        var (node, text) = stack.Pop();
        if (node.Children.Count == 0)
            node.Text = text.ToString();
        else if (!string.IsNullOrWhiteSpace(text.ToString()))
            throw new SyncMlFormatException(SyncMlErrorReason.Malformed, $"{node.Name} has mixed content");
        if (node.Name == "SyncHdr" && !node.MetInf && stack.Count == 1)
            onHdr(node);
    }

    /// <summary>A node for the element, or null to skip it (foreign namespace).</summary>
    private static SyncMlNode? NewNode(XmlReader reader, bool isRoot)
    {
        var ns = reader.NamespaceURI;
        var name = reader.LocalName;
        if (isRoot)
        {
            if (name != "SyncML" || !string.Equals(ns, SyncMlTags.SyncMlNamespace, StringComparison.OrdinalIgnoreCase))
                throw new SyncMlFormatException(SyncMlErrorReason.UnsupportedFormat, $"root {{{ns}}}{name} is not SyncML 1.2");
            return new SyncMlNode(name, false);
        }
        var metInf = string.Equals(ns, SyncMlTags.MetInfNamespace, StringComparison.OrdinalIgnoreCase);
        if (!metInf && !string.Equals(ns, SyncMlTags.SyncMlNamespace, StringComparison.OrdinalIgnoreCase))
            return null;
        return new SyncMlNode(name, metInf) { Unknown = !SyncMlTags.TryGetToken(name, metInf, out _) };
    }
}
