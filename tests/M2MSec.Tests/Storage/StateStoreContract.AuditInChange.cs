using M2MSec.Storage.Audit;
using M2MSec.Storage.Bsf;
using M2MSec.Storage.Dm;
using M2MSec.Storage.Pva;

namespace M2MSec.Tests.Storage;

/// <summary>
/// Decision 036: a DM change given its audit entry commits with it — the entry only if the change was made (a lost compare-and-swap
/// writes none), and the change never without its entry (an entry that cannot be written undoes the change).
/// </summary>
public abstract partial class StateStoreContract
{
    private static AuditRecord DmEntry(string action, string detail) => new("dm-server", action, "dev-36", detail);

    private async Task<IReadOnlyList<string>> ActionsAfterAsync(long sequence) =>
        [.. (await Store.Audit.ReadAsync(sequence)).Select(e => e.Action)];

    [Fact]
    public async Task DmChange_AndItsAuditEntry_CommitTogether_ALostOrFailedChangeLeavesNoEntry()
    {
        var now = Clock.GetUtcNow();
        Assert.True(await Store.Dm.AddAccountAsync(new DmAccount("dev-36", "srv", "u", "c"u8.ToArray(), "s"u8.ToArray(), "md5", "md5", now)));
        var start = await Store.Audit.LastSequenceAsync();

        await Store.Dm.AddJobAsync(new DmJobRecord("job-36", "dev-36", "queued", now, now, [new("job-36", 1, "get", "./DevInfo/Mod", null, null, null)]),
            new AuditRecord("cli", "dm.job.add", "dev-36", "job-36: 1 commands"));
        Assert.True(await Store.Dm.ReplaceClientNonceAsync("dev-36", null, "QQ==", now.AddMinutes(10), null, DmEntry("dm.session.start", "session 1, auth md5")));
        Assert.True(await Store.Dm.SetJobStateAsync("job-36", "running", ["queued"], DmEntry("dm.job.running", "job-36: session 1")));
        Assert.Empty(await Store.Dm.ListQueuedJobsAsync("dev-36"));
        Assert.Equal(["dm.job.add", "dm.session.start", "dm.job.running"], await ActionsAfterAsync(start));

        // A change that does not happen (its compare-and-swap lost: a replayed nonce, a job no longer in that state) writes no entry.
        var mark = await Store.Audit.LastSequenceAsync();
        Assert.False(await Store.Dm.ReplaceClientNonceAsync("dev-36", null, "Qg==", now.AddMinutes(10), null, DmEntry("dm.session.start", "session 2, auth md5")));
        Assert.False(await Store.Dm.SetJobStateAsync("job-36", "running", ["queued"], DmEntry("dm.job.running", "job-36: session 2")));
        Assert.False(await Store.Dm.FailJobAsync("job-36", "session-expired", ["queued"], DmEntry("dm.job.failed", "job-36: session-expired")));
        Assert.False(await Store.Dm.FailJobAsync("job-none", "session-expired", ["running"], DmEntry("dm.job.failed", "job-none: session-expired")));
        Assert.Empty(await ActionsAfterAsync(mark));

        // An entry that cannot be written: the change is not made either (rolled back in SQL, refused first in memory).
        var bad = new AuditRecord("dm-server", "", "dev-36", null);
        await Assert.ThrowsAnyAsync<ArgumentException>(async () => await Store.Dm.FailJobAsync("job-36", "command-failed", ["running"], bad));
        await Assert.ThrowsAnyAsync<ArgumentException>(async () => await Store.Dm.SetJobStateAsync("job-36", "done", ["running"], bad));
        await Assert.ThrowsAnyAsync<ArgumentException>(async () => await Store.Dm.ReplaceClientNonceAsync("dev-36", "QQ==", "Qw==", now.AddMinutes(10), null, bad));
        await Assert.ThrowsAnyAsync<ArgumentException>(async () => await Store.Dm.RecordSessionAsync("dev-36", now, DmSessionOutcomes.Completed, null, bad));
        await Assert.ThrowsAnyAsync<ArgumentException>(async () =>
            await Store.Dm.AddJobAsync(new DmJobRecord("job-37", "dev-36", "queued", now, now, [new("job-37", 1, "get", "./DevInfo/Man", null, null, null)]), bad));
        Assert.Equal("running", (await Store.Dm.FindJobAsync("job-36"))!.State);
        Assert.Null(await Store.Dm.FindJobAsync("job-37"));
        Assert.Equal("QQ==", (await Store.Dm.FindAccountAsync("dev-36"))!.ClientNonce);
        Assert.Null((await Store.Dm.GetDeviceReportAsync("dev-36")).LastSession);
        Assert.Empty(await ActionsAfterAsync(mark));

        // The session's end: the job's move and the session's record, each with its entry.
        Assert.True(await Store.Dm.SetJobStateAsync("job-36", "done", ["running"], DmEntry("dm.job.done", "job-36")));
        await Store.Dm.RecordSessionAsync("dev-36", now, DmSessionOutcomes.Completed, null, DmEntry("dm.session.end", "session 1: completed"));
        Assert.Equal("done", (await Store.Dm.FindJobAsync("job-36"))!.State);
        Assert.Equal(DmSessionOutcomes.Completed, (await Store.Dm.GetDeviceReportAsync("dev-36")).LastSession!.Outcome);
        var entries = await Store.Audit.ReadAsync(mark);
        Assert.Equal(["dm.job.done", "dm.session.end"], entries.Select(e => e.Action));
        Assert.All(entries, e => Assert.Equal(("dm-server", "dev-36"), (e.Actor, e.Subject)));
    }

