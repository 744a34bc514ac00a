using System.Collections.Concurrent;

namespace M2MSec.Cli.Demo;

/// <summary>
/// Thread-safe tallies of a demo run: per-stage outcomes and times, failures by reason, and expected events.
/// Each stage registers its own row when it starts (<see cref="BeginStage"/>), so a new stage needs no change here.
/// </summary>
internal sealed class DemoReport
{
    private readonly ConcurrentDictionary<string, int> _events = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, int> _stageOk = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, int> _stageFailed = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, TimeSpan> _stageTime = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, int> _reasons = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<DemoDevice> _failures = new();
    private readonly List<string> _stages = [];
    private int _completed;

    public int Completed => _completed;

    /// <summary>Issue 17: the battery figures of the fake-trigger flood and the fleet group's outcome.</summary>
    public DemoFindings Findings { get; } = new();

    public int Failed => _failures.Count;

    public IEnumerable<DemoDevice> Failures => _failures;

    /// <summary>The stages in the order they ran.</summary>
    public IReadOnlyList<string> Stages
    {
        get
        {
            lock (_stages)
                return [.. _stages];
        }
    }

    /// <summary>Expected events (a forced resynchronisation, a verified PoR), by name.</summary>
    public IReadOnlyList<KeyValuePair<string, int>> Events => [.. _events.OrderBy(e => e.Key, StringComparer.Ordinal)];

    /// <summary>Failed devices by short reason key (<see cref="TransientFailure"/>), most frequent first.</summary>
    public IReadOnlyList<KeyValuePair<string, int>> FailureReasons =>
        [.. _reasons.OrderByDescending(r => r.Value).ThenBy(r => r.Key, StringComparer.Ordinal)];

    /// <summary>Counts an expected event such as a forced resynchronisation (not a failure).</summary>
    public void Event(string name) => _events.AddOrUpdate(name, 1, (_, n) => n + 1);

    public int EventCount(string name) => _events.GetValueOrDefault(name);

    /// <summary>Registers a stage's row (once; the first call fixes its place).</summary>
    public void BeginStage(string stage)
    {
        lock (_stages)
        {
            if (!_stages.Contains(stage))
                _stages.Add(stage);
        }
    }

    /// <summary>Adds to the stage's share of the wall time (a device's time in it over the devices in flight).</summary>
    public void StageTime(string stage, TimeSpan elapsed) => _stageTime.AddOrUpdate(stage, elapsed, (_, t) => t + elapsed);

    public void StageOk(string stage) => _stageOk.AddOrUpdate(stage, 1, (_, n) => n + 1);

    public void StageFailed(string stage) => _stageFailed.AddOrUpdate(stage, 1, (_, n) => n + 1);

    public int StageOkCount(string stage) => _stageOk.GetValueOrDefault(stage);

    public int StageFailedCount(string stage) => _stageFailed.GetValueOrDefault(stage);

    public TimeSpan StageElapsed(string stage) => _stageTime.GetValueOrDefault(stage);

    public void DeviceCompleted() => Interlocked.Increment(ref _completed);

    /// <summary>A device left the flow; <see cref="DemoDevice.FailureKey"/> says why in a few words.</summary>
    public void DeviceFailed(DemoDevice device)
    {
        ArgumentNullException.ThrowIfNull(device);
        _reasons.AddOrUpdate(device.FailureKey ?? "unknown", 1, (_, n) => n + 1);
        _failures.Enqueue(device);
    }

    /// <summary>The run as <c>demo --json</c> prints it.</summary>
    public DemoSummary Summary(int devices, double peakMemoryMb) => new(
        devices,
        Completed,
        FailureReasons.ToDictionary(r => r.Key, r => r.Value, StringComparer.Ordinal),
        [.. Stages.Select(s => DemoStageRow.Of(s, StageOkCount(s), StageFailedCount(s), StageElapsed(s)))],
        peakMemoryMb)
    {
        Battery = Findings.Battery,
        Groups = Findings.Groups,
        Gba = new Dictionary<string, int>(StringComparer.Ordinal)
        {
            [M2MSec.Cli.Demo.Stages.GbaStage.GbaMeEvent] = EventCount(M2MSec.Cli.Demo.Stages.GbaStage.GbaMeEvent),
            [M2MSec.Cli.Demo.Stages.GbaStage.GbaUEvent] = EventCount(M2MSec.Cli.Demo.Stages.GbaStage.GbaUEvent),
        },
    };
}
