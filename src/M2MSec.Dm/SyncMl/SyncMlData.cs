using System.Text;

namespace M2MSec.Dm.SyncMl;

/// <summary>
/// The content of a &lt;Data&gt; element: character data (XML text, WBXML STR_I/STR_T) or, from WBXML, an
/// OPAQUE byte string (WAP-192-WBXML §5.8.4.6). Two values are equal when their bytes are equal (text as
/// UTF-8), so a message read from WBXML equals the same message read from XML; <see cref="IsOpaque"/> only
/// says how to write it back.
/// </summary>
public sealed class SyncMlData : IEquatable<SyncMlData>
{
    private readonly string? _text;
    private readonly byte[]? _opaque;

    private SyncMlData(string? text, byte[]? opaque) => (_text, _opaque) = (text, opaque);

    public static SyncMlData Empty { get; } = new(string.Empty, null);

    public static SyncMlData FromText(string text) => new(text ?? throw new ArgumentNullException(nameof(text)), null);

    /// <summary>Data carried as WBXML OPAQUE (written in XML as its UTF-8 text).</summary>
    public static SyncMlData FromOpaque(ReadOnlySpan<byte> bytes) => new(null, bytes.ToArray());

    public static implicit operator SyncMlData(string text) => FromText(text);

    public bool IsOpaque => _opaque is not null;

    public bool IsEmpty => _opaque is null ? _text!.Length == 0 : _opaque.Length == 0;

    /// <summary>The raw string: the text, or the opaque bytes decoded as UTF-8 (invalid sequences replaced).</summary>
    public string Text => _text ?? Encoding.UTF8.GetString(_opaque!);

    /// <summary>The raw bytes: the opaque bytes, or the text as UTF-8.</summary>
    public byte[] RawBytes => _opaque is null ? Encoding.UTF8.GetBytes(_text!) : (byte[])_opaque.Clone();

    /// <summary>
    /// The value in bytes for a Meta Format (OMA-TS-DM_TND-V1_2 §7.7.7.1.4): "b64" decodes the string form
    /// (false if it is not base64); any other format gives <see cref="RawBytes"/>.
    /// </summary>
    public bool TryGetBytes(string? format, out byte[] bytes)
    {
        if (!string.Equals(format, "b64", StringComparison.Ordinal))
        {
            bytes = RawBytes;
            return true;
        }
        var text = Text.Trim();
        var buffer = new byte[text.Length * 3 / 4 + 3];
        if (Convert.TryFromBase64String(text, buffer, out var n))
        {
            bytes = buffer[..n];
            return true;
        }
        bytes = [];
        return false;
    }

    public bool Equals(SyncMlData? other)
    {
        if (other is null)
            return false;
        if (_opaque is null && other._opaque is null)
            return string.Equals(_text, other._text, StringComparison.Ordinal);
        return RawBytes.AsSpan().SequenceEqual(other.RawBytes);
    }

    public override bool Equals(object? obj) => Equals(obj as SyncMlData);

    public override int GetHashCode()
    {
        var hash = new HashCode();
        hash.AddBytes(_opaque ?? Encoding.UTF8.GetBytes(_text!));
        return hash.ToHashCode();
    }

    public override string ToString() => Text;
}
