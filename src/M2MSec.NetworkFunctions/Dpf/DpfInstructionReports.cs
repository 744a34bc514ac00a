using M2MSec.NetworkFunctions.Hosting;
using M2MSec.NetworkFunctions.Sho;
using M2MSec.Storage.Dm;
using M2MSec.Storage.Dpf;
using Microsoft.Extensions.Logging;

namespace M2MSec.NetworkFunctions.Dpf;

/// <summary>
/// Issue 16 (docs/decisions/021): what the TRE did with an SHO's life-cycle instructions reaches that SHO however long it is away. The
/// outcome is read from the instruction job (durable, in the DM store), so every report of a job has the same body; the job's row in the
/// outbox (<see cref="DpfInstructionReport"/>, written before the job is queued) is removed only when the SHO took it. A report the SHO
/// could not take (away, 5xx) is tried again after a pause that doubles from <see cref="FirstRetry"/> to <see cref="LastRetry"/>, by
/// <c>DpfStatusReporter</c>, also after a restart of the DPF.
/// </summary>
public sealed partial class DpfProvisionings
{
    internal static readonly TimeSpan FirstRetry = TimeSpan.FromSeconds(2);
    internal static readonly TimeSpan LastRetry = TimeSpan.FromMinutes(1);

    /// <summary>A job the outbox names that never appeared (the DPF was killed between the row and the job; the SHO got no 202) is dropped after this.</summary>
    internal static readonly TimeSpan MissingJobGrace = TimeSpan.FromMinutes(10);

    /// <summary>The pause before attempt <paramref name="attempts"/> + 1.</summary>
    internal static TimeSpan RetryAfter(int attempts) =>
        TimeSpan.FromTicks(Math.Min(LastRetry.Ticks, FirstRetry.Ticks << Math.Clamp(attempts, 0, 16)));

    /// <summary>Reports every due row of the outbox; returns how many the SHOs took.</summary>
    internal async Task<int> ReportDueInstructionsAsync(CancellationToken ct)
    {
        var taken = 0;
        foreach (var row in await state.Dpf.ListDueInstructionReportsAsync(time.GetUtcNow(), 200, ct).ConfigureAwait(false))
        {
            if (await ReportInstructionsAsync(row.JobId, row.Pcid, row, ct).ConfigureAwait(false))
                taken++;
        }
        return taken;
    }

