using System.CommandLine;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace M2MSec.Cli.Internal;

/// <summary>Writes command results: one JSON object with --json, aligned "name: value" lines otherwise.</summary>
internal static class CliOutput
{
    private static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = false,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public static void Write(ParseResult parseResult, bool json, IReadOnlyList<KeyValuePair<string, object?>> fields) =>
        Write(parseResult.InvocationConfiguration.Output, json, fields);

    public static void Write(TextWriter output, bool json, IReadOnlyList<KeyValuePair<string, object?>> fields)
    {
        if (json)
        {
            output.WriteLine(JsonSerializer.Serialize(fields.ToDictionary(f => f.Key, f => f.Value), Json));
            return;
        }
        WriteLines(output, fields, "");
    }

    /// <summary>Aligned "name  value" lines; a nested object (e.g. one backend's measurements) is its name, then its own lines indented.</summary>
    private static void WriteLines(TextWriter output, IEnumerable<KeyValuePair<string, object?>> fields, string indent)
    {
        var list = fields.ToList();
        if (list.Count == 0)
            return;
        var width = list.Max(f => f.Key.Length);
        foreach (var (key, value) in list)
        {
            if (value is IEnumerable<KeyValuePair<string, object?>> nested)
            {
                output.WriteLine($"{indent}{key}");
                WriteLines(output, nested, indent + "  ");
            }
            else
            {
                output.WriteLine($"{indent}{key.PadRight(width)}  {Text(value)}".TrimEnd());
            }
        }
    }

    private static string? Text(object? value) => value switch
    {
        string s => s,
        System.Collections.IEnumerable items => string.Join(", ", items.Cast<object?>()),
        _ => value?.ToString(),
    };

    public static void Error(ParseResult parseResult, string line) =>
        parseResult.InvocationConfiguration.Error.WriteLine(line);

    /// <summary>
    /// An enum value as help, text and JSON show choices and states (issue 14 item 4): lower-case words joined by
    /// hyphens, e.g. SealedStoreIntegrity → sealed-store-integrity, PorOk → por-ok.
    /// </summary>
    public static string Name<T>(T value)
        where T : struct, Enum => Kebab(value.ToString());

    internal static string Kebab(string name)
    {
        var text = new System.Text.StringBuilder(name.Length + 4);
        for (var i = 0; i < name.Length; i++)
        {
            if (char.IsUpper(name[i]) && i > 0 && (char.IsLower(name[i - 1]) || (i + 1 < name.Length && char.IsLower(name[i + 1]) && char.IsUpper(name[i - 1]))))
                text.Append('-');
            text.Append(char.ToLowerInvariant(name[i]));
        }
        return text.ToString();
    }

    public static string Hex(ReadOnlySpan<byte> value) => Convert.ToHexStringLower(value);
}
