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
    public static byte[] Write(SyncMlMessage message) => SyncMlXmlWriter.Write(SyncMlTreeWriter.Write(message));

    /// <summary>The length in bytes of <see cref="Write"/>'s output, without writing it (the DM server packs to the device's MaxMsgSize).</summary>
    public static int Measure(SyncMlMessage message) => SyncMlXmlWriter.Measure(SyncMlTreeWriter.Write(message));

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

    /// <summary>The reader's settings for the default limits, made once (a parse of the DM server's hot path made them anew).</summary>
    private static readonly XmlReaderSettings DefaultSettings = Settings(SyncMlLimits.Default);

    private static XmlReaderSettings Settings(SyncMlLimits limits) => new()
    {
        DtdProcessing = DtdProcessing.Prohibit,
        XmlResolver = null,
        MaxCharactersInDocument = limits.MaxDocumentBytes,
        MaxCharactersFromEntities = 1024,
        IgnoreComments = true,
        IgnoreProcessingInstructions = true,
        CloseInput = true,
    };

    private static SyncMlNode ReadTree(byte[] bytes, SyncMlLimits limits, Action<SyncMlNode> onHdr)
    {
        var settings = limits.MaxDocumentBytes == SyncMlLimits.Default.MaxDocumentBytes ? DefaultSettings : Settings(limits);
        using var reader = XmlReader.Create(new MemoryStream(bytes, writable: false), settings);
        var stack = new List<Open>(8);
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
                        stack[^1].Node.Add(node);
                    stack.Add(new Open(node));
                    if (reader.IsEmptyElement)
                        End(stack, onHdr);
                    break;
                case XmlNodeType.EndElement:
                    End(stack, onHdr);
                    break;
                case XmlNodeType.Text or XmlNodeType.CDATA or XmlNodeType.Whitespace or XmlNodeType.SignificantWhitespace:
                    if (stack.Count > 0)
                        stack[^1] = stack[^1].WithText(reader.Value);
                    break;
            }
        }
        return root ?? throw new SyncMlFormatException(SyncMlErrorReason.Malformed, "no root element");
    }

    /// <summary>
    /// An element being read and its text so far: usually one piece (no copy); a builder from the second piece on (text, CDATA,
    /// text: linear, never quadratic); once it has children only whether a piece that is not whitespace came (mixed content).
    /// </summary>
    private readonly record struct Open(SyncMlNode Node, string? Text = null, StringBuilder? More = null, bool Mixed = false)
    {
        public Open WithText(string value) =>
            !Node.Children.IsEmpty ? (Mixed || string.IsNullOrWhiteSpace(value) ? this : this with { Mixed = true })
            : Text is null ? this with { Text = value }
            : this with { More = (More ?? new StringBuilder(Text)).Append(value) };

        public string AllText => More?.ToString() ?? Text ?? "";
    }

    /// <summary>Text of an element with element children is whitespace between them (dropped); else it is the value.</summary>
    private static void End(List<Open> stack, Action<SyncMlNode> onHdr)
    {
        var open = stack[^1];
        var node = open.Node;
        stack.RemoveAt(stack.Count - 1);
        if (node.Children.IsEmpty)
            node.Text = open.AllText;
        else if (open.Mixed || !string.IsNullOrWhiteSpace(open.AllText))
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