    /// <summary>
    /// The outcomes of the instruction job <paramref name="jobId"/> to the SHO that signed them; true once that SHO took them (the row is
    /// removed). <paramref name="row"/>: the outbox row when the sweep calls (null when the job just ended).
    /// </summary>
    internal async Task<bool> ReportInstructionsAsync(string jobId, string pcid, DpfInstructionReport? row, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        var job = await state.Dm.FindJobAsync(jobId, ct).ConfigureAwait(false);
        if (job is null || job.State is not ("done" or "failed"))
        {
            if (row is not null && job is null && row.CreatedAt + MissingJobGrace < now)
                await state.Dpf.RemoveInstructionReportAsync(jobId, ct).ConfigureAwait(false);
            else if (row is not null)
                await state.Dpf.PutInstructionReportAsync(row with { NextAt = now + RetryAfter(row.Attempts) }, ct).ConfigureAwait(false);
            return false;
        }
        var (shoId, outcomes) = InstructionOutcomes(job);
        if (shoId is null || outcomes.Count == 0)
        {
            await state.Dpf.RemoveInstructionReportAsync(jobId, ct).ConfigureAwait(false);
            return false;
        }
        if (IsLostBeforeTheTreAnswered(job))
        {
            // The session died before the TRE's answer came back (the DPF killed mid-session, the device gone): not an outcome. The same
            // signed documents go again, when the row is due (the sweep: back-off), until the TRE answers each.
            if (row is not null)
                await ReissueInstructionsAsync(job, row, shoId, ct).ConfigureAwait(false);
            return false;
        }
        if (row is null)
        {
            await AuditAsync("dpf.instructions.done", pcid, string.Join(", ", outcomes.Select(o => $"{o.Operation} {o.Imsi} #{o.Sequence}: {o.Result}")), ct)
                .ConfigureAwait(false);
        }
        try
        {
            await new ShoClient(peers.For(shoId)).ReportInstructionsAsync(pcid, new ShoInstructionStatusRequest(outcomes), ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is HttpRequestException or PeerUnavailableException or TaskCanceledException)
        {
            if (!ShoResumption.IsTransient(e))
            {
                // Refused for good (4xx): reporting it again would be refused again.
                await state.Dpf.RemoveInstructionReportAsync(jobId, ct).ConfigureAwait(false);
                await AuditAsync("dpf.instructions.report-refused", pcid, $"{shoId}: {ShoEndpoints.Clip(e.Message)}", ct).ConfigureAwait(false);
                return false;
            }
            var attempts = (row?.Attempts ?? 0) + 1;
            await state.Dpf.PutInstructionReportAsync(new DpfInstructionReport(jobId, pcid, shoId, attempts, now + RetryAfter(attempts), row?.CreatedAt ?? now), ct)
                .ConfigureAwait(false);
            logger?.LogWarning("dpf instructions {Pcid}: {Sho} did not take the results ({Message}); retrying (attempt {Attempts})", pcid, shoId, e.Message, attempts);
            return false;
        }
        await state.Dpf.RemoveInstructionReportAsync(jobId, ct).ConfigureAwait(false);
        await AuditAsync("dpf.instructions.reported", pcid, $"{shoId}: job {jobId}", ct).ConfigureAwait(false);
        return true;
    }

    /// <summary>A job ended by a lost session with at least one instruction the TRE's answer never came back for.</summary>
    private static bool IsLostBeforeTheTreAnswered(DmJobRecord job) =>
        job is { State: "failed", Reason: LostSession } && job.Commands.Any(c => c.Verb == "replace" && c.Uri == $"{M2MSimMobj}/Instruction" && c.Status is null);

    /// <summary>
    /// The instruction job after <paramref name="jobId"/>: <c>{first id}.r{n}</c>, so a sweep repeated after a crash finds the job it queued.
    /// </summary>
    internal static string ReissuedJobId(string jobId)
    {
        var at = jobId.LastIndexOf(".r", StringComparison.Ordinal);
        return at > 0 && int.TryParse(jobId.AsSpan(at + 2), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var n)
            ? $"{jobId[..at]}.r{n + 1}"
            : jobId + ".r1";
    }

    /// <summary>
    /// Issue 16 (docs/decisions/021): the same commands — the same signed instruction documents, byte for byte — in a new job, its outbox
    /// row written before it, the old row removed after it. The TRE answers "already-applied" for a document it applied before, so a repeat
    /// never changes anything twice, and an older instruction is still "replayed". Steps are idempotent: a crash between them is redone.
    /// </summary>
    private async Task ReissueInstructionsAsync(DmJobRecord job, DpfInstructionReport row, string shoId, CancellationToken ct)
    {
        var next = ReissuedJobId(job.Id);
        var now = time.GetUtcNow();
        var attempts = row.Attempts + 1;
        await state.Dpf.AddInstructionReportAsync(new DpfInstructionReport(next, row.Pcid, shoId, attempts, now + RetryAfter(attempts), now), ct).ConfigureAwait(false);
        if (await state.Dm.FindJobAsync(next, ct).ConfigureAwait(false) is null)
        {
            try
            {
                await QueueAsync(row.Pcid, next, [.. job.Commands.OrderBy(c => c.Seq).Select(c => (c.Verb, c.Uri, c.Value, c.Format))], ct).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // Another sweep (a second DPF instance on the store) queued it meanwhile: done. Anything else: the row stays, the next sweep retries.
                if (await state.Dm.FindJobAsync(next, ct).ConfigureAwait(false) is null)
                    throw;
            }
        }
        if (!await state.Dpf.RemoveInstructionReportAsync(job.Id, ct).ConfigureAwait(false))
            return;
        await AuditAsync("dpf.instructions.reissued", row.Pcid, $"{job.Id} lost its session before the TRE answered; the same instructions as {next} (attempt {attempts})", ct)
            .ConfigureAwait(false);
        logger?.LogInformation("dpf instructions {Pcid}: {Job} lost its session; the same instructions again as {Next}", row.Pcid, job.Id, next);
    }

    /// <summary>
    /// Each Replace of ./M2MSIMMobj/Instruction's DM status (200 applied, 405 refused by the TRE, other: failed) and the TRE's code read
    /// back from ./M2MSIMMobj/Status after it; the SHO the instructions name (the DPF checked they are the caller's when it took them).
    /// </summary>
    private static (string? ShoId, List<McimInstructionOutcome> Outcomes) InstructionOutcomes(DmJobRecord job)
    {
        var commands = job.Commands.OrderBy(c => c.Seq).ToList();
        var outcomes = new List<McimInstructionOutcome>();
        string? shoId = null;
        for (var i = 0; i < commands.Count; i++)
        {
            var c = commands[i];
            if (c.Verb != "replace" || c.Uri != $"{M2MSimMobj}/Instruction" || InstructionFields(c.Value) is not { } fields)
                continue;
            shoId ??= fields.Sho;
            var code = i + 1 < commands.Count && commands[i + 1] is { Verb: "get", Status: 200 } g ? g.Results : null;
            var result = c.Status == 200 ? "applied" : c.Status == 405 ? "refused" : "failed";
            var detail = ShoEndpoints.Clip($"{code ?? "no status"}; DM status {c.Status?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "none"}"
                + (job.Reason is null ? "" : $"; job {job.Reason}"));
            outcomes.Add(new McimInstructionOutcome(fields.Imsi, fields.Operation, fields.Sequence, result, detail));
        }
        return (shoId, outcomes);
    }
}
