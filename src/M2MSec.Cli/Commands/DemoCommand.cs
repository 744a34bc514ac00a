using System.CommandLine;
using M2MSec.Cli.Demo;
using M2MSec.Cli.Internal;
using Spectre.Console;

namespace M2MSec.Cli.Commands;

/// <summary>`m2msec demo [--devices N] [--data DIR]`: the end-to-end run; exit 3 if some devices did not finish.</summary>
internal static class DemoCommand
{
    public static Command Create()
    {
        var command = new Command("demo", "Run the end-to-end demo: network functions on loopback and a fleet of simulated devices");
        var devices = CliArgs.Int("--devices", "number of simulated devices", 1, 100_000, 200);
        var data = CliArgs.Directory("--data", "data directory (default: a new directory under the temp folder)");
        var concurrency = CliArgs.Int("--concurrency", "devices in flight at once", 1, 4096, 64);
        command.Options.Add(devices);
        command.Options.Add(data);
        command.Options.Add(concurrency);
        command.SetAction(async (r, ct) =>
        {
            var dir = r.GetValue(data) ?? Path.Combine(Path.GetTempPath(), $"m2msec-demo-{DateTimeOffset.UtcNow:yyyyMMdd-HHmmss}-{Environment.ProcessId}");
            var output = r.InvocationConfiguration.Output;
            var terminal = ReferenceEquals(output, Console.Out) && !Console.IsOutputRedirected;
            var console = AnsiConsole.Create(new AnsiConsoleSettings
            {
                Out = new AnsiConsoleOutput(output),
                Ansi = terminal ? AnsiSupport.Detect : AnsiSupport.No,
                ColorSystem = terminal ? ColorSystemSupport.Detect : ColorSystemSupport.NoColors,
                Interactive = terminal ? InteractionSupport.Detect : InteractionSupport.No,
            });
            var full = CliPaths.Check("--data", dir, PathKind.Directory);
            DemoEnvironment.PrepareLocations(full, r.InvocationConfiguration.Error);
            var runner = new DemoRunner(console, new DemoOptions(r.GetValue(devices), full, r.GetValue(concurrency)));
            var code = await runner.RunAsync(ct);
            DemoNextSteps.Write(output, full);
            return code;
        });
        return command;
    }
}
