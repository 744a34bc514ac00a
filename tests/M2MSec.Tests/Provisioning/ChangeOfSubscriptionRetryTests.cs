using System.Net;
using M2MSec.Device.Tre;
using M2MSec.NetworkFunctions.Dm;
using M2MSec.NetworkFunctions.Dpf;
using M2MSec.NetworkFunctions.Drf;
using M2MSec.NetworkFunctions.Hosting;
using M2MSec.NetworkFunctions.Hss;
using M2MSec.NetworkFunctions.Sho;
using M2MSec.Storage;
using M2MSec.Tests.Support;
using Microsoft.Extensions.DependencyInjection;

namespace M2MSec.Tests.Provisioning;

/// <summary>
/// Issue 16 (docs/decisions/021): every notification of the change of subscription is durable and retried — the instruction outcome
/// (DPF → old SHO) and the release (DRF → old SHO) reach an old SHO that was away, also from a restarted DPF — and a refused change can
/// be asked again.
/// </summary>
public sealed partial class ChangeOfSubscriptionTests
{
    /// <summary>A loopback address nobody listens on: the peer is away.</summary>
    private static Uri Nowhere() => new($"https://127.0.0.1:{LoopbackPort.Free()}/");

    private async Task<DrfChangeDto> ChangeStateAsync(string pcid, Func<string, bool> until, CancellationToken ct)
    {
        using var drf = _fleet.AdminClient("drf", Timeout);
        var deadline = DateTime.UtcNow + Timeout;
        DrfChangeDto change;
        while (!until((change = await new DrfClient(drf).GetChangeAsync(pcid, ct)).State) && DateTime.UtcNow < deadline)
            await Task.Delay(50, ct);
        return change;
    }

    private async Task AssertOldImsiRefusedAsync(string oldImsi, CancellationToken ct)
    {
        using var asVno = await _fleet.ClientAsAsync("vno", "hss", Timeout, ct);
        var refused = await Assert.ThrowsAsync<HssRequestException>(() => new HssClient(asVno).GetVectorsAsync(oldImsi, 1, null,
            Convert.ToHexStringLower(M2MSec.NetworkFunctions.Vno.PlmnId.Encode("00102")), ct));
        Assert.Equal(HttpStatusCode.NotFound, refused.StatusCode);
    }

    /// <summary>
    /// Issue 16, item 1: the old SHO is away while the TRE applies its disable and delete. The outcome stays owed in the DPF's store; the
    /// DPF is then stopped, and a new DPF over the same store (nothing of the old one's memory) delivers it once the SHO is back — with no
    /// new request the old SHO retires the IMSI (AKA refused) and marks the subscription moved; a repeated report changes nothing.
    /// </summary>
    [Fact]
    public async Task OldShoAwayWhileTreDeletes_OutcomeKeptAndRetried_RestartedDpfDelivers_OldImsiRetired_LostInstructionOutcomeThreat()
    {
        var ct = TestContext.Current.CancellationToken;
        const string pcid = "001900000000311";
        var (device, oldImsi) = await ProvisionedAtShoAsync(pcid, ct, tokenToShoB: false);
        // The RO tells sho its device moved (as after step 21 of a change): sho signs disable and delete and hands them to the DPF.
        using (var asDrf = await _fleet.ClientAsAsync("drf", "sho", Timeout, ct))
            Assert.Equal("releasing", (await new ShoClient(asDrf).ReleaseAsync(pcid, new ShoReleaseRequest(ShoOptions.SecondShoId), ct)).State);
        var sho = _fleet.Peers.Find("sho")!;
        _fleet.Peers.Set("sho", Nowhere());

        await SessionsAsync(device, ct, idle: 3);
        var dpf = _fleet["dpf"].Services.GetRequiredService<DpfProvisionings>();
        await dpf.IdleAsync();
        Assert.Empty(device.Tre.InstalledMcims().Mcims);
        Assert.Equal("releasing", (await SubscriptionAsync("sho", pcid, ct)).State);
        var store = _fleet["dpf"].Services.GetRequiredService<IStateStore>();
        var owed = Assert.Single(await store.Dpf.ListDueInstructionReportsAsync(DateTimeOffset.MaxValue, 10, ct), r => r.Pcid == pcid);
        Assert.True(owed.Attempts >= 1);

        // A restart: the DPF stops, a new one over the same store; sho is back.
        await _fleet["dpf"].StopAsync();
        _fleet.Peers.Set("sho", sho);
        var restarted = new DpfProvisionings(store, _fleet["dpf"].Services.GetRequiredService<PeerClients>(),
            _fleet["dpf"].Services.GetRequiredService<IPvaVerdictVerifier>(), TimeProvider.System);
        var until = DateTime.UtcNow + Timeout;
        while ((await SubscriptionAsync("sho", pcid, ct)).State != "moved" && DateTime.UtcNow < until)
        {
            await restarted.ReportPendingAsync(ct);
            await Task.Delay(200, ct);
        }

        var moved = await SubscriptionAsync("sho", pcid, ct);
        Assert.Equal("moved", moved.State);
        Assert.DoesNotContain(await store.Dpf.ListDueInstructionReportsAsync(DateTimeOffset.MaxValue, 10, ct), r => r.Pcid == pcid);
        await AssertOldImsiRefusedAsync(oldImsi, ct);

        // Idempotent at the SHO: the same report again is 200 with the same body, and nothing moves.
        using var asDpf = await _fleet.ClientAsAsync("dpf", "sho", Timeout, ct);
        var again = await new ShoClient(asDpf).ReportInstructionsAsync(pcid, new ShoInstructionStatusRequest(
            [new McimInstructionOutcome(oldImsi, "delete", 2, "applied", "deleted")]), ct);
        Assert.Equal((pcid, "moved", oldImsi), (again.Pcid, again.State, again.Imsi));
        Assert.Equal((moved.State, moved.Reason, moved.UpdatedAt), ((await SubscriptionAsync("sho", pcid, ct)).State, (await SubscriptionAsync("sho", pcid, ct)).Reason,
            (await SubscriptionAsync("sho", pcid, ct)).UpdatedAt));
    }

