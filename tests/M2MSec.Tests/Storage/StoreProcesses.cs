using System.Diagnostics;

namespace M2MSec.Tests.Storage;

/// <summary>Runs M2MSec.StoreProbe (a separate process) against a store.</summary>
internal static class StoreProcesses
{
    public static Process Start(IEnumerable<string> args, bool redirectInput = false)
    {
        var psi = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = redirectInput,
            UseShellExecute = false,
        };
        psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "M2MSec.StoreProbe.dll"));
        foreach (var a in args)
            psi.ArgumentList.Add(a);
        return Process.Start(psi)!;
    }

    /// <summary>Reads stdout lines until the process ends (or <paramref name="stopAfter"/> lines, then SIGKILL).</summary>
    public static async Task<List<string>> ReadLinesAsync(Process p, int? stopAfter = null, TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromMinutes(5));
        var lines = new List<string>();
        var stderr = p.StandardError.ReadToEndAsync(cts.Token);
        while (await p.StandardOutput.ReadLineAsync(cts.Token) is { } line)
        {
            lines.Add(line);
            if (stopAfter is { } n && lines.Count >= n)
            {
                p.Kill(entireProcessTree: true); // SIGKILL: no clean-up runs in the probe
                // What it had already written is still in the pipe: read it too.
                while (await p.StandardOutput.ReadLineAsync(cts.Token) is { } more)
                    lines.Add(more);
                break;
            }
        }
        await p.WaitForExitAsync(cts.Token);
        if (stopAfter is null)
            Assert.True(p.ExitCode == 0, $"probe exited {p.ExitCode}: {await stderr}");
        return lines;
    }
}
