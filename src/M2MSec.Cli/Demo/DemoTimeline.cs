using System.Collections.Concurrent;

namespace M2MSec.Cli.Demo;

/// <summary>
/// Issue 19 (docs/decisions/034-fleet-bound.md): when the run's phases ended and when each device left the flow, so that the demo
/// measures its own fixed cost. The marginal cost per device is the steady-state time between two devices leaving the flow — the
/// span from the ⌈n/10⌉-th to the ⌈9n/10⌉-th departure over the departures between them; the fixed cost is the wall time minus n
/// times that: start-up, set-up, the ramp-up before the first device leaves and the drain after the last ones (waits, polls,
/// back-offs) — what a bigger fleet would not pay again.
/// </summary>
internal sealed class DemoTimeline(TimeProvider time)
{
    private readonly long _started = time.GetTimestamp();
    private readonly ConcurrentQueue<long> _left = new();
    private long _functionsReady;
    private long _setUp;
    private long _ended;

    /// <summary>The network functions answer.</summary>
    public void FunctionsReady() => _functionsReady = time.GetTimestamp();

    /// <summary>The fleet is manufactured in memory and the SHOs have their IMSI blocks: the devices start.</summary>
    public void SetUp() => _setUp = time.GetTimestamp();

    /// <summary>A device left the flow (completed or failed).</summary>
    public void DeviceLeft() => _left.Enqueue(time.GetTimestamp());

    /// <summary>The last device left.</summary>
    public void Ended() => _ended = time.GetTimestamp();

    public TimeSpan Wall => Since(_ended);

    private TimeSpan Since(long at) => at == 0 ? TimeSpan.Zero : time.GetElapsedTime(_started, at);

    /// <summary>The profile of the run (seconds, rounded to the millisecond).</summary>
    public DemoProfile Profile()
    {
        var left = _left.Select(Since).Order().ToArray();
        var n = left.Length;
        var wall = Wall.TotalSeconds;
        double marginal = 0;
        if (n >= 2)
        {
            var (from, to) = SteadyState(n);
            marginal = (left[to - 1] - left[from - 1]).TotalSeconds / (to - from);
        }
        var start = Since(_functionsReady).TotalSeconds;
        var setUp = Since(_setUp).TotalSeconds;
        return new DemoProfile(
            Round(start),
            Round(setUp - start),
            Round(n > 0 ? left[0].TotalSeconds - setUp : 0),
            Round(n > 0 ? wall - left[^1].TotalSeconds : 0),
            Round(wall - setUp),
            Math.Round(marginal, 5),
            Round(wall - n * marginal));
    }

    /// <summary>The departures (1-based) whose span measures the marginal cost: the ⌈n/10⌉-th to the ⌈9n/10⌉-th (at least two apart from one).</summary>
    internal static (int From, int To) SteadyState(int n)
    {
        var from = Math.Max(1, (n + 9) / 10);
        return (from, Math.Min(n, Math.Max(from + 1, (9 * n + 9) / 10)));
    }

    private static double Round(double seconds) => Math.Round(seconds, 3);
}

/// <summary>
/// Where the run's wall time went (issue 19): <c>start_s</c> the functions' start, <c>setup_s</c> the fleet made and the IMSI blocks given,
/// <c>first_device_s</c> from there to the first device leaving the flow, <c>after_last_device_s</c> from the last device to the end,
/// <c>devices_s</c> the devices' phase, <c>marginal_s_per_device</c> the steady-state time per device, <c>fixed_cost_s</c> wall − n × marginal.
/// </summary>
internal sealed record DemoProfile(double StartS, double SetupS, double FirstDeviceS, double AfterLastDeviceS, double DevicesS, double MarginalSPerDevice, double FixedCostS);
