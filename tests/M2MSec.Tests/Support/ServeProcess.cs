using System.Diagnostics;
using System.Globalization;

namespace M2MSec.Tests.Support;

/// <summary>
/// `m2msec serve ROLE --data DIR --kek-file DIR.kek.json [ARGS]` as an operating-system process, as an operator starts it: a fresh
/// data directory and key ring under the temp folder, SIGINT at its default (a job started in the background of a script, as CI's,
/// inherits it ignored; `env` puts the default back before it executes the CLI, same process). Disposing kills a process still
/// running and removes the directory and the key ring.
/// </summary>
internal sealed class ServeProcess : IDisposable
{
    private ServeProcess(Process process, string directory)
    {
        Process = process;
        Directory = directory;
    }

    public Process Process { get; }

    public string Directory { get; }

    public static ServeProcess Start(string role, string prefix, params string[] args)
    {
        var dir = Path.Combine(Path.GetTempPath(), prefix + Guid.NewGuid().ToString("N"));
        TestKeyRing.CreateIn(Path.GetTempPath(), Path.GetFileName(dir) + ".kek.json");
        var psi = new ProcessStartInfo("env") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false }.WithoutTiering();
        foreach (var a in new[] { "--default-signal=INT", "dotnet", Path.Combine(AppContext.BaseDirectory, "m2msec.dll"), "serve", role, "--data", dir, "--kek-file", dir + ".kek.json" }.Concat(args))
            psi.ArgumentList.Add(a);
        return new ServeProcess(System.Diagnostics.Process.Start(psi)!, dir);
    }

    /// <summary>Sends SIGNAL (TERM, INT, …) with `kill`.</summary>
    public async Task SignalAsync(string signal, CancellationToken ct)
    {
        using var kill = System.Diagnostics.Process.Start("kill", [$"-{signal}", Process.Id.ToString(CultureInfo.InvariantCulture)]);
        await kill.WaitForExitAsync(ct);
    }

    public void Dispose()
    {
        if (!Process.HasExited)
            Process.Kill(true);
        Process.Dispose();
        if (System.IO.Directory.Exists(Directory))
            System.IO.Directory.Delete(Directory, true);
        File.Delete(Directory + ".kek.json");
        File.Delete(Directory + ".kek.stores.json");
    }
}
