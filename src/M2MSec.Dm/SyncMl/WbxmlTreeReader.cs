using System.Text;

namespace M2MSec.Dm.SyncMl;

/// <summary>
/// Reads a WBXML document (WAP-192-WBXML §5) into an element tree. Every token consumes input, lengths are
/// checked against what is left, and depth is bounded, so hostile input ends in a
/// <see cref="SyncMlFormatException"/>, never a hang.
/// </summary>
internal sealed class WbxmlTreeReader(byte[] input, SyncMlLimits limits)
{
    private static readonly UTF8Encoding StrictUtf8 = new(false, true);

    private int _pos;
    private byte[] _strings = [];

    public SyncMlNode Read(Action<SyncMlNode> onHdr)
    {
        ReadHeader();
        var page = 0;
        var stack = new Stack<Open>();
        SyncMlNode? root = null;
        while (true)
        {
            var token = Next();
            switch (token)
            {
                case WbxmlTokens.SwitchPage:
                    page = Next();
                    if (page > 1)
                        throw Error(SyncMlErrorReason.UnsupportedFormat, $"unknown code page {page}");
                    break;
                case WbxmlTokens.End:
                    if (stack.Count == 0)
                        throw Error(SyncMlErrorReason.Malformed, "END without an open element");
                    Close(stack, onHdr);
                    if (stack.Count == 0)
                    {
                        if (_pos != input.Length)
                            throw Error(SyncMlErrorReason.Malformed, "data after the root element");
                        return root!;
                    }
                    break;
                case WbxmlTokens.StrI:
                    Top(stack).Append(Utf8(ReadTerminated(input, ref _pos, input.Length, truncated: true)));
                    break;
                case WbxmlTokens.StrT:
                    var offset = ReadLength();
                    if (offset >= _strings.Length)
                        throw Error(SyncMlErrorReason.Malformed, $"string table reference {offset} out of range");
                    Top(stack).Append(Utf8(ReadTerminated(_strings, ref offset, _strings.Length, truncated: false)));
                    break;
                case WbxmlTokens.Entity:
                    var code = ReadMbUInt32();
                    if (code > 0x10FFFF || code is >= 0xD800 and <= 0xDFFF)
                        throw Error(SyncMlErrorReason.Malformed, $"bad ENTITY {code}");
                    Top(stack).Append(char.ConvertFromUtf32((int)code));
                    break;
                case WbxmlTokens.Opaque:
                    var length = ReadLength();
                    if (length > input.Length - _pos)
                        throw Error(SyncMlErrorReason.Truncated, "OPAQUE longer than the input");
                    Top(stack).AppendOpaque(input.AsSpan(_pos, length));
                    _pos += length;
                    break;
                default:
                    if ((token & WbxmlTokens.TagMask) < 0x05)
                        throw Error(SyncMlErrorReason.Malformed, $"unsupported WBXML token 0x{token:X2}");
                    if ((token & WbxmlTokens.HasAttributes) != 0)
                        throw Error(SyncMlErrorReason.Malformed, "attributes are not used in SyncML");
                    if (stack.Count >= limits.MaxDepth)
                        throw Error(SyncMlErrorReason.TooDeep, $"deeper than {limits.MaxDepth}");
                    var node = NewNode(page, token & WbxmlTokens.TagMask, root is null);
                    if (root is null)
                        root = node;
                    else
                        stack.Peek().Node.Add(node);
                    stack.Push(new Open(node));
                    if ((token & WbxmlTokens.HasContent) == 0)
                    {
                        Close(stack, onHdr);
                        if (stack.Count == 0)
                            throw Error(SyncMlErrorReason.Malformed, "empty root element");
                    }
                    break;
            }
        }
    }

    /// <summary>Version, public id, charset and string table (§5.4–§5.7).</summary>
    private void ReadHeader()
    {
        var version = Next();
        if (version is < 0x01 or > 0x03)
            throw Error(SyncMlErrorReason.UnsupportedFormat, $"WBXML version 0x{version:X2}");
        var publicId = ReadMbUInt32();
        var publicIdRef = publicId == 0 ? ReadLength() : -1;
        var charset = ReadMbUInt32();
        if (charset != SyncMlWbxml.Utf8Charset)
            throw Error(SyncMlErrorReason.UnsupportedFormat, $"charset {charset} is not UTF-8");
        var length = ReadLength();
        if (length > input.Length - _pos)
            throw Error(SyncMlErrorReason.Truncated, "string table longer than the input");
        _strings = input[_pos..(_pos + length)];
        _pos += length;
        if (publicIdRef >= 0)
        {
            if (publicIdRef >= _strings.Length)
                throw Error(SyncMlErrorReason.Malformed, $"string table reference {publicIdRef} out of range");
            var text = Utf8(ReadTerminated(_strings, ref publicIdRef, _strings.Length, truncated: false));
            if (text != SyncMlWbxml.SyncMl12PublicIdText)
                throw Error(SyncMlErrorReason.UnsupportedFormat, $"public id {text}");
        }
        else if (publicId != SyncMlWbxml.SyncMl12PublicId)
        {
            throw Error(SyncMlErrorReason.UnsupportedFormat, $"public id 0x{publicId:X}");
        }
    }