    /// <summary>
    /// Issue 16: the old SHO's disable and delete reached the TRE, which applied both, but the DM session died with the DPF before the
    /// answer came back; the restarted DPF's engine fails the job "session-expired". Before, that was reported to the SHO as "failed" and
    /// the subscription stayed releasing for ever. Now a restarted DPF (nothing of the old one's memory) sends the same signed documents
    /// again; the TRE answers the delete "already-applied" (the disable, for a deleted MCIM, not-installed), and the old SHO, told the
    /// delete is applied, retires the IMSI (AKA refused) and marks the subscription moved. Nothing was applied twice.
    /// </summary>
    [Fact]
    public async Task InstructionSessionLost_DpfKilledMidSession_InstructionsResent_OldMcimDeleted_SubscriptionMoved_LostInstructionSessionThreat()
    {
        var ct = TestContext.Current.CancellationToken;
        const string pcid = "001900000000314";
        var (device, oldImsi) = await ProvisionedAtShoAsync(pcid, ct, tokenToShoB: false);
        var store = _fleet["dpf"].Services.GetRequiredService<IStateStore>();
        using (var asDrf = await _fleet.ClientAsAsync("drf", "sho", Timeout, ct))
            Assert.Equal("releasing", (await new ShoClient(asDrf).ReleaseAsync(pcid, new ShoReleaseRequest(ShoOptions.SecondShoId), ct)).State);
        var owed = Assert.Single(await store.Dpf.ListDueInstructionReportsAsync(DateTimeOffset.MaxValue, 10, ct), r => r.Pcid == pcid);
        var job = (await store.Dm.FindJobAsync(owed.JobId, ct))!;

        // The session that died with the DPF: the job was handed out, the TRE applied both instructions, the device's answer was lost.
        Assert.True(await store.Dm.SetJobStateAsync(job.Id, "running", ["queued"], ct));
        var documents = job.Commands.Where(c => c.Uri == $"{DpfProvisionings.M2MSimMobj}/Instruction").Select(c => c.Value!).ToList();
        Assert.Equal(2, documents.Count);
        foreach (var document in documents)
            Assert.True(device.Tre.ApplyMcimInstruction(TreCaller.Provisioning, Convert.FromBase64String(document)).IsApplied);
        Assert.Empty(device.Tre.InstalledMcims().Mcims);
        // The restarted DPF's DM engine: a running job no live session holds has lost its session.
        Assert.True(await store.Dm.FailJobAsync(job.Id, DpfProvisionings.LostSession, ["running"], ct));
        var restarted = new DpfProvisionings(store, _fleet["dpf"].Services.GetRequiredService<PeerClients>(),
            _fleet["dpf"].Services.GetRequiredService<IPvaVerdictVerifier>(), TimeProvider.System);
        await restarted.HandleAsync(new DmJobFinished(job.Id, pcid, "failed", DpfProvisionings.LostSession));
        var releasing = await SubscriptionAsync("sho", pcid, ct);
        Assert.Equal("releasing", releasing.State);
        Assert.DoesNotContain("failed", releasing.Reason ?? "", StringComparison.Ordinal);

        var until = DateTime.UtcNow + Timeout;
        while ((await SubscriptionAsync("sho", pcid, ct)).State != "moved" && DateTime.UtcNow < until)
        {
            await restarted.ReportPendingAsync(ct);
            await SessionsAsync(device, ct, idle: 2);
            await _fleet["dpf"].Services.GetRequiredService<DpfProvisionings>().IdleAsync();
            await Task.Delay(200, ct);
        }

        Assert.Equal("moved", (await SubscriptionAsync("sho", pcid, ct)).State);
        await AssertOldImsiRefusedAsync(oldImsi, ct);
        // The same signed documents, byte for byte, went again; the TRE applied nothing the second time.
        var again = (await store.Dm.FindJobAsync(DpfProvisionings.ReissuedJobId(job.Id), ct))!;
        // The disable of a deleted MCIM is refused (not-installed: the job ends "command-failed", an answer, not a lost session); the
        // delete is the one applied before.
        Assert.Equal(("failed", "command-failed"), (again.State, again.Reason));
        Assert.Equal([405, 200], again.Commands.Where(c => c.Verb == "replace").Select(c => c.Status));
        Assert.Equal(documents, again.Commands.Where(c => c.Uri == $"{DpfProvisionings.M2MSimMobj}/Instruction").Select(c => c.Value!));
        Assert.Equal(["not-installed", "already-applied"], again.Commands.Where(c => c.Verb == "get").Select(c => c.Results));
        Assert.Empty(device.Tre.InstalledMcims().Mcims);
        Assert.DoesNotContain(await store.Dpf.ListDueInstructionReportsAsync(DateTimeOffset.MaxValue, 10, ct), r => r.Pcid == pcid);
    }

