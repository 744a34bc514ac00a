using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using System.Runtime.CompilerServices;

namespace M2MSec.Cli.Internal;

/// <summary>
/// Option factories whose parse errors are one line naming the option and what it expects,
/// e.g. "--k: expected 32 hex digits (16 octets), got 30". Values are never echoed: they may be keys.
/// </summary>
internal static class CliArgs
{
    /// <summary>A fixed-length octet string in hex.</summary>
    public static Option<byte[]> Hex(string name, int octets, string description) =>
        Expect(new Option<byte[]>(name)
        {
            Description = $"{description} ({octets * 2} hex digits)",
            CustomParser = r => ParseHex(r, Token(r), name, octets, octets),
        }, $"{octets * 2} hex digits ({octets} octets)");

    /// <summary>A variable-length octet string in hex.</summary>
    public static Option<byte[]> HexRange(string name, int minOctets, int maxOctets, string description) =>
        Expect(new Option<byte[]>(name)
        {
            Description = $"{description} (hex)",
            CustomParser = r => ParseHex(r, Token(r), name, minOctets, maxOctets),
        }, $"{minOctets * 2} to {maxOctets * 2} hex digits");

    public static Option<string> Text(string name, string description, string expected = "a value") =>
        Expect(new Option<string>(name) { Description = description }, expected);

    /// <summary>An existing, readable file (checked before the command runs: missing or a directory is exit 2, unreadable exit 4).</summary>
    public static Option<string> ExistingFile(string name, string description) =>
        CliPaths.Register(Text(name, description, "a file path"), PathKind.ExistingFile);

    /// <summary>An existing directory (checked before the command runs).</summary>
    public static Option<string> ExistingDirectory(string name, string description) =>
        CliPaths.Register(Text(name, description, "a directory"), PathKind.ExistingDirectory);

    /// <summary>A file the command writes: not a directory, and its directory must exist (checked before the command runs).</summary>
    public static Option<string> OutputFile(string name, string description) =>
        CliPaths.Register(Text(name, description, "a file path"), PathKind.OutputFile);

    /// <summary>A file the command writes, or "-" for standard output (<see cref="CliPaths.WriteTextAsync"/>).</summary>
    public static Option<string> OutputFileOrStdout(string name, string description) =>
        CliPaths.Register(Text(name, $"{description}; - for standard output", "a file path or -"), PathKind.OutputFileOrStdout);

    /// <summary>
    /// A certificate serial in hex, also as OpenSSL prints it (4b:46:…), in any case: the command gets plain lower-case hex.
    /// </summary>
    public static Option<string> Serial(string name, string description) =>
        Expect(new Option<string>(name)
        {
            Description = $"{description} (hex; colons as OpenSSL prints them allowed)",
            CustomParser = r => Token(r).Replace(":", "", StringComparison.Ordinal).ToLowerInvariant(),
        }, "hex");

    /// <summary>A directory that exists or that the command may create: not a file, nor below one (checked before the command runs).</summary>
    public static Option<string> Directory(string name, string description) =>
        CliPaths.Register(Text(name, description, "a directory"), PathKind.Directory);

    /// <summary>An integer in a range; with a null <paramref name="defaultValue"/> help shows no default (the command decides, e.g. a profile's), and an absent option reads 0.</summary>
    public static Option<int> Int(string name, string description, int min, int max, int? defaultValue)
    {
        var option = new Option<int>(name)
        {
            Description = $"{description} ({min}..{max})", // help adds "[default: …]" when there is one
            CustomParser = r =>
            {
                var token = r.Tokens.Count == 1 ? r.Tokens[0].Value : "";
                if (int.TryParse(token, NumberStyles.None, CultureInfo.InvariantCulture, out var v) && v >= min && v <= max)
                    return v;
                r.AddError($"{name}: expected an integer from {min} to {max}, got '{token}'");
                return defaultValue ?? 0;
            },
        };
        if (defaultValue is { } value)
            option.DefaultValueFactory = _ => value;
        return option;
    }

    public static Option<bool> Flag(string name, string description) => new(name) { Description = description };

    /// <summary>The value of an optional octet-string option, or null when it was not given.</summary>
    public static byte[]? Optional(ParseResult result, Option<byte[]> option) =>
        result.GetResult(option) is null ? null : result.GetValue(option);

    /// <summary>One of an enum's values, lower-case on the command line.</summary>
    public static Option<T> Choice<T>(string name, string description, T? defaultValue = null)
        where T : struct, Enum
    {
        var names = string.Join(", ", Enum.GetValues<T>().Select(CliOutput.Name));
        // Help shows C# casing for an enum's placeholder and default (<Tre|Uicc>, [default: Tre]); ours are lower-case
        // (issue 14 item 4), so the default is ours to state and to apply (ChoiceValue).
        var option = new Option<T>(name)
        {
            Description = defaultValue is { } d ? $"{description} ({names}) [default: {CliOutput.Name(d)}]" : $"{description} ({names})",
            HelpName = string.Join("|", Enum.GetValues<T>().Select(CliOutput.Name)),
        };
        if (defaultValue is { } dv)
            ChoiceDefaults.AddOrUpdate(option, dv);
        option.Validators.Add(r =>
        {
            if (r.Tokens.Count == 1 && !Enum.TryParse<T>(r.Tokens[0].Value, ignoreCase: true, out _))
                r.AddError($"{name}: expected {names}, got '{r.Tokens[0].Value}'");
        });
        return Expect(option, names);
    }

