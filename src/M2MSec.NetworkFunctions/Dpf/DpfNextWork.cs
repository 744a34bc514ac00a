using System.Collections.Concurrent;

namespace M2MSec.NetworkFunctions.Dpf;

/// <summary>
/// Decision 038: what the DPF tells its DM engine when a device's session has no job left (<see cref="Dm.DmSessionEngine.NextWork"/>):
/// while the follow-up of the job that just finished runs (DRF, PVA, SHO), the device's next job may be queued at any moment — the
/// session waits for it instead of ending and being polled for again. One signal per device, the latest job's.
/// </summary>
internal sealed class DpfNextWork
{
    private readonly ConcurrentDictionary<string, TaskCompletionSource<bool>> _signals = new(StringComparer.Ordinal);

    /// <summary>A job of <paramref name="pcid"/> finished and its follow-up starts: its next job may come. Returns the follow-up's signal.</summary>
    public TaskCompletionSource<bool> Expect(string pcid) =>
        _signals[pcid] = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>A job was queued for <paramref name="pcid"/> (kept completed until the engine asks, or the next <see cref="Expect"/>).</summary>
    public void Queued(string pcid)
    {
        if (_signals.TryGetValue(pcid, out var signal))
            signal.TrySetResult(true);
    }

    /// <summary>
    /// The follow-up that <paramref name="signal"/> belongs to ended and nothing more will be queued by it or its peers (the provisioning is
    /// over, or failed). A later job's signal is left alone: a slow follow-up must not end the session of the step after it.
    /// </summary>
    public void NoneExpected(string pcid, TaskCompletionSource<bool> signal)
    {
        signal.TrySetResult(false);
        _signals.TryRemove(KeyValuePair.Create(pcid, signal));
    }

    /// <summary>The engine's question: null when nothing is expected.</summary>
    public Task<bool>? For(string pcid) => _signals.TryGetValue(pcid, out var signal) ? signal.Task : null;
}
