using System.Security.Cryptography;
using System.Text;
using M2MSec.NetworkFunctions.Dm;
using M2MSec.NetworkFunctions.Drf;
using M2MSec.NetworkFunctions.Hosting;
using M2MSec.NetworkFunctions.Pva;
using M2MSec.NetworkFunctions.Sho;
using M2MSec.Storage;
using M2MSec.Storage.Audit;
using M2MSec.Storage.Dm;
using M2MSec.Storage.Dpf;
using Microsoft.Extensions.Logging;

namespace M2MSec.NetworkFunctions.Dpf;

/// <summary>
/// What the DPF does when a provisioning's DM job ends (the DM engine's <see cref="DmSessionEngine.JobFinished"/>): M2MMobj read
/// (step 11) → checked to be this provisioning's and passed to the DRF (step 12); the attestation read (step 14) → the evidence to
/// the PVA, the verdict checked and forwarded to the SHO (step 15); the M2MSIMMobj written (steps 18–20) → the outcome to the SHO
/// (step 21). Runs beside the session (the device's last answer does not wait for the peers).
/// </summary>
public sealed partial class DpfProvisionings(IStateStore state, PeerClients peers, IPvaVerdictVerifier verifier, TimeProvider time, ILogger? logger = null,
    ProvisioningMetrics? steps = null)
{
    private const string Actor = "dpf";
    public const string M2MMobj = "./M2MMobj";
    public const string M2MSimMobj = "./M2MSIMMobj";
    internal static readonly string[] M2MMobjLeaves = ["PCID", "TREId", "SHO", "PfC/Attestation", "PfC/Encryption", "RegNonce"];

    private readonly Lock _lock = new();
    private readonly List<Task> _running = [];
    private readonly DpfNextWork _next = new();

    /// <summary>Follow-ups still running (tests wait for them).</summary>
    public Task IdleAsync()
    {
        lock (_lock)
            return Task.WhenAll([.. _running]);
    }

    /// <summary>
    /// The engine's hook: the follow-up runs on its own, not in the device's session; the session may wait for the next job it leads to
    /// (<see cref="NextWork"/>, decision 038).
    /// </summary>
    public Task OnJobFinishedAsync(DmJobFinished finished, CancellationToken cancellationToken)
    {
        var signal = _next.Expect(finished.DevId);
        var task = Task.Run(async () =>
        {
            try
            {
                await HandleAsync(finished).ConfigureAwait(false);
            }
            finally
            {
                await SettleNextWorkAsync(finished.DevId, signal).ConfigureAwait(false);
            }
        });
        lock (_lock)
        {
            _running.RemoveAll(t => t.IsCompleted);
            _running.Add(task);
        }
        return Task.CompletedTask;
    }

    /// <summary>After a follow-up: registered or validated, the SHO's side (DRF, PVA) queues the next job through the DPF's API, maybe later still; else none comes.</summary>
    private async Task SettleNextWorkAsync(string pcid, TaskCompletionSource<bool> signal)
    {
        try
        {
            if (await state.Dpf.FindAsync(pcid, CancellationToken.None).ConfigureAwait(false) is { State: DpfProvisioning.Registered or DpfProvisioning.Validated })
                return;
        }
        catch (Exception e) when (e is ObjectDisposedException or InvalidOperationException or System.Data.Common.DbException)
        {
            // The store is closing: nothing more will be queued here.
        }
        _next.NoneExpected(pcid, signal);
    }

    /// <summary>The DM engine's <see cref="DmSessionEngine.NextWork"/>: the device's next job, if one may come (decision 038).</summary>
    public Task<bool>? NextWork(string pcid) => _next.For(pcid);

    internal async Task HandleAsync(DmJobFinished finished)
    {
        var ct = CancellationToken.None;
        if (finished.JobId.StartsWith(DpfChangeEndpoints.InstructionJobPrefix, StringComparison.Ordinal))
        {
            await ReportInstructionsAsync(finished.JobId, finished.DevId, null, ct).ConfigureAwait(false);
            return;
        }
        var p = await state.Dpf.FindAsync(finished.DevId, ct).ConfigureAwait(false);
        var job = await state.Dm.FindJobAsync(finished.JobId, ct).ConfigureAwait(false);
        if (p is null || job is null)
            return;
        try
        {
            await StepAsync(finished, p, job, ct).ConfigureAwait(false);
        }
        finally
        {
            // Issue 16: a change of subscription that ended (installed or failed) is reported to the DRF.
            if (p.PreviousShoId is not null && await state.Dpf.FindAsync(p.Pcid, ct).ConfigureAwait(false) is { } ended && ChangeToReport(ended))
                await ReportChangeAsync(ended, ct).ConfigureAwait(false);
        }
    }

    private async Task StepAsync(DmJobFinished finished, DpfProvisioning p, DmJobRecord job, CancellationToken ct)
    {
        try
        {
            if (finished.JobId == p.ReadJobId && p.State == DpfProvisioning.Reading)
                await M2MMobjReadAsync(p, job, ct).ConfigureAwait(false);
            else if (finished.JobId == p.AttestationJobId && p.State == DpfProvisioning.Attesting)
                await EvidenceReadAsync(p, job, ct).ConfigureAwait(false);
            else if (finished.JobId == p.DownloadJobId && p.State == DpfProvisioning.Downloading)
                await DownloadedAsync(p, job, ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is HttpRequestException or PeerUnavailableException or TaskCanceledException or InvalidOperationException
            or System.Text.Json.JsonException or M2MSec.Provisioning.ProvisioningException or NotSupportedException)
        {
            // A peer that failed mid-step: the provisioning does not stay half-way for ever. A peer that was away (killed, restarting)
            // leaves the state as it is: the step is taken again soon (decision 063), else by the resumption sweep (issue 16, decision 022).
            logger?.LogWarning("dpf provisioning {Pcid}: {Message}", finished.DevId, e.Message);
            if (ShoResumption.IsTransient(e))
            {
                RetrySoon(finished.DevId);
                return;
            }
            if (await state.Dpf.FindAsync(p.Pcid, ct).ConfigureAwait(false) is { IsOngoing: true } now && now.State == p.State)
                await FailAsync(now, "peer-error: " + ShoEndpoints.Clip(e.Message), ct).ConfigureAwait(false);
        }
    }

    /// <summary>Steps 11–12: M2MMobj must be this provisioning's (its PCID, its SHO); then the DRF registers the M2ME at the SHO.</summary>
    private async Task M2MMobjReadAsync(DpfProvisioning p, DmJobRecord job, CancellationToken ct)
    {
        // Issue 16: a change's read job first designated the new SHO; a TRE that refused it keeps its old MCIM and SHO.
        if (p.PreviousShoId is not null && job.Commands.FirstOrDefault(c => c.Uri == $"{M2MSimMobj}/DesignatedSHO") is { } designation && designation.Status != 200)
        {
            await FailAsync(p, $"designation-refused: DM status {designation.Status?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "none"}", ct)
                .ConfigureAwait(false);
            return;
        }
        if (job.State != "done")
        {
            if (await RequeueAfterLostSessionAsync(p, job, ct).ConfigureAwait(false))
                return;
            await FailAsync(p, "m2mmobj-unreadable: " + (job.Reason ?? job.State), ct).ConfigureAwait(false);
            return;
        }
        var leaves = Results(job);
        string? Leaf(string name) => leaves.GetValueOrDefault($"{M2MMobj}/{name}");
        var attestation = Base64(Leaf("PfC/Attestation"));
        var encryption = Base64(Leaf("PfC/Encryption"));
        var nonce = Base64(Leaf("RegNonce"));
        string? problem = Leaf("PCID") != p.Pcid ? "m2mmobj-pcid-mismatch"
            : Leaf("SHO") != p.ShoId ? "m2mmobj-sho-mismatch"
            : !ShoEndpoints.IsName(Leaf("TREId"), 128) ? "m2mmobj-bad-tre-id"
            : attestation is null || encryption is null ? "m2mmobj-no-pfc"
            : nonce is not { Length: 16 } ? "m2mmobj-bad-registration-nonce"
            : null;
        if (problem is not null)
        {
            await FailAsync(p, problem, ct).ConfigureAwait(false);
            return;
        }
        var registered = p with
        {
            State = DpfProvisioning.Registered,
            TreId = Leaf("TREId"),
            PfcAttestation = attestation,
            PfcEncryption = encryption,
            RegistrationNonce = nonce,
            UpdatedAt = time.GetUtcNow(),
        };
        if (!await MoveAsync(registered, DpfProvisioning.Reading, "dpf.m2mmobj.read", $"tre {registered.TreId}", ct).ConfigureAwait(false))
            return;
        var dto = new M2MMobjDto(p.Pcid, registered.TreId, p.ShoId, Convert.ToBase64String(attestation!), Convert.ToBase64String(encryption!),
            Convert.ToHexStringLower(nonce!));
        try
        {
            await new DrfClient(peers.For("drf")).SubmitM2MMobjAsync(p.Pcid, dto, ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is HttpRequestException or PeerUnavailableException or TaskCanceledException)
        {
            // Away: stays registered and is submitted again soon (decision 063), else by the resumption sweep; refused: failed.
            if (ShoResumption.IsTransient(e))
                RetrySoon(p.Pcid);
            else
                await FailAsync(registered, "drf-refused-m2mmobj: " + ShoEndpoints.Clip(e.Message), ct).ConfigureAwait(false);
        }
    }

    /// <summary>Steps 14–15: the evidence to the PVA; the verdict checked here, then forwarded to the SHO.</summary>
    private async Task EvidenceReadAsync(DpfProvisioning p, DmJobRecord job, CancellationToken ct)
    {
        var evidence = Results(job).GetValueOrDefault($"{M2MMobj}/Attestation/Evidence");
        if (job.State != "done" && await RequeueAfterLostSessionAsync(p, job, ct).ConfigureAwait(false))
            return;
        if (job.State != "done" || string.IsNullOrEmpty(evidence) || Base64(evidence) is null)
        {
            await FailAsync(p, "attestation-unreadable: " + (job.Reason ?? "no evidence"), ct).ConfigureAwait(false);
            return;
        }
        ValidationVerdict answer;
        try
        {
            answer = await new PvaClient(peers.For("pva")).SubmitEvidenceAsync(p.ValidationId!, evidence, ct).ConfigureAwait(false);
        }
        catch (PeerRequestException e) when (e.ProblemType == "challenge-used")
        {
            // Issue 16: the PVA settled this validation but its answer was lost (it, or the DPF, was killed): the challenge is single-use,
            // so the SHO starts another validation (docs/decisions/022).
            await ValidationSettledAsync(p, ct).ConfigureAwait(false);
            return;
        }
        var verdict = PvaVerdictCheck.Check(verifier, answer.Verdict, time.GetUtcNow(), p.Pcid, p.ValidationId, p.PfcAttestation!, p.PfcEncryption!, null,
            out var type, out var detail);
        if (verdict is null)
        {
            await FailAsync(p, $"{type}: {detail}", ct).ConfigureAwait(false);
            return;
        }
        var next = verdict.IsValid
            ? p with { State = DpfProvisioning.Validated, Verdict = answer.Verdict, UpdatedAt = time.GetUtcNow() }
            : p with { State = DpfProvisioning.Failed, Verdict = answer.Verdict, Reason = "platform-invalid: " + ShoEndpoints.Clip(verdict.Reason ?? ""), UpdatedAt = time.GetUtcNow() };
        if (!await MoveAsync(next, DpfProvisioning.Attesting, "dpf.verdict", $"{verdict.Result}, validation {p.ValidationId}", ct).ConfigureAwait(false))
            return;
        try
        {
            await new ShoClient(peers.For(p.ShoId)).SubmitVerdictAsync(p.Pcid, new ShoVerdictRequest(p.ValidationId, answer.Verdict), ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is HttpRequestException or PeerUnavailableException or TaskCanceledException)
        {
            // Away: stays validated and the verdict goes again soon (decision 063), else by the resumption sweep; refused: failed.
            if (verdict.IsValid && ShoResumption.IsTransient(e))
                RetrySoon(p.Pcid);
            else if (verdict.IsValid)
                await FailAsync(next, "sho-refused-verdict: " + ShoEndpoints.Clip(e.Message), ct).ConfigureAwait(false);
        }
    }

    /// <summary>Steps 20–21: the DM status of the Replace (and the TRE's code read back) to the SHO.</summary>
    private async Task DownloadedAsync(DpfProvisioning p, DmJobRecord job, CancellationToken ct)
    {
        var code = Results(job).GetValueOrDefault($"{M2MSimMobj}/Status");
        var write = job.Commands.FirstOrDefault(c => c.Uri == $"{M2MSimMobj}/Object");
        // Issue 16: a session lost mid-download leaves the TRE's answer unknown — a check job asks the TRE before anything is decided.
        var checkedInstalled = await DownloadUnknownAsync(p, job, write, ct).ConfigureAwait(false);
        if (checkedInstalled == false)
            return;
        var installed = checkedInstalled == true || (job.State == "done" && write?.Status == 200 && code == "installed");
        var detail = ShoEndpoints.Clip($"{code ?? "no status"}; DM status {write?.Status?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "none"}"
            + (job.Reason is null ? "" : $"; job {job.Reason}"));
        var next = p with
        {
            State = installed ? DpfProvisioning.Installed : DpfProvisioning.Failed,
            Result = installed ? "installed" : "failed",
            Reason = installed ? null : InstallFailed + detail,
            UpdatedAt = time.GetUtcNow(),
        };
        if (!await MoveAsync(next, DpfProvisioning.Downloading, "dpf.download." + next.Result, detail, ct).ConfigureAwait(false))
            return;
        await ReportAsync(next, ct).ConfigureAwait(false);
    }

    /// <summary>
    /// Step 21: the download's outcome to the SHO, marked reported once the SHO took it (or already knew it: 409). A SHO that is away
    /// leaves the mark unset: the report goes again soon (decision 063), and <see cref="ReportPendingAsync"/> tries again after that — the
    /// SHO never stays "downloading" for an install that happened.
    /// </summary>
    internal async Task<bool> ReportAsync(DpfProvisioning p, CancellationToken ct)
    {
        try
        {
            await new ShoClient(peers.For(p.ShoId)).ReportStatusAsync(p.Pcid, new ShoStatusRequest(p.Result, ReportDetail(p)), ct)
                .ConfigureAwait(false);
        }
        catch (PeerRequestException e) when (e.StatusCode == System.Net.HttpStatusCode.Conflict)
        {
            // The SHO already has an outcome for this PCID (an earlier report that got through before its answer was lost).
        }
        catch (Exception e) when (e is HttpRequestException or PeerUnavailableException or TaskCanceledException)
        {
            logger?.LogWarning("dpf provisioning {Pcid}: the SHO did not take the step-21 report yet ({Message}); retrying", p.Pcid, e.Message);
            RetrySoon(p.Pcid);
            return false;
        }
        return await MoveAsync(p with { ReportedToSho = true, UpdatedAt = time.GetUtcNow() }, p.State, "dpf.status.reported", p.Result ?? "", ct).ConfigureAwait(false);
    }

    /// <summary>What the SHO is told beside the result: the TRE's code and the DM status (the SHO adds its own "install-failed: ").</summary>
    private static string ReportDetail(DpfProvisioning p) =>
        p.Reason is { } reason && reason.StartsWith(InstallFailed, StringComparison.Ordinal) ? reason[InstallFailed.Length..] : p.Reason ?? p.Result ?? "";

    private const string InstallFailed = "install-failed: ";

    /// <summary>Reports every finished download whose outcome has not reached the SHO yet; returns how many went through.</summary>
    public async Task<int> ReportPendingAsync(CancellationToken ct)
    {
        using var sweeping = SweepScope(); // decision 063: the reporter's failures start no quick retries
        var reported = 0;
        // Only the records awaiting a report, by index (issue 16: a scan of every record every 5 s made the cost grow with the fleet's square).
        foreach (var record in await state.Dpf.ListAwaitingReportAsync(1000, ct).ConfigureAwait(false))
        {
            var p = record;
            if (DpfProvisioning.AwaitsShoReport(p) && await ReportAsync(p, ct).ConfigureAwait(false))
            {
                reported++;
                p = p with { ReportedToSho = true };
            }
            // Issue 16: an ended change whose outcome the DRF has not taken yet (the old SHO away, say: the DRF answers 502 until it takes
            // the release). Schema v22 indexes these too; before, a change reported once to the SHO was never found again.
            if (ChangeToReport(p) && await state.Dpf.FindAsync(p.Pcid, ct).ConfigureAwait(false) is { } now && ChangeToReport(now))
                await ReportChangeAsync(now, ct).ConfigureAwait(false);
        }
        // Issue 16: the instruction outcomes the signing SHO has not taken yet (docs/decisions/021).
        reported += await ReportDueInstructionsAsync(ct).ConfigureAwait(false);
        return reported;
    }

    /// <summary>A change that ended and the DRF does not know yet: failed, or installed once the new SHO took step 21 (its HSS has the IMSI).</summary>
    private static bool ChangeToReport(DpfProvisioning p) => DpfProvisioning.AwaitsChangeReport(p);

    /// <summary>
    /// Issue 16: a change's outcome to the DRF — installed (after step 21 reached the new SHO) or failed — marked once the DRF took it;
    /// the DRF then tells the old SHO. Until then <see cref="ReportPendingAsync"/> tries again.
    /// </summary>
    private async Task ReportChangeAsync(DpfProvisioning p, CancellationToken ct)
    {
        var result = p.State == DpfProvisioning.Installed ? "installed" : "failed";
        try
        {
            await new DrfClient(peers.For("drf")).ReportChangeAsync(p.Pcid, new DrfChangeStatusRequest(result, p.Reason is null ? null : ShoEndpoints.Clip(p.Reason)), ct)
                .ConfigureAwait(false);
        }
        catch (PeerRequestException e) when (e.StatusCode == System.Net.HttpStatusCode.Conflict)
        {
            // The DRF already has this change's outcome.
        }
        catch (Exception e) when (e is HttpRequestException or PeerUnavailableException or TaskCanceledException)
        {
            logger?.LogWarning("dpf change {Pcid}: the DRF did not take the outcome yet ({Message}); retrying", p.Pcid, e.Message);
            return;
        }
        await MoveAsync(p with { ReportedToDrf = true, UpdatedAt = time.GetUtcNow() }, p.State, "dpf.change.reported", result, ct).ConfigureAwait(false);
    }

    /// <summary>What an instruction the DPF checked when it took it names (its own copy, from its store): no signature check again.</summary>
    private static (string Imsi, string Operation, ulong Sequence, string Sho)? InstructionFields(string? b64)
    {
        try
        {
            var doc = System.Xml.Linq.XDocument.Parse(System.Text.Encoding.UTF8.GetString(Convert.FromBase64String(b64 ?? "")));
            var ns = System.Xml.Linq.XNamespace.Get(M2MSec.Provisioning.Objects.McimInstruction.Namespace);
            string Value(string name) => doc.Root?.Element(ns + name)?.Value ?? throw new FormatException(name);
            return (Value("IMSI"), Value("Operation"), ulong.Parse(Value("Sequence"), System.Globalization.CultureInfo.InvariantCulture), Value("SHO"));
        }
        catch (Exception e) when (e is FormatException or System.Xml.XmlException or OverflowException)
        {
            return null;
        }
    }

    internal async Task FailAsync(DpfProvisioning p, string reason, CancellationToken ct)
    {
        await MoveAsync(p with { State = DpfProvisioning.Failed, Reason = reason, UpdatedAt = time.GetUtcNow() }, p.State, "dpf.provisioning.failed", reason, ct)
            .ConfigureAwait(false);
    }

    /// <summary>
    /// Moves the provisioning from <paramref name="expectedState"/> to <paramref name="next"/> with its entry, in one transaction (decision 036):
    /// false (and no entry) if it was no longer in that state.
    /// </summary>
    internal async Task<bool> MoveAsync(DpfProvisioning next, string expectedState, string action, string detail, CancellationToken ct)
    {
        if (!await state.Dpf.UpdateAsync(next, expectedState, new AuditRecord(Actor, action, next.Pcid, detail), ct).ConfigureAwait(false))
            return false;
        steps?.Audited(action, next.Pcid);
        return true;
    }

    internal async ValueTask AuditAsync(string action, string subject, string detail, CancellationToken ct, string actor = Actor)
    {
        await state.Audit.AppendAsync(actor, action, subject, detail, ct).ConfigureAwait(false);
        steps?.Audited(action, subject);
    }

    /// <summary>The Results of a job's Gets, by URI.</summary>
    internal static Dictionary<string, string> Results(DmJobRecord job) =>
        job.Commands.Where(c => c.Verb == "get" && c.Status == 200 && c.Results is not null).GroupBy(c => c.Uri).ToDictionary(g => g.Key, g => g.Last().Results!, StringComparer.Ordinal);

    internal static byte[]? Base64(string? text)
    {
        if (string.IsNullOrEmpty(text))
            return null;
        var buffer = new byte[text.Length];
        return Convert.TryFromBase64String(text.Trim(), buffer, out var n) && n > 0 ? buffer[..n] : null;
    }

    /// <summary>
    /// A new DM job of <paramref name="commands"/> (verb, URI, value, format) for the device <paramref name="pcid"/>; with <paramref name="entry"/>
    /// (action, detail) its audit entry commits with it (decision 036).
    /// </summary>
    internal async Task QueueAsync(string pcid, string id, IReadOnlyList<(string Verb, string Uri, string? Value, string? Format)> commands, CancellationToken ct,
        (string Action, string Detail)? entry = null) =>
        await QueueAsync(pcid, id, commands, entry, change: null, ct).ConfigureAwait(false);

    /// <summary>
    /// Decision 055: <paramref name="change"/> — the provisioning's move that queues the job, and what goes with it — the job and its entry
    /// in one commit; the device's waiting session (decision 038) is told after it, never of a job a failure could still take away. False,
    /// with nothing written, when <paramref name="change"/> refuses before writing; a change that refuses after writing throws (all undone).
    /// </summary>
    internal async Task<bool> QueueAsync(string pcid, string id, IReadOnlyList<(string Verb, string Uri, string? Value, string? Format)> commands,
        (string Action, string Detail)? entry, Func<ValueTask<bool>>? change, CancellationToken ct, string actor = Actor)
    {
        var now = time.GetUtcNow();
        var job = new DmJobRecord(id, pcid, "queued", now, now,
            [.. commands.Select((c, i) => new DmCommandRecord(id, i + 1, c.Verb, c.Uri, c.Value, null, null, Format: c.Format))]);
        var audit = entry is { } e ? new AuditRecord(actor, e.Action, pcid, e.Detail) : null;
        var queued = await state.InOneCommitAsync(async () =>
        {
            if (change is not null && !await change().ConfigureAwait(false))
                return false;
            await state.Dm.AddJobAsync(job, audit, ct).ConfigureAwait(false);
            return true;
        }, ct).ConfigureAwait(false);
        if (!queued)
            return false;
        _next.Queued(pcid);
        if (entry is { } done)
            steps?.Audited(done.Action, pcid);
        return true;
    }

    /// <summary>A DM job id (recorded with the provisioning before the job is queued, so its end always finds it).</summary>
    internal static string NewJobId() => "dm-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8));

    internal static string B64Text(byte[] bytes) => Convert.ToBase64String(bytes);

    internal static byte[] Utf8(string s) => Encoding.UTF8.GetBytes(s);
}

/// <summary>Every 5 s (and at start): finished downloads whose outcome the SHO has not taken yet are reported again (step 21).</summary>
internal sealed class DpfStatusReporter(DpfProvisionings provisionings, TimeProvider time) : Microsoft.Extensions.Hosting.BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(5), time);
        do
        {
            try
            {
                await provisionings.ReportPendingAsync(stoppingToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // The store is away for a moment: the next tick tries again.
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
    }
}
