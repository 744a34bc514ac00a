namespace M2MSec.Cli.Internal;

/// <summary>
/// What one run of the CLI shares between parsing and the command (<see cref="M2MSecCli.RunAsync(string[], TextReader?, TextWriter?, TextWriter?, CancellationToken)"/> sets it; runs in
/// parallel, as in the tests, each see their own): standard input, the secrets read so far (so `stdin` is read once),
/// and the first failure that is not a plain bad argument.
/// </summary>
internal sealed class CliInvocation(TextReader input)
{
    private static readonly AsyncLocal<CliInvocation?> Ambient = new();

    public static CliInvocation Current => Ambient.Value ??= new CliInvocation(Console.In);

    public static void Begin(TextReader input) => Ambient.Value = new CliInvocation(input);

    public TextReader Input { get; } = input;

    /// <summary>Secrets already resolved, by option name (<see cref="CliSecret"/>).</summary>
    public Dictionary<string, string> Secrets { get; } = new(StringComparer.Ordinal);

    /// <summary>The option that read standard input, if one did.</summary>
    public string? StdinReadBy { get; set; }

    /// <summary>A failure found while parsing that carries its own exit code (e.g. 4 for a secret file that cannot be read).</summary>
    public CliExitException? Failure { get; set; }
}
