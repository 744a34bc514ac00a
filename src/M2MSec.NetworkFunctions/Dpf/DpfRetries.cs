using System.Collections.Concurrent;
using M2MSec.NetworkFunctions.Dm;
using M2MSec.NetworkFunctions.Sho;
using M2MSec.Storage.Dpf;
using Microsoft.Extensions.Logging;

namespace M2MSec.NetworkFunctions.Dpf;

/// <summary>
/// Decision 063: a step whose peer was away (refused connection, 5xx, timeout) is taken again soon — after each of the pauses of
/// <see cref="RetryDelays"/>, 3.5 s in all — instead of only by the resumption sweep once the record has been untouched for
/// <see cref="DpfOptions.ResumeAfter"/> (5 s, then up to <see cref="DpfOptions.ResumeInterval"/> more). A peer back from a restart
/// thus sees the provisionings it missed within a second, not seven. One schedule per PCID; each attempt is the sweep's own repeat
/// (idempotent at the peer, docs/decisions/022) and runs only while the record still awaits the step; the sweep stays the safety net
/// for a peer away longer and for a DPF that restarted, and what it (or the step-21 reporter) calls starts no schedule.
/// </summary>
public sealed partial class DpfProvisionings
{
    /// <summary>The pause before each attempt, one after another: attempts at +0.5, +1.5 and +3.5 s from the failure, inside the sweep's 5 s.</summary>
    internal static readonly TimeSpan[] RetryDelays = [TimeSpan.FromMilliseconds(500), TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2)];

    private readonly ConcurrentDictionary<string, byte> _retrying = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _stopping = new();

    /// <summary>Set while the sweep or the step-21 reporter runs: their failures wait for their next tick, they start no schedule.</summary>
    private static readonly AsyncLocal<bool> Sweeping = new();

    /// <summary>PCIDs with a retry schedule running (tests).</summary>
    internal int RetriesPending => _retrying.Count;

    /// <summary>Stops every retry schedule (the function is stopping; the sweep takes over at the next start).</summary>
    internal void StopRetries() => _stopping.Cancel();

    /// <summary>Marks the calls below it as the sweep's (<see cref="Sweeping"/>) until disposed.</summary>
    private static SweepMark SweepScope()
    {
        var mark = new SweepMark(Sweeping.Value);
        Sweeping.Value = true;
        return mark;
    }

    /// <summary>Schedules <paramref name="pcid"/>'s step again after a peer was away, unless a schedule for it runs already or the sweep is the caller.</summary>
    private void RetrySoon(string pcid)
    {
        if (Sweeping.Value || _stopping.IsCancellationRequested || !_retrying.TryAdd(pcid, 0))
            return;
        _ = Task.Run(async () =>
        {
            try
            {
                await RetryAsync(pcid, _stopping.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                // Stopping: the sweep takes the step again at the next start.
            }
            catch (Exception e)
            {
                // The store away, or a peer that now refuses: as for the sweep, whose tick meets the same record again.
                logger?.LogWarning("dpf provisioning {Pcid}: a quick retry ended: {Message}", pcid, e.Message);
            }
            finally
            {
                _retrying.TryRemove(pcid, out _);
            }
        }, CancellationToken.None);
    }

    private async Task RetryAsync(string pcid, CancellationToken ct)
    {
        foreach (var delay in RetryDelays)
        {
            await Task.Delay(delay, time, ct).ConfigureAwait(false);
            try
            {
                if (await RetryStepAsync(pcid, ct).ConfigureAwait(false))
                    return;
            }
            catch (Exception e) when (ShoResumption.IsTransient(e))
            {
                // Still away: the next pause, then the sweep.
            }
        }
        logger?.LogInformation("dpf provisioning {Pcid}: a peer is still away after {Attempts} quick retries; the resumption sweep takes the step again",
            pcid, RetryDelays.Length);
    }

    /// <summary>One attempt: the step the record awaits, taken again as the sweep would; true when nothing is left to retry.</summary>
    private async Task<bool> RetryStepAsync(string pcid, CancellationToken ct)
    {
        if (await state.Dpf.FindAsync(pcid, ct).ConfigureAwait(false) is not { } p)
            return true;
        if (DpfProvisioning.AwaitsShoReport(p))
            return await ReportAsync(p, ct).ConfigureAwait(false); // step 21
        if (!p.IsOngoing)
            return true;
        switch (p.State)
        {
            case DpfProvisioning.Registered:
                return await SubmitM2MMobjAgainAsync(p, ct).ConfigureAwait(false); // step 12
            case DpfProvisioning.Validated:
                return await ForwardVerdictAgainAsync(p, ct).ConfigureAwait(false); // step 15
        }
        // A job's follow-up whose peer was away (the PVA at step 14, the DRF at step 12): run it again. A job still queued or running
        // belongs to a session; it is left to the session and to the sweep, never failed here.
        var job = JobIdOf(p) is { } jobId ? await state.Dm.FindJobAsync(jobId, ct).ConfigureAwait(false) : null;
        if (job?.State is not ("done" or "failed"))
            return true;
        await HandleAsync(new DmJobFinished(job.Id, p.Pcid, job.State, job.Reason)).ConfigureAwait(false);
        return await state.Dpf.FindAsync(pcid, ct).ConfigureAwait(false) is not { } after || after.State != p.State || !after.IsOngoing;
    }

    private readonly struct SweepMark(bool outer) : IDisposable
    {
        public void Dispose() => Sweeping.Value = outer;
    }
}
