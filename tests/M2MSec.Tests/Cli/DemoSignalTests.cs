using System.Diagnostics;
using System.Globalization;
using M2MSec.Cli.Demo;
using M2MSec.Tests.Support;

namespace M2MSec.Tests.Cli;

/// <summary>
/// `m2msec demo` stopped by a signal, as a user's Ctrl-C or a supervisor's SIGTERM stops it: the seventeen network functions' hosts
/// in the demo's process listen for both signals too and cancelled them, so the demo ran on to its last device (a 10,000-device run:
/// ten minutes) and exited 0 (internal/CliSignals). Run by its own executable, as `dotnet run` and an installed build start it: the
/// process that replaced itself for the demo (decision 054) keeps its name — it was "exe", which `pgrep m2msec`, `pkill m2msec` and
/// `top` do not find.
/// </summary>
[LongRunning(34)]
public sealed class DemoSignalTests
{
    [Theory]
    [InlineData("TERM", "SIGTERM")]
    [InlineData("INT", "SIGINT")]
    public async Task Demo_StopSignalMidFleet_StopsWithinSeconds_Exit3_StateKept_DefeatsSwallowedStopSignal(string signal, string name)
    {
        var ct = TestContext.Current.CancellationToken;
        var home = Directory.CreateTempSubdirectory("m2msec-demo-signal-").FullName;
        var data = Path.Combine(home, "demo");
        // As from a terminal: a job started in the background of a script (CI) inherits SIGINT ignored, and the runtime leaves an
        // ignored SIGINT ignored, as a background job should; `env` puts the default back before it executes the demo (same process).
        var psi = new ProcessStartInfo("env") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { "--default-signal=INT", Path.Combine(AppContext.BaseDirectory, "m2msec"), "demo", "--devices", "300", "--data", data })
            psi.ArgumentList.Add(a);
        TestHome.UseFresh(psi, home); // the per-user key ring and fuse directory are made under it, not in the tester's home
        using var p = Process.Start(psi)!;
        var error = p.StandardError.ReadToEndAsync(ct);
        try
        {
            // Non-interactive progress: a line per stage at every tenth of the fleet; the first means the devices are running.
            string? line;
            while ((line = await p.StandardOutput.ReadLineAsync(ct)) is not null && !line.Contains("/300 (", StringComparison.Ordinal))
            {
            }
            Assert.NotNull(line);
            Assert.Contains(DemoReexec.Marker + "=", await File.ReadAllTextAsync($"/proc/{p.Id}/environ", ct), StringComparison.Ordinal);
            Assert.Equal("m2msec", (await File.ReadAllTextAsync($"/proc/{p.Id}/comm", ct)).TrimEnd('\n'));
            var signalled = Stopwatch.StartNew();
            using (var kill = Process.Start("kill", [$"-{signal}", p.Id.ToString(CultureInfo.InvariantCulture)]))
                await kill.WaitForExitAsync(ct);
            var rest = p.StandardOutput.ReadToEndAsync(ct);
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(TimeSpan.FromSeconds(60));
            await p.WaitForExitAsync(timeout.Token);
            var said = await error;
            Assert.True(p.ExitCode == 3, $"exit {p.ExitCode}: {said}");
            // The last line (the first run under a fresh HOME also says where it made the key ring).
            Assert.Matches($@"^demo: stopped by {name} after \d+ of 300 devices; their state is in {System.Text.RegularExpressions.Regex.Escape(data)}$",
                said.TrimEnd().Split('\n')[^1]);
            Assert.DoesNotContain("300/300", await rest, StringComparison.Ordinal);
            Assert.True(signalled.Elapsed < TimeSpan.FromSeconds(30), $"stopped {signalled.Elapsed} after the signal");
            Assert.True(Directory.Exists(Path.Combine(data, "devices")), "the devices' state is kept");
        }
        finally
        {
            if (!p.HasExited)
                p.Kill(true);
            Directory.Delete(home, true);
        }
    }
}
