using System.Security.Cryptography;
using M2MSec.NetworkFunctions.Dm;
using M2MSec.NetworkFunctions.Drf;
using M2MSec.NetworkFunctions.Hosting;
using M2MSec.NetworkFunctions.Sho;
using M2MSec.Storage.Dm;
using M2MSec.Storage.Dpf;
using Microsoft.Extensions.Logging;

namespace M2MSec.NetworkFunctions.Dpf;

/// <summary>
/// Issue 16, resumable provisioning (docs/decisions/022): the DPF drives the 21 steps, so it is the one that takes a lost step
/// again. A provisioning that has not moved for <see cref="DpfOptions.ResumeAfter"/> is looked at: its DM job lost with its
/// session is queued again, a job that ended without its follow-up (the DPF was killed) is followed up, a step 12 or 15 whose
/// peer was away is sent again — every repeat is idempotent at its peer, so nothing is done twice.
/// </summary>
public sealed partial class DpfProvisionings
{
    /// <summary>Records the resumption reads at a time.</summary>
    internal const int ResumePage = 100;

    /// <summary>The DM engine's reason for a job whose session went away.</summary>
    internal const string LostSession = "session-expired";

    /// <summary>
    /// Every ongoing provisioning untouched for <paramref name="after"/> is taken one step further if a step was lost; returns how
    /// many were. <paramref name="engine"/> tells which running jobs still have a live session here.
    /// </summary>
    public async Task<int> ResumeAsync(DmSessionEngine? engine, TimeSpan after, CancellationToken ct)
    {
        var before = time.GetUtcNow() - after;
        var resumed = 0;
        using var sweeping = SweepScope(); // decision 063: the sweep's failures start no quick retries (a long outage: one call per tick)
        // Issue 19: the ongoing records untouched since then, by index and by pages (reading every record every 2 s cost a 10,000-device
        // fleet O(n) per tick: 5 % of all the demo's allocations at 1,500 devices).
        IReadOnlyList<DpfProvisioning> page;
        string? last = null;
        do
        {
            page = await state.Dpf.ListOngoingUntouchedAsync(before, last, ResumePage, ct).ConfigureAwait(false);
            foreach (var p in page)
            {
                last = p.Pcid;
                if (!p.IsOngoing || p.UpdatedAt > before) // (the store compares whole milliseconds)
                    continue;
                try
                {
                    if (await ResumeOneAsync(p, engine, before, ct).ConfigureAwait(false))
                        resumed++;
                }
                catch (Exception e) when (ShoResumption.IsTransient(e))
                {
                    logger?.LogInformation("dpf provisioning {Pcid}: resumption waits for a peer ({Message})", p.Pcid, e.Message);
                }
            }
        }
        while (page.Count == ResumePage);
        return resumed;
    }

    private async Task<bool> ResumeOneAsync(DpfProvisioning p, DmSessionEngine? engine, DateTimeOffset before, CancellationToken ct)
    {
        switch (p.State)
        {
            case DpfProvisioning.Registered:
                return await SubmitM2MMobjAgainAsync(p, ct).ConfigureAwait(false);
            case DpfProvisioning.Validated:
                return await ForwardVerdictAgainAsync(p, ct).ConfigureAwait(false);
        }
        var jobId = JobIdOf(p);
        var job = jobId is null ? null : await state.Dm.FindJobAsync(jobId, ct).ConfigureAwait(false);
        if (job is null)
        {
            // Killed between the record's write and the job's: the job is queued now under the id the record names.
            var id = jobId ?? NewJobId();
            switch (p.State)
            {
                case DpfProvisioning.Reading:
                    if (jobId is null && !await state.Dpf.UpdateAsync(p with { ReadJobId = id, UpdatedAt = time.GetUtcNow() }, p.State, ct).ConfigureAwait(false))
                        return false;
                    await QueueAsync(p.Pcid, id, ReadCommands(), ct).ConfigureAwait(false);
                    break;
                case DpfProvisioning.Downloading:
                    if (jobId is null && !await state.Dpf.UpdateAsync(p with { DownloadJobId = id, UpdatedAt = time.GetUtcNow() }, p.State, ct).ConfigureAwait(false))
                        return false;
                    await QueueAsync(p.Pcid, id, CheckCommands(), ct).ConfigureAwait(false);
                    break;
                default:
                    // The challenge is the SHO's: step 12 again has the SHO send it again (AttestationAsync then queues the job).
                    return await SubmitM2MMobjAgainAsync(p, ct).ConfigureAwait(false);
            }
            await AuditAsync("dpf.job.resumed", p.Pcid, $"{p.State}: job {id} queued", ct).ConfigureAwait(false);
            return true;
        }
        if (job.State == "running" && job.UpdatedAt <= before && engine?.HoldsJob(job.Id) != true)
        {
            // Its session died with the DPF (or the device): no one will finish it.
            if (!await state.Dm.FailJobAsync(job.Id, LostSession, ["running"], ct).ConfigureAwait(false))
                return false;
            job = await state.Dm.FindJobAsync(job.Id, ct).ConfigureAwait(false);
        }
        if (job?.State is not ("done" or "failed"))
            return false;
        // The job ended but its follow-up never ran (the DPF was killed between the two): run it now.
        await HandleAsync(new DmJobFinished(job.Id, p.Pcid, job.State, job.Reason)).ConfigureAwait(false);
        return true;
    }

