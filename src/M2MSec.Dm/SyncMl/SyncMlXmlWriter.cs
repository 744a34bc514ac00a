using System.Buffers;
using System.Text;

namespace M2MSec.Dm.SyncMl;

/// <summary>
/// Writes an element tree as UTF-8 XML, byte for byte what <see cref="System.Xml.XmlWriter"/> wrote before (issue 19: the
/// XmlWriter, its buffers and its stream were a third of the DM server's codec time): the declaration, each element's
/// namespace as a default-namespace declaration where it changes (SyncML 1.2 root, 'syncml:metinf' Meta children),
/// empty elements as &lt;Name /&gt;, text with &amp;, &lt; and &gt; escaped and line ends as "\n". A character XML cannot
/// carry (a control character, a lone surrogate, U+FFFE/U+FFFF) is refused with an <see cref="ArgumentException"/>, as
/// XmlWriter's character check did. The length is measured first (also what the DM server's packing asks,
/// <see cref="SyncMlXml.Measure"/>), then the bytes are written into one array of exactly that size.
/// </summary>
internal static class SyncMlXmlWriter
{
    private static ReadOnlySpan<byte> Declaration => "<?xml version=\"1.0\" encoding=\"utf-8\"?>"u8;

    /// <summary>Text characters written as they are, one byte each: printable ASCII but the three escaped ones.</summary>
    private static readonly SearchValues<char> Plain = SearchValues.Create(
        " !\"#$%'()*+,-./0123456789:;=?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefghijklmnopqrstuvwxyz{|}~");

    private static readonly UTF8Encoding StrictUtf8 = new(false, true);

    public static int Measure(SyncMlNode root) => Declaration.Length + Measure(root, "");

    public static byte[] Write(SyncMlNode root)
    {
        var bytes = new byte[Measure(root)];
        Declaration.CopyTo(bytes);
        var end = Write(bytes, Declaration.Length, root, "");
        return end == bytes.Length ? bytes : throw new InvalidOperationException($"SyncML XML: measured {bytes.Length} bytes, wrote {end}");
    }

    private static string Namespace(SyncMlNode node) => node.MetInf ? SyncMlTags.MetInfNamespace : SyncMlTags.SyncMlNamespace;

    private static string? Content(SyncMlNode node) =>
        node.Opaque is { } opaque ? StrictUtf8.GetString(opaque) : node.Text;

    /// <summary>Written as &lt;Name /&gt;: no children and no text (opaque data, even empty, was always written as text: &lt;Data&gt;&lt;/Data&gt;).</summary>
    private static bool Empty(SyncMlNode node, string? content) => node.Children.IsEmpty && node.Opaque is null && string.IsNullOrEmpty(content);

    /// <summary>&lt;Name[ xmlns="ns"]&gt;content children&lt;/Name&gt;, or &lt;Name[ xmlns="ns"] /&gt; when empty.</summary>
    private static int Measure(SyncMlNode node, string defaultNs)
    {
        var ns = Namespace(node);
        var length = 1 + node.Name.Length + (ns == defaultNs ? 0 : 9 + ns.Length);
        var content = Content(node);
        if (Empty(node, content))
            return length + 3;
        length += 1 + (content is null ? 0 : TextLength(content));
        foreach (var child in node.Children)
            length += Measure(child, ns);
        return length + 3 + node.Name.Length;
    }

    private static int Write(byte[] output, int at, SyncMlNode node, string defaultNs)
    {
        var ns = Namespace(node);
        output[at++] = (byte)'<';
        at += Encoding.ASCII.GetBytes(node.Name, output.AsSpan(at));
        if (ns != defaultNs)
        {
            at += Copy(" xmlns=\""u8, output, at);
            at += Encoding.ASCII.GetBytes(ns, output.AsSpan(at));
            output[at++] = (byte)'"';
        }
        var content = Content(node);
        if (Empty(node, content))
            return at + Copy(" />"u8, output, at);
        output[at++] = (byte)'>';
        if (content is not null)
            at = WriteText(output, at, content);
        foreach (var child in node.Children)
            at = Write(output, at, child, ns);
        at += Copy("</"u8, output, at);
        at += Encoding.ASCII.GetBytes(node.Name, output.AsSpan(at));
        output[at++] = (byte)'>';
        return at;
    }

    private static int Copy(ReadOnlySpan<byte> bytes, byte[] output, int at)
    {
        bytes.CopyTo(output.AsSpan(at));
        return bytes.Length;
    }

    /// <summary>The UTF-8 length of <paramref name="text"/> as written (XmlWriter's element text: escapes, "\r\n" and "\r" as "\n").</summary>
    private static int TextLength(string text)
    {
        var first = text.AsSpan().IndexOfAnyExcept(Plain);
        if (first < 0)
            return text.Length;
        var length = first;
        for (var i = first; i < text.Length; i++)
        {
            var c = text[i];
            if (c is '<' or '>')
                length += 4;
            else if (c == '&')
                length += 5;
            else if (c == '\r' && i + 1 < text.Length && text[i + 1] == '\n')
                continue; // the "\n" that follows counts
            else if (c is '\r' or '\n' or '\t' || c is >= ' ' and < (char)0x80)
                length++;
            else if (c < ' ')
                throw Invalid(c);
            else if (c < (char)0x800)
                length += 2;
            else if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                length += 4;
                i++;
            }
            else if (char.IsSurrogate(c) || c >= '\uFFFE')
                throw Invalid(c);
            else
                length += 3;
        }
        return length;
    }

    private static int WriteText(byte[] output, int at, string text)
    {
        var span = text.AsSpan();
        var first = span.IndexOfAnyExcept(Plain);
        if (first < 0)
            return at + Encoding.ASCII.GetBytes(span, output.AsSpan(at));
        at += Encoding.ASCII.GetBytes(span[..first], output.AsSpan(at));
        for (var i = first; i < span.Length; i++)
        {
            var c = span[i];
            switch (c)
            {
                case '<':
                    at += Copy("&lt;"u8, output, at);
                    break;
                case '>':
                    at += Copy("&gt;"u8, output, at);
                    break;
                case '&':
                    at += Copy("&amp;"u8, output, at);
                    break;
                case '\r':
                    if (i + 1 < span.Length && span[i + 1] == '\n')
                        i++;
                    output[at++] = (byte)'\n';
                    break;
                case '\n' or '\t' or (>= ' ' and < (char)0x80):
                    output[at++] = (byte)c;
                    break;
                default:
                    // Non-ASCII (TextLength refused what XML cannot carry): a pair of surrogates is one code point.
                    var n = char.IsHighSurrogate(c) ? 2 : 1;
                    at += Encoding.UTF8.GetBytes(span.Slice(i, n), output.AsSpan(at));
                    i += n - 1;
                    break;
            }
        }
        return at;
    }

    private static ArgumentException Invalid(char c) =>
        new($"'\\u{(int)c:X4}' is not a character XML can carry", "text");
}
