using System.Text.Encodings.Web;
using System.Text.Json;

namespace M2MSec.Cli.Demo;

/// <summary>
/// One stage's row: devices that passed and failed it; its share of the run's wall time (device-seconds spent in the
/// stage over the devices in flight, so the rows add up to about the wall time); and passed devices per such second.
/// </summary>
internal sealed record DemoStageRow(string Name, int Completed, int Failed, double Seconds, double PerSecond)
{
    public static DemoStageRow Of(string name, int completed, int failed, TimeSpan elapsed)
    {
        var seconds = Math.Round(elapsed.TotalSeconds, 3);
        return new(name, completed, failed, seconds, elapsed > TimeSpan.Zero ? Math.Round(completed / elapsed.TotalSeconds, 1) : 0);
    }
}

/// <summary>
/// What <c>demo --json</c> prints and <c>demo --report FILE</c> writes: <c>devices</c>, <c>completed</c>,
/// <c>failures</c> (reason key → devices), <c>stages</c> (one row per stage, in order) and <c>peak_memory_mb</c>.
/// Later stages appear as further rows; the top-level fields stay as they are.
/// </summary>
internal sealed record DemoSummary(int Devices, int Completed, IReadOnlyDictionary<string, int> Failures, IReadOnlyList<DemoStageRow> Stages, double PeakMemoryMb)
{
    private static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        WriteIndented = true,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary>The failed devices (the sum over reasons).</summary>
    public int Failed => Failures.Values.Sum();

    public string ToJson() => JsonSerializer.Serialize(new Wire(Devices, Completed, Failures, Stages, PeakMemoryMb), Json);

    /// <summary>This process's peak working set, in MiB (one decimal).</summary>
    public static double PeakMemory()
    {
        using var self = System.Diagnostics.Process.GetCurrentProcess();
        return Math.Round(self.PeakWorkingSet64 / (1024.0 * 1024.0), 1);
    }

    /// <summary>Exactly the report's fields (no computed ones).</summary>
    private sealed record Wire(int Devices, int Completed, IReadOnlyDictionary<string, int> Failures, IReadOnlyList<DemoStageRow> Stages, double PeakMemoryMb);
}
