using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Encodings.Web;

namespace M2MSec.NetworkFunctions.Console;

/// <summary>
/// HTML built by string interpolation with encoding as the default (issue 20, docs/decisions/032): every interpolated value is
/// HTML-encoded unless it is already <see cref="Html"/> (a fragment built the same way). A device name, a DevInfo value or an audit
/// detail cannot inject markup however it is spelled; only the literal parts of the template are markup.
/// </summary>
public readonly struct Html
{
    private readonly string? _value;

    private Html(string value) => _value = value;

    public static Html Empty { get; } = new("");

    /// <summary>Markup the caller wrote itself (a constant): never pass data here.</summary>
    public static Html Raw(string trusted) => new(trusted);

    /// <summary>The template with every interpolated value encoded.</summary>
    public static Html Of([InterpolatedStringHandlerArgument] HtmlHandler handler) => new(handler.ToString());

    /// <summary>Fragments one after the other.</summary>
    public static Html Join(IEnumerable<Html> parts) => new(string.Concat(parts.Select(p => p.ToString())));

    /// <summary>Encodes <paramref name="text"/> (null: empty).</summary>
    public static Html Text(string? text) => new(HtmlEncoder.Default.Encode(text ?? ""));

    public override string ToString() => _value ?? "";
}

/// <summary>The interpolation handler of <see cref="Html.Of"/>: literals as written, values encoded.</summary>
[InterpolatedStringHandler]
public ref struct HtmlHandler
{
    private readonly StringBuilder _builder;

    public HtmlHandler(int literalLength, int formattedCount) => _builder = new StringBuilder(literalLength + formattedCount * 16);

    public readonly void AppendLiteral(string literal) => _builder.Append(literal);

    public readonly void AppendFormatted(Html fragment) => _builder.Append(fragment.ToString());

    public readonly void AppendFormatted(IEnumerable<Html> fragments)
    {
        foreach (var f in fragments)
            _builder.Append(f.ToString());
    }

    public readonly void AppendFormatted<T>(T value)
    {
        // A fragment or a list of fragments that binds here (a List<Html>, an Html[]) is markup already: not encoded twice.
        if (value is Html fragment)
        {
            AppendFormatted(fragment);
            return;
        }
        if (value is IEnumerable<Html> fragments)
        {
            AppendFormatted(fragments);
            return;
        }
        _builder.Append(HtmlEncoder.Default.Encode(value switch
        {
            null => "",
            DateTimeOffset at => at.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture),
            IFormattable f => f.ToString(null, System.Globalization.CultureInfo.InvariantCulture),
            _ => value.ToString() ?? "",
        }));
    }

    public override readonly string ToString() => _builder.ToString();
}
