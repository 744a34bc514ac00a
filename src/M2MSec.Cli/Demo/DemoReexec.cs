using System.Collections;
using System.Runtime.InteropServices;

namespace M2MSec.Cli.Demo;

/// <summary>
/// Issue 19 (docs/decisions/054-the-demo-without-tiered-pgo.md): <c>m2msec demo</c> runs without the runtime's dynamic PGO, which pays an
/// instrumented tier for every hot method and earns it back only in a run far longer than a demo (decision 040 keeps it for
/// <c>serve</c>). The runtime reads the setting from the environment at its start only, so the process replaces itself once, before
/// anything else runs: <c>execve</c> of its own executable and command line with <c>DOTNET_TieredPGO=0</c> — the same process id,
/// standard streams, signals, exit code and name, no child to relay. A setting the user made (<c>DOTNET_TieredPGO</c>, <c>COMPlus_TieredPGO</c>)
/// is kept; anywhere <c>/proc/self</c> or <c>execve</c> is missing the demo simply runs as it is.
/// </summary>
internal static class DemoReexec
{
    /// <summary>Set in the replaced process: it never replaces itself again, and the run's JSON says why PGO is off.</summary>
    public const string Marker = "M2MSEC_DEMO_REEXEC";

    /// <summary>Replaces the process when <paramref name="args"/> run the demo and nothing above says otherwise; returns only when it did not.</summary>
    public static void ReplaceForDemo(string[] args)
    {
        if (!OperatingSystem.IsLinux() || !ShouldReplace(args, System.Environment.GetEnvironmentVariables()))
            return;
        string[] argv;
        try
        {
            argv = CommandLine(File.ReadAllBytes("/proc/self/cmdline"));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return;
        }
        if (argv.Length == 0)
            return;
        var env = EnvironmentFor(System.Environment.GetEnvironmentVariables(), stageCosts: args.Contains(StageCostsOption));
        var argvPointers = ToPointers(argv);
        var envPointers = ToPointers(env);
        try
        {
            RemoveDiagnosticsSockets(Path.GetTempPath(), System.Environment.ProcessId);
            Execve(ExecutablePath(System.Environment.ProcessPath), argvPointers, envPointers); // returns only on failure: the demo runs here, as it is
        }
        finally
        {
            foreach (var p in argvPointers.Concat(envPointers))
                Marshal.FreeCoTaskMem(p);
        }
    }

    /// <summary>
    /// The runtime's diagnostics port (what <c>dotnet-trace</c>, <c>dotnet-counters</c> and <c>dotnet-dump</c> connect to) is a Unix socket
    /// in the temporary directory named after the process id and its start time, which <c>execve</c> keeps: the file of the runtime being
    /// replaced stayed behind, the new runtime could not bind the same name and ran without a port ("Connection refused" — the demo could
    /// not be traced, issue 19). Removing this process's own just before <c>execve</c> lets the new runtime bind it. Returns how many went.
    /// </summary>
    internal static int RemoveDiagnosticsSockets(string directory, int processId)
    {
        var removed = 0;
        try
        {
            // "-" after the id: process 12 never matches process 123's socket.
            foreach (var path in Directory.EnumerateFiles(directory, $"dotnet-diagnostic-{processId}-*-socket"))
            {
                File.Delete(path);
                removed++;
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Left as it is: the demo runs, only without a diagnostics port.
        }
        return removed;
    }

    /// <summary>The runtime's variables for tiered PGO, the current name first.</summary>
    internal static readonly string[] PgoVariables = ["DOTNET_TieredPGO", "COMPlus_TieredPGO"];

    /// <summary>The demo's command (first argument <c>demo</c>), not replaced before, and no PGO setting of the user's.</summary>
    internal static bool ShouldReplace(string[] args, IDictionary environment) =>
        args.Length > 0 && args[0] == "demo" && !environment.Contains(Marker) && !PgoVariables.Any(environment.Contains);

    /// <summary>
    /// The executable by its own path, so that the replaced process keeps its name (<c>ps</c>, <c>pgrep m2msec</c>, <c>top</c>: the kernel
    /// names a process after the file it executes, and <c>/proc/self/exe</c> would make it "exe"); <c>/proc/self/exe</c> when that path
    /// is unknown or no longer a file.
    /// </summary>
    internal static string ExecutablePath(string? processPath) =>
        processPath is { Length: > 0 } && File.Exists(processPath) ? processPath : "/proc/self/exe";

    /// <summary>The arguments of <c>/proc/self/cmdline</c>: each ends with a NUL.</summary>
    internal static string[] CommandLine(byte[] cmdline)
    {
        var text = System.Text.Encoding.UTF8.GetString(cmdline);
        if (text.EndsWith('\0'))
            text = text[..^1];
        return text.Length == 0 ? [] : text.Split('\0');
    }

    /// <summary>The demo's option that measures each stage one device at a time.</summary>
    internal const string StageCostsOption = "--stage-costs";

    /// <summary>The runtime's variable for how long an idle thread-pool worker spins before it sleeps.</summary>
    internal const string SpinLimitVariable = "DOTNET_ThreadPool_UnfairSemaphoreSpinLimit";

    /// <summary>
    /// This environment, with tiered PGO off and the marker set. With <paramref name="stageCosts"/> the pool's idle workers also do not
    /// spin (unless the user set it): one device at a time leaves them idle after every request, and their spinning was a tenth to a fifth
    /// of the CPU the stages were charged (90.5 against 101.9 and 86.3 against 108.8 ms per device, the wall time unchanged).
    /// </summary>
    internal static string[] EnvironmentFor(IDictionary environment, bool stageCosts = false) =>
        [
            .. environment.Cast<DictionaryEntry>().Select(e => $"{e.Key}={e.Value}"), PgoVariables[0] + "=0", Marker + "=tiered-pgo-off",
            .. stageCosts && !environment.Contains(SpinLimitVariable) ? [SpinLimitVariable + "=0"] : Array.Empty<string>(),
        ];

    /// <summary>NUL-terminated UTF-8 strings, then a null pointer, as <c>execve</c> takes them.</summary>
    private static IntPtr[] ToPointers(string[] strings) => [.. strings.Select(Marshal.StringToCoTaskMemUTF8), IntPtr.Zero];

    [DllImport("libc", EntryPoint = "execve", SetLastError = true)]
    private static extern int Execve([MarshalAs(UnmanagedType.LPUTF8Str)] string path, IntPtr[] argv, IntPtr[] envp);
}
