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
/// <c>failures</c> (reason key → devices), <c>stages</c> (one row per stage, in order) and <c>peak_memory_mb</c>; issue 17 adds
/// <c>battery</c> (the fake-trigger flood, protected versus unprotected) and <c>groups</c> (the fleet group and its rekeying).
/// Later stages appear as further rows; the top-level fields stay as they are.
/// </summary>
internal sealed record DemoSummary(int Devices, int Completed, IReadOnlyDictionary<string, int> Failures, IReadOnlyList<DemoStageRow> Stages, double PeakMemoryMb)
{
    /// <summary>The run's wall time, functions started to last device done (issue 16).</summary>
    public double WallSeconds { get; init; }

    /// <summary>The process's peak working set in bytes (issue 16; <see cref="PeakMemoryMb"/> in MiB).</summary>
    public long PeakMemoryBytes { get; init; }

    /// <summary>
    /// The process's CPU time (user + system, every thread: the functions and the devices), in seconds (issue 16: on a shared
    /// machine the wall time depends on the other load; CPU seconds per device do not, and show whether the cost is linear).
    /// </summary>
    public double CpuSeconds { get; init; }

    /// <summary>Issue 17: the fake-trigger flood's battery cost per trigger, protected against unprotected (decision 026's assumptions); null without the stage.</summary>
    public DemoBattery? Battery { get; init; }

    /// <summary>Issue 17: the fleet group — members that read its message, rekeys, removed members refused; null without the stages.</summary>
    public DemoGroups? Groups { get; init; }

    /// <summary>Issue 18: devices that bootstrapped and opened PSK-TLS with the MTC server, by GBA variant (gba_me, gba_u).</summary>
    public IReadOnlyDictionary<string, int> Gba { get; init; } = new Dictionary<string, int>();

    /// <summary>Completed devices per second of wall time (issue 16: comparable between fleet sizes).</summary>
    public double DevicesPerSecond => WallSeconds > 0 ? Math.Round(Completed / WallSeconds, 2) : 0;

    /// <summary>Issue 19: where the wall time went and the fixed cost (docs/decisions/034-fleet-bound.md); null before the run ends.</summary>
    public DemoProfile? Profile { get; init; }

    /// <summary>Issue 19: the operations counted, their calibrated rates and the bound; null before the calibration.</summary>
    public DemoFleetBound? FleetBound { get; init; }

    /// <summary>Issue 19: <see cref="DevicesPerSecond"/> over the fleet bound's devices per second (target ≥ 0.5); 0 without a bound.</summary>
    public double RatioToFleetBound => FleetBound is { FleetBoundDevicesPerS: > 0 } b ? Math.Round(DevicesPerSecond / b.FleetBoundDevicesPerS, 3) : 0;

    /// <summary>Issue 19: the HTTP requests the functions answered from their start to the last device (every listener; 0 before the run ends).</summary>
    public long HttpRequests { get; init; }

    /// <summary>Issue 19 (decisions 050, 051): the collector, its collections and pauses, the bytes allocated, the JIT's work; null before the run ends.</summary>
    public DemoRuntime? Runtime { get; init; }

    /// <summary>Issue 19, `demo --stage-costs`: each stage's cost per device, measured one device at a time; null without the option.</summary>
    public IReadOnlyList<DemoStageCost>? StageCosts { get; init; }

    /// <summary>
    /// Issue 19: what one completed device cost the run — CPU seconds, HTTP requests answered, store writes (durable commits), TLS handshakes and device durable writes (records and file replacements)
    /// — the run's totals over <see cref="Completed"/> (start-up included: it is spread thinner in a bigger fleet); null without the fleet bound.
    /// </summary>
    public DemoPerDevice? PerDevice => FleetBound is null || Completed == 0 ? null : new DemoPerDevice(
        Math.Round(CpuSeconds / Completed, 4),
        Math.Round((double)HttpRequests / Completed, 2),
        Math.Round((double)FleetBound.Operations.GetValueOrDefault(DemoFleetBound.DurableCommit) / Completed, 2),
        Math.Round((double)FleetBound.Operations.GetValueOrDefault(DemoFleetBound.TlsHandshake) / Completed, 2),
        Math.Round((double)(FleetBound.Operations.GetValueOrDefault(DemoFleetBound.DeviceDurableWrite)
            + FleetBound.Operations.GetValueOrDefault(DemoFleetBound.DeviceFileReplacement)) / Completed, 2));

    private static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        WriteIndented = true,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary>The failed devices (the sum over reasons).</summary>
    public int Failed => Failures.Values.Sum();

    public string ToJson() => JsonSerializer.Serialize(new Wire(Devices, Completed, Failures, Stages, PeakMemoryMb, WallSeconds, DevicesPerSecond, PeakMemoryBytes, CpuSeconds,
        Battery, Groups, Gba, Profile?.FixedCostS, Profile?.MarginalSPerDevice, Profile, FleetBound?.Operations, FleetBound?.Rates, DevicesPerSecond,
        FleetBound?.SecondsBound, FleetBound?.FleetBoundDevicesPerS, RatioToFleetBound, HttpRequests, PerDevice, Runtime, StageCosts), Json);

    /// <summary>This process's peak working set, in MiB (one decimal).</summary>
    public static double PeakMemory() => Math.Round(PeakWorkingSetBytes() / (1024.0 * 1024.0), 1);

    /// <summary>This process's CPU time so far, in seconds.</summary>
    public static double ProcessCpuSeconds()
    {
        using var self = System.Diagnostics.Process.GetCurrentProcess();
        return Math.Round(self.TotalProcessorTime.TotalSeconds, 2);
    }

    /// <summary>This process's peak working set, in bytes (Linux: VmHWM).</summary>
    public static long PeakWorkingSetBytes()
    {
        using var self = System.Diagnostics.Process.GetCurrentProcess();
        return self.PeakWorkingSet64;
    }

    /// <summary>Exactly the report's fields.</summary>
    private sealed record Wire(int Devices, int Completed, IReadOnlyDictionary<string, int> Failures, IReadOnlyList<DemoStageRow> Stages, double PeakMemoryMb,
        double WallSeconds, double DevicesPerSecond, long PeakMemoryBytes, double CpuSeconds, DemoBattery? Battery, DemoGroups? Groups, IReadOnlyDictionary<string, int> Gba,
        double? FixedCostS, double? MarginalSPerDevice, DemoProfile? Profile, IReadOnlyDictionary<string, long>? Operations, IReadOnlyDictionary<string, double>? Rates,
        double DevicesPerS, double? FleetBoundSeconds, double? FleetBoundDevicesPerS, double RatioToFleetBound, long HttpRequests, DemoPerDevice? PerDevice,
        DemoRuntime? Runtime, IReadOnlyList<DemoStageCost>? StageCosts);
}

/// <summary>
/// Issue 19: one completed device's share of the run — <c>cpu_s</c>, <c>http_requests</c>, <c>store_writes</c> (the functions' durable commits),
/// <c>tls_handshakes</c>, <c>device_writes</c> (the devices' durable file writes).
/// </summary>
internal sealed record DemoPerDevice(double CpuS, double HttpRequests, double StoreWrites, double TlsHandshakes, double DeviceWrites);
