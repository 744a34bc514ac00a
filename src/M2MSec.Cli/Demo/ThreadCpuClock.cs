using System.Globalization;

namespace M2MSec.Cli.Demo;

/// <summary>
/// The calling thread's time on a CPU (Linux: the first field of <c>/proc/thread-self/schedstat</c>, nanoseconds, user and kernel, brought
/// up to date at the scheduler's ticks — a reading may be a few milliseconds old, ≈ 1 % of a calibration round),
/// for the fleet calibration (issue 19): a loop's own CPU time leaves out what other threads — the JIT's tiered-compilation thread
/// draining the demo's backlog, another process on the shared VM — took from the cores meanwhile.
/// </summary>
internal static class ThreadCpuClock
{
    private const string SchedStat = "/proc/thread-self/schedstat";

    /// <summary>Whether this system has the clock; without it the calibration counts the process's CPU time.</summary>
    public static bool IsSupported { get; } = OperatingSystem.IsLinux() && Read() is not null;

    /// <summary>The calling thread's CPU time so far; null where the clock is missing or unreadable.</summary>
    public static TimeSpan? Now() => IsSupported ? Read() : null;

    private static TimeSpan? Read()
    {
        try
        {
            var text = File.ReadAllText(SchedStat);
            var end = text.IndexOf(' ', StringComparison.Ordinal);
            return end > 0 && long.TryParse(text.AsSpan(0, end), NumberStyles.None, CultureInfo.InvariantCulture, out var ns)
                ? TimeSpan.FromTicks(ns / 100)
                : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
