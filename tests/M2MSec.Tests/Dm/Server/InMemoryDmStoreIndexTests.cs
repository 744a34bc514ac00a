using System.Diagnostics;
using M2MSec.Storage;
using M2MSec.Storage.Dm;
using M2MSec.Storage.InMemory;

namespace M2MSec.Tests.Dm.Server;

/// <summary>
/// Issue 19: the in-memory DM store found a job by scanning every job of every device (and listed a device's jobs the
/// same way), so each of a session's dozen job operations cost O(all jobs ever queued) — a tenth of the DM server's CPU
/// per session in `bench dm`, growing with the run. Now indexed by id and by device; the answers must not change.
/// </summary>
public sealed class InMemoryDmStoreIndexTests
{
    private static DmJobRecord Job(string id, string devId, DateTimeOffset at) => new(id, devId, "queued", at, at,
        [new DmCommandRecord(id, 1, "replace", "./NASConfig/A", "1", null, null), new DmCommandRecord(id, 2, "get", "./NASConfig/A", null, null, null)]);

    [Fact]
    public async Task Indexed_lookups_answer_as_the_scan_did_per_device_in_order_and_refuse_a_duplicate_IssueNineteen()
    {
        var ct = TestContext.Current.CancellationToken;
        var store = new InMemoryDmStore(TimeProvider.System);
        var t0 = DateTimeOffset.UnixEpoch;
        await store.AddJobAsync(Job("b", "dev1", t0.AddSeconds(2)), ct);
        await store.AddJobAsync(Job("x", "dev2", t0.AddSeconds(1)), ct);
        await store.AddJobAsync(Job("a", "dev1", t0.AddSeconds(2)), ct);
        await store.AddJobAsync(Job("c", "dev1", t0.AddSeconds(1)), ct);

        Assert.Equal(["c", "a", "b"], (await store.ListJobsAsync("dev1", ct)).Select(j => j.Id)); // CreatedAt, then id
        Assert.Equal(["x"], (await store.ListJobsAsync("dev2", ct)).Select(j => j.Id));
        Assert.Empty(await store.ListJobsAsync("dev3", ct));
        await Assert.ThrowsAsync<StoreException>(async () => await store.AddJobAsync(Job("a", "dev2", t0), ct));
        Assert.Equal(["x"], (await store.ListJobsAsync("dev2", ct)).Select(j => j.Id)); // the refused one left no trace

        Assert.True(await store.SetJobStateAsync("a", "running", ["queued"], ct));
        Assert.False(await store.SetJobStateAsync("a", "running", ["queued"], ct));
        Assert.True(await store.RecordResultAsync("a", 2, 200, "1", ct));
        Assert.False(await store.RecordResultAsync("missing", 2, 200, "1", ct));
        Assert.True(await store.FailJobAsync("x", "session-expired", ["queued"], ct));
        var a = await store.FindJobAsync("a", ct);
        Assert.Equal("running", a!.State);
        Assert.Equal("1", a.Commands.Single(c => c.Seq == 2).Results);
        Assert.Equal("failed", (await store.FindJobAsync("x", ct))!.State);
        Assert.Null(await store.FindJobAsync("missing", ct));
    }

    [Fact]
    public async Task A_sessions_job_operations_do_not_scan_every_job_ever_queued_IssueNineteen()
    {
        var ct = TestContext.Current.CancellationToken;
        var store = new InMemoryDmStore(TimeProvider.System);
        const int Devices = 1_000, JobsPerDevice = 100;
        var t0 = DateTimeOffset.UnixEpoch;
        for (var j = 0; j < JobsPerDevice; j++)
        {
            for (var d = 0; d < Devices; d++)
                await store.AddJobAsync(Job($"job-{d}-{j}", $"dev{d}", t0.AddSeconds(j)), ct);
        }

        // What 5,000 sessions do with their job: list the device's jobs, take it, record two results, finish it.
        // With the scan: ≈ 12 passes over 100,000 jobs each, 6·10⁹ comparisons; indexed: milliseconds.
        var watch = Stopwatch.StartNew();
        for (var s = 0; s < 5_000; s++)
        {
            var (d, j) = (s % Devices, s / Devices);
            var id = $"job-{d}-{j}";
            Assert.Equal(JobsPerDevice, (await store.ListJobsAsync($"dev{d}", ct)).Count);
            Assert.True(await store.SetJobStateAsync(id, "running", ["queued"], ct));
            Assert.True(await store.RecordResultAsync(id, 1, 200, null, ct));
            Assert.True(await store.RecordResultAsync(id, 2, 200, "1", ct));
            await store.MarkSentAsync(id, [1, 2], ct);
            Assert.True(await store.SetJobStateAsync(id, "done", ["running"], ct));
        }
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(5), $"5,000 sessions' job operations took {watch.Elapsed.TotalSeconds:F1} s");
    }
}