    /// <summary>The DM job of the record's current step: the read, the attestation or the download (or its check).</summary>
    private static string? JobIdOf(DpfProvisioning p) => p.State switch
    {
        DpfProvisioning.Reading => p.ReadJobId,
        DpfProvisioning.Attesting => p.AttestationJobId,
        _ => p.DownloadJobId,
    };

    /// <summary>A read or attestation job that lost its session is queued again with the same commands; true when it was.</summary>
    private async Task<bool> RequeueAfterLostSessionAsync(DpfProvisioning p, DmJobRecord job, CancellationToken ct)
    {
        if (job.State != "failed" || job.Reason != LostSession)
            return false;
        await RequeueAsync(p, job.Id, [.. job.Commands.Select(c => (c.Verb, c.Uri, c.Value, c.Format))], ct).ConfigureAwait(false);
        return true;
    }

    private async Task RequeueAsync(DpfProvisioning p, string oldJob, IReadOnlyList<(string Verb, string Uri, string? Value, string? Format)> commands, CancellationToken ct)
    {
        var id = NewJobId();
        var next = p.State switch
        {
            DpfProvisioning.Reading => p with { ReadJobId = id },
            DpfProvisioning.Attesting => p with { AttestationJobId = id },
            _ => p with { DownloadJobId = id },
        };
        if (!await state.Dpf.UpdateAsync(next with { UpdatedAt = time.GetUtcNow() }, p.State, ct).ConfigureAwait(false))
            return;
        await QueueAsync(p.Pcid, id, commands, ct).ConfigureAwait(false);
        await AuditAsync("dpf.job.requeued", p.Pcid, $"{p.State}: {oldJob} ended without an answer, {id} queued", ct).ConfigureAwait(false);
    }

    /// <summary>
    /// The download whose answer was lost: null when the job's outcome is known (decided as before); true when the TRE installed
    /// the MCIM (DM status 200 to the Replace, or the check found the registration nonce used: only that install clears it); false when the
    /// question went to the TRE again (a check job — Get Status and RegNonce — or, if the nonce is still pending, the download again).
    /// </summary>
    private async Task<bool?> DownloadUnknownAsync(DpfProvisioning p, DmJobRecord job, DmCommandRecord? write, CancellationToken ct)
    {
        var lost = job.State == "failed" && job.Reason == LostSession;
        if (write is not null)
        {
            if (!lost)
                return null;
            if (write.Status == 200)
                return true; // the TRE answered the Replace with 200: installed (decision 018); only the Get of Status was lost
            if (write.Status is not null)
                return null;
            await RequeueAsync(p, job.Id, CheckCommands(), ct).ConfigureAwait(false);
            return false;
        }
        // A check job: the registration nonce is cleared only by an install, so a pending nonce that is still ours means not installed.
        var results = Results(job);
        var nonce = Base64(results.GetValueOrDefault($"{M2MMobj}/RegNonce"));
        if (nonce is null)
        {
            if (!lost)
                return null;
            await RequeueAsync(p, job.Id, CheckCommands(), ct).ConfigureAwait(false);
            return false;
        }
        if (p.RegistrationNonce is { } mine && CryptographicOperations.FixedTimeEquals(nonce, mine))
        {
            await RequeueAsync(p, job.Id, DownloadCommands(p), ct).ConfigureAwait(false);
            return false;
        }
        // The TRE clears its pending nonce only when it installs an MCIM that carries it (TrustedEnvironment.InstallMcim): ours was
        // installed, even if the Status leaf's value was lost with the device's session.
        return true;
    }

    /// <summary>The record's reason while a settled validation waits for the SHO to start another (then the validation id).</summary>
    internal const string ValidationSettled = "validation-settled: ";

    /// <summary>
    /// The PVA settled the validation without the DPF learning its verdict: back to registered, marked, and step 12 again — the SHO
    /// re-sends the old challenge, is told it is settled (409 validation-settled) and starts another validation.
    /// </summary>
    private async Task ValidationSettledAsync(DpfProvisioning p, CancellationToken ct)
    {
        var back = p with
        {
            State = DpfProvisioning.Registered,
            Reason = ValidationSettled + p.ValidationId,
            ValidationId = null,
            AttestationJobId = null,
            UpdatedAt = time.GetUtcNow(),
        };
        if (!await state.Dpf.UpdateAsync(back, DpfProvisioning.Attesting, ct).ConfigureAwait(false))
            return;
        await AuditAsync("dpf.validation.settled", p.Pcid, $"{p.ValidationId}: its verdict was lost; another validation", ct).ConfigureAwait(false);
        await SubmitM2MMobjAgainAsync(back, ct).ConfigureAwait(false);
    }

