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
        var width = fields.Max(f => f.Key.Length);
        foreach (var (key, value) in fields)
            output.WriteLine($"{key.PadRight(width)}  {Text(value)}");
    }

    private static string? Text(object? value) => value switch
    {
        string s => s,
        System.Collections.IEnumerable items => string.Join(", ", items.Cast<object?>()),
        _ => value?.ToString(),
    };

    public static void Error(ParseResult parseResult, string line) =>
        parseResult.InvocationConfiguration.Error.WriteLine(line);

    public static string Hex(ReadOnlySpan<byte> value) => Convert.ToHexStringLower(value);
}
