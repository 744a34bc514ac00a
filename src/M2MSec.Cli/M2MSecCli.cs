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
        root.Subcommands.Add(KekCommand.Create());
        root.Subcommands.Add(KekCommand.CreateStore());
        root.Subcommands.Add(AuditCommand.Create());
        root.Subcommands.Add(BenchCommand.Create());
        return root;
    }

    public static async Task<int> RunAsync(string[] args, TextWriter? output = null, TextWriter? error = null, CancellationToken cancellationToken = default)
    {
        var config = new InvocationConfiguration
        {
            Output = output ?? Console.Out,
            Error = error ?? Console.Error,
            EnableDefaultExceptionHandler = false,
        };
        var parse = Build().Parse(args);
        if (parse.Errors.Count > 0)
        {
            // One line: the most specific error (an unknown word beats "command missing").
            var first = parse.Errors.FirstOrDefault(e => parse.UnmatchedTokens.Any(t => e.Message.Contains(t, StringComparison.Ordinal)))
                ?? parse.Errors[0];
            var hint = parse.UnmatchedTokens.Count > 0 || parse.CommandResult.Command.Subcommands.Count > 0 ? " (m2msec --help lists the commands)" : "";
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
        catch (Exception e)
        {
            // A fault of ours, not of the input: as System.CommandLine's default handler did (the trace, exit 1).
            if (e is not OperationCanceledException)
                config.Error.WriteLine("Unhandled exception: " + e);
            return ExitCodes.SecurityRefused;
        }
    }
}
