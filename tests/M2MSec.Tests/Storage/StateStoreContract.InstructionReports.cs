using M2MSec.Storage.Dpf;

namespace M2MSec.Tests.Storage;

/// <summary>Issue 16 (schema v22): the DPF's outbox of instruction outcomes and the change outcomes awaiting the DRF — on every backend.</summary>
public abstract partial class StateStoreContract
{
    /// <summary>
    /// Issue 16: a row per instruction job, added once, listed when due (soonest first), rescheduled (added again if a race removed it),
    /// removed when the SHO took the outcome — what lets a lost outcome be reported again after a restart (LostInstructionOutcomeThreat).
    /// </summary>
    [Fact]
    public async Task DpfInstructionReport_AddedOnce_ListedWhenDue_Rescheduled_Removed_LostInstructionOutcomeThreat()
    {
        var now = Clock.GetUtcNow();
        var a = new DpfInstructionReport("dm-instr-a", "001900000000021", "sho", 0, now + TimeSpan.FromSeconds(2), now);
        var b = new DpfInstructionReport("dm-instr-b", "001900000000022", "sho-b", 0, now + TimeSpan.FromSeconds(1), now);
        Assert.True(await Store.Dpf.AddInstructionReportAsync(a));
        Assert.False(await Store.Dpf.AddInstructionReportAsync(a with { ShoId = "other" }));
        Assert.True(await Store.Dpf.AddInstructionReportAsync(b));
        Assert.Empty(await Store.Dpf.ListDueInstructionReportsAsync(now, 10));
        Assert.Equal(["dm-instr-b", "dm-instr-a"], (await Store.Dpf.ListDueInstructionReportsAsync(now + TimeSpan.FromSeconds(5), 10)).Select(r => r.JobId));
        Assert.Single(await Store.Dpf.ListDueInstructionReportsAsync(now + TimeSpan.FromSeconds(5), 1));

        await Store.Dpf.PutInstructionReportAsync(b with { Attempts = 3, NextAt = now + TimeSpan.FromMinutes(1) });
        var due = Assert.Single(await Store.Dpf.ListDueInstructionReportsAsync(now + TimeSpan.FromSeconds(5), 10));
        Assert.Equal(("dm-instr-a", "001900000000021", "sho", 0), (due.JobId, due.Pcid, due.ShoId, due.Attempts));
        var later = Assert.Single(await Store.Dpf.ListDueInstructionReportsAsync(now + TimeSpan.FromMinutes(2), 10), r => r.JobId == "dm-instr-b");
        Assert.Equal((3, "sho-b", now.ToUnixTimeMilliseconds()), (later.Attempts, later.ShoId, later.CreatedAt.ToUnixTimeMilliseconds()));

        Assert.True(await Store.Dpf.RemoveInstructionReportAsync("dm-instr-a"));
        Assert.False(await Store.Dpf.RemoveInstructionReportAsync("dm-instr-a"));
        await Store.Dpf.PutInstructionReportAsync(a with { Attempts = 1 });
        Assert.Equal(1, Assert.Single(await Store.Dpf.ListDueInstructionReportsAsync(now + TimeSpan.FromSeconds(5), 10)).Attempts);
    }

    /// <summary>Issue 16: an ended change whose outcome the DRF has not taken is found by the report index too (the release retried: LostReleaseThreat).</summary>
    [Fact]
    public async Task DpfProvisioning_ChangeAwaitingTheDrf_ListedUntilReported_LostReleaseThreat()
    {
        var now = Clock.GetUtcNow();
        var installed = new DpfProvisioning("001900000000031", "sho-b", DpfProvisioning.Installed, now, now, Result: "installed", ReportedToSho: true, PreviousShoId: "sho");
        Assert.True(await Store.Dpf.AddAsync(installed));
        Assert.True(await Store.Dpf.AddAsync(installed with { Pcid = "001900000000032", ReportedToDrf = true }));
        Assert.Equal(["001900000000031"], (await Store.Dpf.ListAwaitingReportAsync(100)).Select(p => p.Pcid));
        Assert.True(await Store.Dpf.UpdateAsync(installed with { ReportedToDrf = true }, DpfProvisioning.Installed));
        Assert.Empty(await Store.Dpf.ListAwaitingReportAsync(100));
    }
}
