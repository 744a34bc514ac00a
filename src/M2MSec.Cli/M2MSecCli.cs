using System.CommandLine;
using M2MSec.Cli.Commands;
using M2MSec.Cli.Internal;

namespace M2MSec.Cli;

/// <summary>The `m2msec` command root. Parse errors exit 2 with one line on stderr.</summary>
public static class M2MSecCli
{
    public static RootCommand Build()
    {
        var root = new RootCommand("M2MSec: the 3GPP security architecture for machine-type communication");
        root.Subcommands.Add(DemoCommand.Create());
        root.Subcommands.Add(ServeCommand.Create());
        root.Subcommands.Add(AkaCommand.Create());
        root.Subcommands.Add(KdfCommand.Create());
        root.Subcommands.Add(OtaCommand.Create());
        root.Subcommands.Add(DeviceCommand.Create());
        root.Subcommands.Add(PkiCommand.Create());
        root.Subcommands.Add(DmCommand.Create());
        root.Subcommands.Add(HssCommand.Create());
        root.Subcommands.Add(ShoCommand.Create());
        root.Subcommands.Add(KekCommand.Create());
        root.Subcommands.Add(KekCommand.CreateStore());
        root.Subcommands.Add(AuditCommand.Create());
        root.Subcommands.Add(BenchCommand.Create());
        root.Subcommands.Add(CcifCommand.Create());
        root.Subcommands.Add(PvaCommand.Create());
        root.Subcommands.Add(TriggerCommand.Create());
        root.Subcommands.Add(GroupCommand.Create()); // issue 17
        root.Subcommands.Add(StatusCommand.Create()); // issue 20
        root.Subcommands.Add(GbaCommand.Create()); // issue 18
        GbaNafKeyCommand.AddTo(root); // issue 18: last, under `gba` wherever that is made
        root.Options.Add(Verbose);
        return root;
    }

    /// <summary>The global option that adds stack traces to unexpected errors.</summary>
    public static readonly Option<bool> Verbose = new("--verbose") { Description = "show the stack trace of an unexpected error", Recursive = true };

    public static Task<int> RunAsync(string[] args, TextWriter? output = null, TextWriter? error = null, CancellationToken cancellationToken = default) =>
        RunAsync(args, null, output, error, cancellationToken);

    /// <summary>Runs one command line; <paramref name="input"/> is what `stdin` secrets read (default: the console).</summary>
    public static Task<int> RunAsync(string[] args, TextReader? input, TextWriter? output, TextWriter? error, CancellationToken cancellationToken = default) =>
        RunAsync(Build(), args, input, output, error, cancellationToken);

    /// <summary>Runs <paramref name="args"/> against <paramref name="root"/> (tests add commands to <see cref="Build"/>'s).</summary>
    internal static async Task<int> RunAsync(RootCommand root, string[] args, TextReader? input, TextWriter? output, TextWriter? error, CancellationToken cancellationToken)
    {
        var config = new InvocationConfiguration
        {
            Output = output ?? Console.Out,
            Error = error ?? Console.Error,
            EnableDefaultExceptionHandler = false,
        };
        CliInvocation.Begin(input ?? Console.In);
        var invocation = CliInvocation.Current;
        var parse = root.Parse(args);
        // A secret that could not be read (CliSecret) ends the run first, with its own exit code (4 for an unreadable file).
        if (invocation.Failure is { } failure)
        {
            config.Error.WriteLine(failure.Message);
            return failure.ExitCode;
        }
        if (parse.Errors.Count > 0)
        {
            // One line: the most specific error (an unknown word beats "command missing").
            var first = parse.Errors.FirstOrDefault(e => parse.UnmatchedTokens.Any(t => e.Message.Contains(t, StringComparison.Ordinal)))
                ?? parse.Errors[0];
            var unknown = parse.UnmatchedTokens.FirstOrDefault(t => first.Message.Contains(t, StringComparison.Ordinal));
            var hint = unknown is not null && CliSuggest.Nearest(parse.CommandResult.Command, unknown) is { } near ? $" (did you mean {near}?)"
                : parse.UnmatchedTokens.Count > 0 || parse.CommandResult.Command.Subcommands.Count > 0 ? " (m2msec --help lists the commands)" : "";
            config.Error.WriteLine(first.Message + hint);
            return ExitCodes.BadArguments;
        }
        // Every path option is checked before any command runs, so a bad path creates nothing.
        if (CliPaths.CheckAll(parse) is { } refused)
        {
            config.Error.WriteLine(refused.Message);
            return refused.ExitCode;
        }
        try
        {
            return await parse.InvokeAsync(config, cancellationToken);
        }
        catch (CliExitException e)
        {
            config.Error.WriteLine(e.Message);
            return e.ExitCode;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return ExitCodes.SecurityRefused;
        }
        catch (Exception e)
        {
            // A fault of ours or of the environment, not of the input: one line (the trace with --verbose);
            // 4 when the environment failed (I/O, network), 1 otherwise (the command did not do what was asked).
            config.Error.WriteLine(parse.GetValue(Verbose) ? e.ToString() : $"error: {e.GetType().Name}: {FirstLine(e.Message)}");
            return e is IOException or System.Net.Sockets.SocketException or HttpRequestException or TimeoutException or TaskCanceledException ? ExitCodes.CouldNotRun : ExitCodes.SecurityRefused;
        }
    }

    private static string FirstLine(string message) =>
        message.Split('\n', 2)[0].TrimEnd('\r');
}