    private static readonly ConditionalWeakTable<Option, object> ChoiceDefaults = [];

    /// <summary>The value of a <see cref="Choice{T}"/> option, or its default when it was not given.</summary>
    public static T ChoiceValue<T>(ParseResult result, Option<T> option)
        where T : struct, Enum =>
        result.GetResult(option) is null && ChoiceDefaults.TryGetValue(option, out var d) ? (T)d : result.GetValue(option);

    /// <summary>One of a fixed list of names (e.g. "ec-p256"), compared case-insensitively.</summary>
    public static Option<string> OneOf(string name, string description, IReadOnlyList<string> names, string? defaultValue = null)
    {
        var expected = string.Join(", ", names);
        var option = new Option<string>(name) { Description = $"{description} ({expected})" };
        if (defaultValue is not null)
            option.DefaultValueFactory = _ => defaultValue;
        option.Validators.Add(r =>
        {
            if (r.Tokens.Count == 1 && !names.Contains(r.Tokens[0].Value, StringComparer.OrdinalIgnoreCase))
                r.AddError($"{name}: expected {expected}, got '{r.Tokens[0].Value}'");
        });
        return Expect(option, expected);
    }

    /// <summary>
    /// Makes the options required, with our one-line message ("--k: required, expected …")
    /// instead of the library's.
    /// </summary>
    public static void Required(Command command, params Option[] options)
    {
        command.Validators.Add(result =>
        {
            foreach (var option in options)
                if (result.GetResult(option) is null)
                    result.AddError($"{option.Name}: required, expected {(Expected.TryGetValue(option, out var e) ? e : "a value")}");
        });
    }

    private static readonly ConditionalWeakTable<Option, string> Expected = [];

    internal static T Expect<T>(T option, string expected)
        where T : Option
    {
        Expected.AddOrUpdate(option, expected);
        return option;
    }

    /// <summary>
    /// An old name kept for existing scripts (issue 14 item 4): parsed and checked as the new option is, but hidden
    /// from help and suggestions. System.CommandLine cannot hide one alias of an option, so it is a second option
    /// read through <see cref="Either{T}"/>.
    /// </summary>
    public static T HiddenAlias<T>(T option)
        where T : Option
    {
        option.Hidden = true;
        return option;
    }

    /// <summary>The value of <paramref name="option"/>, or of its hidden old name when only that was given.</summary>
    public static T? Either<T>(ParseResult result, Option<T> option, Option<T> hidden) =>
        result.GetResult(option) is null && result.GetResult(hidden) is not null ? result.GetValue(hidden) : result.GetValue(option);

    /// <summary>Whether the option or its hidden old name was given.</summary>
    public static bool Given(ParseResult result, Option option, Option hidden) =>
        result.GetResult(option) is not null || result.GetResult(hidden) is not null;

    /// <summary>Required (unless <paramref name="required"/> is false), given by its name or its hidden old name, not both; errors name the new option.</summary>
    public static void RequiredEither(Command command, Option option, Option hidden, bool required = true)
    {
        command.Validators.Add(result =>
        {
            var given = result.GetResult(option) is not null;
            var old = result.GetResult(hidden) is not null;
            if (required && !given && !old)
                result.AddError($"{option.Name}: required, expected {(Expected.TryGetValue(option, out var e) ? e : "a value")}");
            else if (given && old)
                result.AddError($"{option.Name}: given twice (also as {hidden.Name})");
        });
    }

    /// <summary>Exactly one of two options.</summary>
    public static void ExactlyOne(Command command, Option a, Option b)
    {
        command.Validators.Add(result =>
        {
            if ((result.GetResult(a) is null) == (result.GetResult(b) is null))
                result.AddError($"{a.Name} | {b.Name}: expected exactly one of them");
        });
    }

    private static string Token(ArgumentResult r) => r.Tokens.Count == 1 ? r.Tokens[0].Value : "";

    /// <summary>Hex of <paramref name="min"/> to <paramref name="max"/> octets; an error names the option and the length, never the value.</summary>
    internal static byte[]? ParseHex(ArgumentResult r, string token, string name, int min, int max)
    {
        var expected = min == max ? $"{min * 2} hex digits ({min} octets)" : $"{min * 2} to {max * 2} hex digits";
        if (!token.All(Uri.IsHexDigit))
        {
            r.AddError($"{name}: expected {expected}, got {token.Length} characters that are not all hex digits");
            return null;
        }
        if (token.Length % 2 != 0 || token.Length < min * 2 || token.Length > max * 2)
        {
            r.AddError($"{name}: expected {expected}, got {token.Length}");
            return null;
        }
        return Convert.FromHexString(token);
    }
}
