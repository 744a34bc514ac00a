using System.Collections.Concurrent;

namespace M2MSec.Cli.Demo;

/// <summary>Thread-safe tallies of a demo run: per-stage outcomes and expected events.</summary>
internal sealed class DemoReport
{
    private readonly ConcurrentDictionary<string, int> _events = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, int> _stageOk = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, int> _stageFailed = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<DemoDevice> _failures = new();
    private int _completed;

    public int Completed => _completed;

    public int Failed => _failures.Count;

    public IEnumerable<DemoDevice> Failures => _failures;

    /// <summary>Counts an expected event such as a forced resynchronisation (not a failure).</summary>
    public void Event(string name) => _events.AddOrUpdate(name, 1, (_, n) => n + 1);

    public int EventCount(string name) => _events.GetValueOrDefault(name);

    public void StageOk(string stage) => _stageOk.AddOrUpdate(stage, 1, (_, n) => n + 1);

    public void StageFailed(string stage) => _stageFailed.AddOrUpdate(stage, 1, (_, n) => n + 1);

    public int StageOkCount(string stage) => _stageOk.GetValueOrDefault(stage);

    public int StageFailedCount(string stage) => _stageFailed.GetValueOrDefault(stage);

    public void DeviceCompleted() => Interlocked.Increment(ref _completed);

    public void DeviceFailed(DemoDevice device) => _failures.Enqueue(device);
}