    /// <summary>Step 12 again (the DRF and the SHO take a repeat as once); true when the DRF took it.</summary>
    private async Task<bool> SubmitM2MMobjAgainAsync(DpfProvisioning p, CancellationToken ct)
    {
        if (p.TreId is null || p.PfcAttestation is null || p.PfcEncryption is null || p.RegistrationNonce is null)
            return false;
        var dto = new M2MMobjDto(p.Pcid, p.TreId, p.ShoId, Convert.ToBase64String(p.PfcAttestation), Convert.ToBase64String(p.PfcEncryption),
            Convert.ToHexStringLower(p.RegistrationNonce));
        try
        {
            await new DrfClient(peers.For("drf")).SubmitM2MMobjAsync(p.Pcid, dto, ct).ConfigureAwait(false);
        }
        catch (PeerRequestException e) when (!ShoResumption.IsTransient(e))
        {
            await FailAsync(p, "drf-refused-m2mmobj: " + ShoEndpoints.Clip(e.Message), ct).ConfigureAwait(false);
            return false;
        }
        await AuditAsync("dpf.m2mmobj.resubmitted", p.Pcid, p.State, ct).ConfigureAwait(false);
        return true;
    }

    /// <summary>Step 15 again: the verdict the DPF checked goes to the SHO again (the SHO re-sends the M2MSIMMobj it sealed, never a second one).</summary>
    private async Task<bool> ForwardVerdictAgainAsync(DpfProvisioning p, CancellationToken ct)
    {
        if (p.Verdict is null || p.ValidationId is null)
            return false;
        try
        {
            await new ShoClient(peers.For("sho")).SubmitVerdictAsync(p.Pcid, new ShoVerdictRequest(p.ValidationId, p.Verdict), ct).ConfigureAwait(false);
        }
        catch (PeerRequestException e) when (!ShoResumption.IsTransient(e))
        {
            if (await state.Dpf.FindAsync(p.Pcid, ct).ConfigureAwait(false) is { State: DpfProvisioning.Validated } still)
                await FailAsync(still, "sho-refused-verdict: " + ShoEndpoints.Clip(e.Message), ct).ConfigureAwait(false);
            return false;
        }
        await AuditAsync("dpf.verdict.resubmitted", p.Pcid, p.ValidationId, ct).ConfigureAwait(false);
        return true;
    }

    internal static IReadOnlyList<(string Verb, string Uri, string? Value, string? Format)> ReadCommands() =>
        [.. M2MMobjLeaves.Select(l => ("get", $"{M2MMobj}/{l}", (string?)null, (string?)null))];

    internal static IReadOnlyList<(string Verb, string Uri, string? Value, string? Format)> AttestationCommands(string challengeHex) =>
    [
        ("replace", $"{M2MMobj}/Attestation/Nonce", B64Text(Convert.FromHexString(challengeHex)), "b64"),
        ("get", $"{M2MMobj}/Attestation/Evidence", null, null),
    ];

    internal static IReadOnlyList<(string Verb, string Uri, string? Value, string? Format)> DownloadCommands(DpfProvisioning p) =>
    [
        ("replace", $"{M2MSimMobj}/Object", B64Text(p.M2MSimMobj ?? []), "b64"),
        ("get", $"{M2MSimMobj}/Status", null, null),
    ];

    /// <summary>The question after a lost download: the TRE's last result and whether the registration nonce is still pending.</summary>
    private static IReadOnlyList<(string Verb, string Uri, string? Value, string? Format)> CheckCommands() =>
    [
        ("get", $"{M2MSimMobj}/Status", null, null),
        ("get", $"{M2MMobj}/RegNonce", null, null),
    ];
}

/// <summary>Issue 16: every <see cref="DpfOptions.ResumeInterval"/> (and at start) the DPF takes lost steps again (<see cref="DpfProvisionings.ResumeAsync"/>).</summary>
internal sealed class DpfResumer(DpfProvisionings provisionings, DmSessionEngine engine, DpfOptions options, TimeProvider time)
    : Microsoft.Extensions.Hosting.BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.ResumeInterval, time);
        do
        {
            try
            {
                await provisionings.ResumeAsync(engine, options.ResumeAfter, stoppingToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // The store is away for a moment: the next tick tries again.
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
    }

    public override Task StopAsync(CancellationToken cancellationToken)
    {
        provisionings.StopRetries(); // decision 063: no quick retry outlives the function; the sweep takes over at the next start
        return base.StopAsync(cancellationToken);
    }
}
