using M2MSec.NetworkFunctions.Dpf;
using M2MSec.NetworkFunctions.Hosting;
using M2MSec.NetworkFunctions.Sho;
using M2MSec.Storage.Dpf;
using M2MSec.Storage.InMemory;
using M2MSec.Tests.Support;

namespace M2MSec.Tests.Provisioning;

/// <summary>
/// Issue 19 (schema v29): the DPF's resumption reads the ongoing provisionings untouched since its cut-off by index and in pages of
/// <see cref="DpfProvisionings.ResumePage"/> — and still takes every one of them a step further, however many pages they fill.
/// </summary>
public sealed class DpfResumptionPagingTests
{
    [Fact]
    public async Task MoreStaleRecordsThanAPage_EveryOneResumed_FinishedAndRecentOnesLeftAlone()
    {
        var clock = new HostClock(new DateTimeOffset(2026, 12, 5, 12, 0, 0, TimeSpan.Zero));
        var store = new InMemoryStateStore(clock);
        var old = clock.GetUtcNow() - TimeSpan.FromMinutes(1);
        var stale = Enumerable.Range(0, 2 * DpfProvisionings.ResumePage + 17).Select(i => $"0019000{i:D8}").ToList();
        // Killed between the record's write and its read job's: in "reading" without a job id, the resumption queues the job.
        foreach (var pcid in stale)
            Assert.True(await store.Dpf.AddAsync(new DpfProvisioning(pcid, "sho", DpfProvisioning.Reading, old, old)));
        Assert.True(await store.Dpf.AddAsync(new DpfProvisioning("001800000000001", "sho", DpfProvisioning.Installed, old, old)));
        Assert.True(await store.Dpf.AddAsync(new DpfProvisioning("001800000000002", "sho", DpfProvisioning.Reading, clock.GetUtcNow(), clock.GetUtcNow())));
        var dpf = new DpfProvisionings(store, new PeerClients(new NetworkFunctionPeers()), new PvaVerdictVerifier(null, null, TimeSpan.FromMinutes(5)), clock);

        Assert.Equal(stale.Count, await dpf.ResumeAsync(null, TimeSpan.FromSeconds(5), TestContext.Current.CancellationToken));

        foreach (var pcid in stale)
        {
            var p = (await store.Dpf.FindAsync(pcid))!;
            Assert.NotNull(p.ReadJobId);
            Assert.Equal("queued", (await store.Dm.FindJobAsync(p.ReadJobId!))!.State);
        }
        Assert.Null((await store.Dpf.FindAsync("001800000000002"))!.ReadJobId); // touched just now: not yet
        Assert.Empty(await store.Dm.ListJobsAsync("001800000000001"));
    }
}