    /// <summary>
    /// Issue 16, item 1: the old SHO is away when the change's MCIM is installed, so the DRF cannot tell it (502). The DPF keeps the change's
    /// outcome owed and reports it again; once the SHO is back, with no new request, it is released, deletes its MCIM and retires the IMSI.
    /// </summary>
    [Fact]
    public async Task OldShoAwayAtRelease_ChangeOutcomeReportedAgain_ReleasedOnceBack_OldMcimDeleted_LostReleaseThreat()
    {
        var ct = TestContext.Current.CancellationToken;
        const string pcid = "001900000000312";
        var (device, oldImsi) = await ProvisionedAtShoAsync(pcid, ct);
        var sho = _fleet.Peers.Find("sho")!;
        _fleet.Peers.Set("sho", Nowhere());

        await RequestChangeAsync(pcid, ct);
        var sessions = SessionsAsync(device, ct);
        Assert.Equal("installed", (await ChangeStateAsync(pcid, s => s == "installed", ct)).State);
        await Task.Delay(300, ct);
        Assert.Equal("installed", (await ChangeStateAsync(pcid, _ => true, ct)).State);
        _fleet.Peers.Set("sho", sho);

        var result = await sessions;
        Assert.True(result.Changed && result.OldDeleted, $"{result.Outcome}: {result.Detail}");
        Assert.Equal("moved", (await WaitForAsync("sho", pcid, "moved", ct)).State);
        Assert.Equal("released", (await ChangeStateAsync(pcid, s => s == "released", ct)).State);
        await AssertOldImsiRefusedAsync(oldImsi, ct);
    }

    /// <summary>
    /// Issue 16, item 2: a change sho-b refused (the PVA could not vouch for the platform: its revocation check had no answer) is asked
    /// again once the PVA can validate the device — the same request starts a new attempt and completes; asked a third time it is 409
    /// naming a completed change.
    /// </summary>
    [Fact]
    public async Task ChangeRefusedNotValidated_DeviceValidatedLater_SameChangeAskedAgain_Completes_RefusedChangeCannotBeRetriedItem()
    {
        var ct = TestContext.Current.CancellationToken;
        const string pcid = "001900000000313";
        var (device, oldImsi) = await ProvisionedAtShoAsync(pcid, ct);
        var ccif = _fleet.Peers.Find("ccif")!;
        _fleet.Peers.Set("ccif", Nowhere());

        await RequestChangeAsync(pcid, ct);
        Assert.Equal("nothing-pending", (await SessionsAsync(device, ct, idle: 12)).Outcome);
        var refused = await WaitForAsync(ShoOptions.SecondShoId, pcid, "refused", ct);
        Assert.Contains("pfc-revocation-unknown", refused.Reason, StringComparison.Ordinal);
        Assert.Equal("failed", (await ChangeStateAsync(pcid, s => s != "provisioning", ct)).State);
        Assert.Equal(oldImsi, device.Tre.InstalledMcims().ActiveImsi);

        // The PVA can check the PfC again: the same change, asked again, is a new attempt.
        _fleet.Peers.Set("ccif", ccif);
        var again = await RequestChangeAsync(pcid, ct);
        Assert.Equal(("sho", ShoOptions.SecondShoId), (again.FromSho, again.ToSho));
        var result = await SessionsAsync(device, ct);

        Assert.True(result.Changed && result.OldDeleted, $"{result.Outcome}: {result.Detail}");
        Assert.Equal("active", (await SubscriptionAsync(ShoOptions.SecondShoId, pcid, ct)).State);
        Assert.Equal("moved", (await WaitForAsync("sho", pcid, "moved", ct)).State);
        var completed = await Assert.ThrowsAsync<PeerRequestException>(() => RequestChangeAsync(pcid, ct));
        Assert.Equal((HttpStatusCode.Conflict, "change-completed"), (completed.StatusCode, completed.ProblemType));
    }
}
