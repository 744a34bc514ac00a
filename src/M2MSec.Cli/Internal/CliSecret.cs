using System.CommandLine;
using System.CommandLine.Parsing;

namespace M2MSec.Cli.Internal;

/// <summary>
/// Every option that takes a secret (K, OP, OPc, KIc/KID keys, PSK, DM passwords, bootstrap key and PIN) reads it
/// through here, so it need not be on the command line (where `ps` and shell history show it). As OpenSSL's -passin:
/// <c>env:NAME</c> (an environment variable), <c>file:PATH</c> (the file's first line, its line end stripped),
/// <c>stdin</c> (one line from standard input; one option per command), <c>pass:VALUE</c> (a literal); anything else
/// is the value itself, as before. Errors name the option and never the secret: a variable that is not set, a missing
/// file or an empty stdin is exit 2; a file that cannot be read exit 4 (<see cref="CliInvocation.Failure"/>, which
/// ends the run before any other error or the command).
/// </summary>
internal static class CliSecret
{
    public const string Sources = "or env:NAME, file:PATH, stdin, pass:VALUE";

    /// <summary>A fixed-length secret octet string in hex.</summary>
    public static Option<byte[]> Hex(string name, int octets, string description) =>
        CliArgs.Expect(new Option<byte[]>(name)
        {
            Description = $"{description} ({octets * 2} hex digits, {Sources})",
            CustomParser = r => Resolve(r, name) is { } token ? CliArgs.ParseHex(r, token, name, octets, octets) : null,
        }, $"{octets * 2} hex digits ({octets} octets), {Sources}");

    /// <summary>A variable-length secret octet string in hex.</summary>
    public static Option<byte[]> HexRange(string name, int minOctets, int maxOctets, string description) =>
        CliArgs.Expect(new Option<byte[]>(name)
        {
            Description = $"{description} (hex, {Sources})",
            CustomParser = r => Resolve(r, name) is { } token ? CliArgs.ParseHex(r, token, name, minOctets, maxOctets) : null,
        }, $"{minOctets * 2} to {maxOctets * 2} hex digits, {Sources}");

    /// <summary>A secret text (a password, a PIN).</summary>
    public static Option<string> Text(string name, string description, string expected) =>
        CliArgs.Expect(new Option<string>(name)
        {
            Description = $"{description} ({Sources})",
            CustomParser = r => Resolve(r, name) ?? "",
        }, $"{expected}, {Sources}");

    /// <summary>The secret an option's token names, or null after recording the failure (which never shows the value).</summary>
    internal static string? Resolve(ArgumentResult r, string name)
    {
        var token = r.Tokens.Count == 1 ? r.Tokens[0].Value : "";
        var invocation = CliInvocation.Current;
        if (invocation.Secrets.TryGetValue(name, out var cached))
            return cached;
        try
        {
            var value = Read(invocation, name, token);
            invocation.Secrets[name] = value;
            return value;
        }
        catch (CliExitException e)
        {
            // Not an error of the parse: a command's validator that reads the option would throw on one. The run
            // stops on the failure before anything else (M2MSecCli.RunAsync).
            invocation.Failure ??= e;
            return null;
        }
    }

    private static string Read(CliInvocation invocation, string name, string token)
    {
        if (token.StartsWith("pass:", StringComparison.Ordinal))
            return token["pass:".Length..];
        if (token.StartsWith("env:", StringComparison.Ordinal))
        {
            var variable = token["env:".Length..];
            if (variable.Length == 0)
                throw CliExitException.Bad($"{name}: env: needs a variable name (env:NAME)");
            return CliDefaults.Env(variable)
                ?? throw CliExitException.Bad($"{name}: environment variable {variable} is not set");
        }
        if (token.StartsWith("file:", StringComparison.Ordinal))
        {
            var full = CliPaths.Check(name, token["file:".Length..], PathKind.ExistingFile);
            return CliPaths.Guard(name, full, () => FirstLine(File.OpenText(full)));
        }
        if (token == "stdin")
        {
            if (invocation.StdinReadBy is { } other)
                throw CliExitException.Bad($"{name}: standard input was already read for {other}; use env: or file: for one of them");
            invocation.StdinReadBy = name;
            return invocation.Input.ReadLine() ?? throw CliExitException.Bad($"{name}: standard input holds no line");
        }
        return token;
    }

    private static string FirstLine(StreamReader reader)
    {
        using (reader)
            return reader.ReadLine() ?? "";
    }
}