    /// <summary>Decision 036 beyond the DM: the BSF's context and the VNO's MTC features commit with their entry; a bad entry undoes the change.</summary>
    [Fact]
    public async Task BsfContext_AndMtcFeatures_CommitWithTheirEntry_ABadEntryUndoesTheChange()
    {
        var at = Clock.GetUtcNow();
        var bad = new AuditRecord("bsf", "", "i@x", null);
        var mark = await Store.Audit.LastSequenceAsync();
        var context = new BsfBootstrappingContext("AQEBAQEBAQEBAQEBAQEBAQ==@bsf", "i@x", Enumerable.Repeat((byte)1, 16).ToArray(), Enumerable.Repeat((byte)2, 32).ToArray(), "gba_me",
            at, at.AddHours(1));
        await Assert.ThrowsAnyAsync<ArgumentException>(async () => await Store.Bsf.PutContextAsync(context, bad));
        await Assert.ThrowsAnyAsync<ArgumentException>(async () => await Store.MtcGroups.SetFeaturesAsync("001010000000036", ["triggering"], bad));
        Assert.Null(await Store.Bsf.FindContextAsync(context.BTid));
        Assert.Empty(await Store.MtcGroups.GetFeaturesAsync("001010000000036"));
        Assert.Empty(await ActionsAfterAsync(mark));

        await Store.Bsf.PutContextAsync(context, new AuditRecord("bsf", "bsf.bootstrapped", "i@x", $"{context.BTid} gba_me"));
        await Store.MtcGroups.SetFeaturesAsync("001010000000036", ["triggering"], new AuditRecord("admin", "vno.features.set", "001010000000036", "triggering"));
        Assert.NotNull(await Store.Bsf.FindContextAsync(context.BTid));
        Assert.Equal(["triggering"], await Store.MtcGroups.GetFeaturesAsync("001010000000036"));
        Assert.Equal(["bsf.bootstrapped", "vno.features.set"], await ActionsAfterAsync(mark));
    }

    /// <summary>Decision 036 at the PVA: a validation started and settled with its entry; the losing settlement (its challenge used) writes none.</summary>
    [Fact]
    public async Task PvaValidation_StartAndSettlement_CommitWithTheirEntry_TheLosingSettlementWritesNone()
    {
        var now = Clock.GetUtcNow();
        var mark = await Store.Audit.LastSequenceAsync();
        await Store.Pva.AddValidationAsync(new PvaValidation("val-36", "001010000000036", [1], [2], [3], [4], "sho", now, now.AddMinutes(1), PvaValidation.Pending),
            new AuditRecord("sho", "pva.validation.start", "001010000000036", "val-36"));
        Assert.True(await Store.Pva.CompleteValidationAsync("val-36", "valid", null, "verdict-1", now, new AuditRecord("pva", "pva.validation.valid", "001010000000036", "val-36")));
        Assert.False(await Store.Pva.CompleteValidationAsync("val-36", "invalid", "late", "verdict-2", now, new AuditRecord("pva", "pva.validation.invalid", "001010000000036", "val-36")));
        Assert.Equal(("valid", "verdict-1"), ((await Store.Pva.FindValidationAsync("val-36"))!.State, (await Store.Pva.FindValidationAsync("val-36"))!.Verdict));
        Assert.Equal(["pva.validation.start", "pva.validation.valid"], await ActionsAfterAsync(mark));
    }
}