    private static SyncMlNode NewNode(int page, int tag, bool isRoot)
    {
        var name = SyncMlTags.NameOf(page, tag);
        if (isRoot && (page != 0 || name != "SyncML"))
            throw Error(SyncMlErrorReason.UnsupportedFormat, "root element is not SyncML");
        return new SyncMlNode(name ?? $"unknown-{page}-{tag:X2}", page == 1) { Unknown = name is null };
    }

    private static void Close(Stack<Open> stack, Action<SyncMlNode> onHdr)
    {
        var open = stack.Pop();
        var node = open.Node;
        var text = open.AllText;
        if (open.HasOpaque && text.Length > 0 || (open.HasOpaque || text.Length > 0) && node.Children.Length > 0)
            throw Error(SyncMlErrorReason.Malformed, $"{node.Name} has mixed content");
        if (open.HasOpaque)
            node.Opaque = open.OpaqueBytes;
        else if (node.Children.Length == 0)
            node.Text = text;
        if (node.Name == "SyncHdr" && !node.MetInf && stack.Count == 1)
            onHdr(node);
    }

    private static Open Top(Stack<Open> stack) =>
        stack.Count > 0 ? stack.Peek() : throw Error(SyncMlErrorReason.Malformed, "content outside the root element");

    private byte Next() =>
        _pos < input.Length ? input[_pos++] : throw Error(SyncMlErrorReason.Truncated, "unexpected end of WBXML");

    /// <summary>mb_u_int32 (§5.1): at most 5 bytes, at most 32 bits.</summary>
    private uint ReadMbUInt32()
    {
        ulong value = 0;
        for (var i = 0; i < 5; i++)
        {
            var b = Next();
            value = (value << 7) | (uint)(b & 0x7F);
            if ((b & 0x80) == 0)
                return value <= uint.MaxValue ? (uint)value : throw Error(SyncMlErrorReason.Malformed, "mb_u_int32 overflow");
        }
        throw Error(SyncMlErrorReason.Malformed, "mb_u_int32 longer than 5 bytes");
    }

    private int ReadLength()
    {
        var value = ReadMbUInt32();
        return value <= int.MaxValue ? (int)value : throw Error(SyncMlErrorReason.Malformed, "length out of range");
    }

    private static ReadOnlySpan<byte> ReadTerminated(byte[] source, ref int pos, int end, bool truncated)
    {
        var length = source.AsSpan(pos, end - pos).IndexOf((byte)0);
        if (length < 0)
            throw Error(truncated ? SyncMlErrorReason.Truncated : SyncMlErrorReason.Malformed, "unterminated string");
        var s = source.AsSpan(pos, length);
        pos += length + 1;
        return s;
    }

    private static string Utf8(ReadOnlySpan<byte> bytes)
    {
        try
        {
            return StrictUtf8.GetString(bytes);
        }
        catch (DecoderFallbackException)
        {
            throw Error(SyncMlErrorReason.Malformed, "invalid UTF-8");
        }
    }

    private static SyncMlFormatException Error(SyncMlErrorReason reason, string message) => new(reason, message);

    /// <summary>
    /// An element being read. Its content is made only when some comes (issue 19: a StringBuilder and a MemoryStream per element
    /// were most of what a parse allocated): one text piece is kept as it is, a builder from the second piece on; opaque bytes
    /// likewise.
    /// </summary>
    private sealed class Open(SyncMlNode node)
    {
        private string? _text;
        private StringBuilder? _moreText;
        private MemoryStream? _opaque;

        public SyncMlNode Node { get; } = node;

        public bool HasOpaque => _opaque is not null;

        public string AllText => _moreText?.ToString() ?? _text ?? "";

        public byte[] OpaqueBytes => _opaque?.ToArray() ?? [];

        public void Append(string text)
        {
            if (_text is null)
                _text = text;
            else
                (_moreText ??= new StringBuilder(_text)).Append(text);
        }

        public void AppendOpaque(ReadOnlySpan<byte> bytes) => (_opaque ??= new MemoryStream()).Write(bytes);
    }
}
