using System.Runtime;

namespace M2MSec.Cli.Demo;

/// <summary>
/// Issue 19 (docs/decisions/050-server-gc.md): the runtime's side of the run, so that a figure says what produced it — the collector
/// (<c>gc</c>: <c>server</c> or <c>workstation</c>, as the runtimeconfig or <c>DOTNET_gcServer</c> chose; <c>gc_concurrent</c>), the
/// collections by generation, the time the collector paused the process, the bytes allocated in all and per completed device; the
/// methods the JIT compiled and its time on all threads (ReadyToRun code, then each hot method's tiers: what a short run pays and a
/// long one amortises) — all from the process's start to the last device (the functions' start included, the calibration not); whether
/// the runtime's dynamic PGO ran (<c>tiered_pgo</c>: off for the demo unless the user set it, docs/decisions/054).
/// </summary>
internal sealed record DemoRuntime(string Gc, bool GcConcurrent, DemoGcCollections GcCollections, double GcPauseS, long AllocatedBytes, long AllocatedBytesPerDevice,
    long JitMethods, double JitS, bool TieredPgo)
{
    /// <summary>This process's figures now, <paramref name="completed"/> devices done.</summary>
    public static DemoRuntime Now(int completed)
    {
        var allocated = GC.GetTotalAllocatedBytes();
        return new(
            GCSettings.IsServerGC ? "server" : "workstation",
            GCSettings.LatencyMode != GCLatencyMode.Batch,
            new DemoGcCollections(GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2)),
            Math.Round(GC.GetTotalPauseDuration().TotalSeconds, 3),
            allocated,
            completed > 0 ? allocated / completed : 0,
            JitInfo.GetCompiledMethodCount(),
            Math.Round(JitInfo.GetCompilationTime().TotalSeconds, 3),
            TieredPgoOn());
    }

    /// <summary>
    /// The runtime's tiered PGO as the process started with it: the environment's setting, else the runtimeconfig's
    /// (<c>System.Runtime.TieredPGO</c>; the test host turns it off, decision 060), else on (.NET's default).
    /// </summary>
    private static bool TieredPgoOn()
    {
        var setting = DemoReexec.PgoVariables.Select(Environment.GetEnvironmentVariable).FirstOrDefault(v => v is not null);
        if (setting is not null)
            return setting.Trim() != "0";
        return !AppContext.TryGetSwitch("System.Runtime.TieredPGO", out var on) || on;
    }
}

/// <summary>Collections by generation (a gen-1 collection also counts as gen 0, as <see cref="GC.CollectionCount"/> counts them).</summary>
internal sealed record DemoGcCollections(int Gen0, int Gen1, int Gen2);
