using System.CommandLine;
using M2MSec.Cli.Demo;
using M2MSec.Cli.Internal;
using Spectre.Console;

namespace M2MSec.Cli.Commands;

/// <summary>
/// `m2msec demo [--devices N] [--data DIR] [--concurrency N] [--stage-costs] [--json] [--report FILE]`: the end-to-end run; exit 3 if
/// some devices did not finish. With --json the report is all that goes to standard output (progress goes to standard error).
/// </summary>
internal static class DemoCommand
{
    /// <summary>Tables and progress lines are laid out for this width when the output is not a terminal.</summary>
    public const int RedirectedWidth = 80;

    public static Command Create()
    {
        var command = new Command("demo", "Run the end-to-end demo: network functions on loopback and a fleet of simulated devices");
        var devices = CliArgs.Int("--devices", "number of simulated devices", 1, 100_000, 200);
        var data = CliArgs.Directory("--data", "data directory (default: a new directory under the temp folder)");
        var concurrency = CliArgs.Int("--concurrency", "devices in flight at once", 1, 4096, 64);
        var json = CliArgs.Flag("--json", "print the report as JSON (devices, completed, failures, stages, peak_memory_mb); progress goes to stderr");
        var report = CliArgs.OutputFile("--report", "also write the JSON report to this file");
        var stageCosts = CliArgs.Flag("--stage-costs",
            "measure each stage's cost per device (CPU, wall time, operations, requests by route): one device at a time, the first third of the fleet as warm-up");
        command.Options.Add(devices);
        command.Options.Add(data);
        command.Options.Add(concurrency);
        command.Options.Add(json);
        command.Options.Add(report);
        command.Options.Add(stageCosts);
        command.SetAction(async (r, ct) =>
        {
            // Issue 19: a stage's cost is attributable only while its device is the one in flight.
            var costs = r.GetValue(stageCosts);
            if (costs && r.GetResult(concurrency) is { Implicit: false } && r.GetValue(concurrency) != 1)
                throw CliExitException.Bad("--stage-costs measures one device at a time: leave out --concurrency (or give 1)");
            var dir = r.GetValue(data) ?? Path.Combine(Path.GetTempPath(), $"m2msec-demo-{DateTimeOffset.UtcNow:yyyyMMdd-HHmmss}-{Environment.ProcessId}");
            var asJson = r.GetValue(json);
            // With --json, standard output carries the report alone; people read progress on standard error.
            var console = Console(asJson ? r.InvocationConfiguration.Error : r.InvocationConfiguration.Output, asJson ? System.Console.Error : System.Console.Out,
                asJson ? System.Console.IsErrorRedirected : System.Console.IsOutputRedirected);
            var full = CliPaths.Check("--data", dir, PathKind.Directory);
            DemoEnvironment.PrepareLocations(full, r.InvocationConfiguration.Error);
            var runner = new DemoRunner(console, new DemoOptions(r.GetValue(devices), full, costs ? 1 : r.GetValue(concurrency), costs));
            // Ctrl-C and SIGTERM stop the fleet (the functions' own hosts would swallow them): exit 3, what the devices did stays in --data.
            var code = await CliSignals.RunAsync("demo", r.InvocationConfiguration.Error, ct, runner.RunAsync,
                () => $"after {runner.Report.Completed + runner.Report.Failed} of {r.GetValue(devices)} devices; their state is in {full}");
            if (runner.Summary is null)
                return code;
            var summary = runner.Summary;
            if (asJson)
                await r.InvocationConfiguration.Output.WriteLineAsync(summary.ToJson());
            else
                runner.Render();
            DemoNextSteps.Write(asJson ? r.InvocationConfiguration.Error : r.InvocationConfiguration.Output, full);
            if (r.GetValue(report) is { } file)
            {
                var reportPath = CliPaths.FullPath("--report", file);
                await CliPaths.GuardAsync("--report", reportPath, () => File.WriteAllTextAsync(reportPath, summary.ToJson() + Environment.NewLine, ct));
            }
            return code;
        });
        return command;
    }

    /// <summary>A live console on a terminal; otherwise plain text, no colours, a fixed width.</summary>
    private static IAnsiConsole Console(TextWriter writer, TextWriter processWriter, bool redirected)
    {
        var terminal = ReferenceEquals(writer, processWriter) && !redirected;
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(writer),
            Ansi = terminal ? AnsiSupport.Detect : AnsiSupport.No,
            ColorSystem = terminal ? ColorSystemSupport.Detect : ColorSystemSupport.NoColors,
            Interactive = terminal ? InteractionSupport.Detect : InteractionSupport.No,
        });
        if (!terminal)
            console.Profile.Width = RedirectedWidth;
        return console;
    }
}
