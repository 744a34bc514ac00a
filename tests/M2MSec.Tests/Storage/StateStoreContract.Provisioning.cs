using System.Security.Cryptography;
using M2MSec.Storage.Dm;
using M2MSec.Storage.Dpf;
using M2MSec.Storage.Security;
using M2MSec.Storage.Sho;
using M2MSec.Storage.Sqlite;
using M2MSec.Tests.Support;

namespace M2MSec.Tests.Storage;

/// <summary>Issue 15 (schema v14): the SHO's subscriptions and IMSI pool, the DPF's provisioning records, a DM command's Format — on every backend.</summary>
public abstract partial class StateStoreContract
{
    private ShoSubscription NewSubscription(string pcid) => new(pcid, "TRE-1", [1, 2], [3, 4], RandomNumberGenerator.GetBytes(16), RandomNumberGenerator.GetBytes(16),
        "val-1", ShoSubscription.Validating, null, null, null, null, Clock.GetUtcNow(), Clock.GetUtcNow());

    [Fact]
    public async Task ShoSubscription_RoundTripsWithKeys_CompareAndSwapOnState_ListedWithoutKeys()
    {
        var s = NewSubscription("001900000000001");
        Assert.True(await Store.Sho.AddAsync(s));
        Assert.False(await Store.Sho.AddAsync(s)); // a PCID once
        var k = RandomNumberGenerator.GetBytes(16);
        var opc = RandomNumberGenerator.GetBytes(16);
        var downloading = s with { State = ShoSubscription.Downloading, Imsi = "001010000000001", K = k, Opc = opc };
        Assert.True(await Store.Sho.UpdateAsync(downloading, ShoSubscription.Validating));
        Assert.False(await Store.Sho.UpdateAsync(downloading with { State = ShoSubscription.Failed }, ShoSubscription.Validating)); // lost the race
        var back = (await Store.Sho.FindAsync("001900000000001"))!;
        Assert.Equal((ShoSubscription.Downloading, "001010000000001"), (back.State, back.Imsi));
        Assert.Equal(k, back.K);
        Assert.Equal(opc, back.Opc);
        Assert.Equal(s.ShoNonce, back.ShoNonce);
        Assert.Equal(s.RegistrationNonce, back.RegistrationNonce);
        var row = Assert.Single(await Store.Sho.ListAsync());
        Assert.Equal(("001900000000001", "downloading", "001010000000001"), (row.Pcid, row.State, row.Imsi));
        Assert.Null(await Store.Sho.FindAsync("001900000000002"));
    }

    /// <summary>
    /// Issue 16 (the demo at scale, SQLite's write gate): many allocations at once — every SHO request of a fleet's wave — each get a
    /// distinct IMSI, none fails as "contended", and the pool then answers exhausted.
    /// </summary>
    [Fact]
    public async Task ImsiPool_SixtyFourConcurrentAllocations_EachGetsADistinctImsi_NoneContended()
    {
        Assert.Equal(64, await Store.Sho.AddPoolAsync([.. Enumerable.Range(0, 64).Select(i => $"00101000000{i:D4}")]));
        var taken = await Task.WhenAll(Enumerable.Range(0, 64).Select(i => Task.Run(async () => await Store.Sho.AllocateImsiAsync($"p{i}"))));
        Assert.Equal(64, taken.Where(t => t is not null).Distinct().Count());
        Assert.Null(await Store.Sho.AllocateImsiAsync("one-more"));
    }

    [Fact]
    public async Task ImsiPool_AllocatesLowestFree_OncePerImsi_ExhaustsToNull_RetiredNeverReturns()
    {
        Assert.Equal(3, await Store.Sho.AddPoolAsync(["001010000000003", "001010000000001", "001010000000002"]));
        Assert.Equal(0, await Store.Sho.AddPoolAsync(["001010000000001"]));
        Assert.Equal("001010000000001", await Store.Sho.AllocateImsiAsync("p1"));
        Assert.Equal("001010000000002", await Store.Sho.AllocateImsiAsync("p2"));
        Assert.True(await Store.Sho.SetImsiStateAsync("001010000000001", "active"));
        Assert.False(await Store.Sho.SetImsiStateAsync("001010000000001", "retired")); // only from assigned
        Assert.True(await Store.Sho.SetImsiStateAsync("001010000000002", "retired"));
        Assert.Equal("001010000000003", await Store.Sho.AllocateImsiAsync("p3"));
        Assert.Null(await Store.Sho.AllocateImsiAsync("p4"));
        var counts = await Store.Sho.CountPoolAsync();
        Assert.Equal((1, 1, 1), (counts["active"], counts["retired"], counts["assigned"]));
    }

    [Fact]
    public async Task DpfProvisioning_RoundTrips_CompareAndSwapOnState()
    {
        var now = Clock.GetUtcNow();
        var p = new DpfProvisioning("001900000000001", "sho", DpfProvisioning.Reading, now, now, ReadJobId: "dm-1");
        Assert.True(await Store.Dpf.AddAsync(p));
        Assert.False(await Store.Dpf.AddAsync(p));
        var read = p with { State = DpfProvisioning.Registered, TreId = "TRE-1", PfcAttestation = [1], PfcEncryption = [2], RegistrationNonce = new byte[16] };
        Assert.True(await Store.Dpf.UpdateAsync(read, DpfProvisioning.Reading));
        Assert.False(await Store.Dpf.UpdateAsync(read with { State = DpfProvisioning.Failed }, DpfProvisioning.Reading));
        var back = (await Store.Dpf.FindAsync(p.Pcid))!;
        Assert.Equal((DpfProvisioning.Registered, "TRE-1", "dm-1"), (back.State, back.TreId, back.ReadJobId));
        Assert.Equal(new byte[16], back.RegistrationNonce);
        Assert.Single(await Store.Dpf.ListAsync());
    }

    /// <summary>
    /// Issue 16 (the demo at scale): the DPF's step-21 retry finds exactly the finished downloads whose outcome has not reached the SHO,
    /// through an index — it no longer reads every provisioning every 5 s (a cost that grew with the square of the fleet).
    /// </summary>
    [Fact]
    public async Task DpfProvisioning_ListAwaitingReport_OnlyFinishedUnreportedDownloads_QuadraticScanAtScaleThreat()
    {
        var now = Clock.GetUtcNow();
        DpfProvisioning P(string pcid, string state, string? result = null, bool reported = false) =>
            new(pcid, "sho", state, now, now, Result: result, ReportedToSho: reported);
        foreach (var p in new[]
        {
            P("001900000000011", DpfProvisioning.Downloading), P("001900000000012", DpfProvisioning.Installed, "installed"),
            P("001900000000013", DpfProvisioning.Failed, "failed"), P("001900000000014", DpfProvisioning.Failed),
            P("001900000000015", DpfProvisioning.Installed, "installed", reported: true),
        })
            Assert.True(await Store.Dpf.AddAsync(p));
        Assert.Equal(["001900000000012", "001900000000013"], (await Store.Dpf.ListAwaitingReportAsync(100)).Select(p => p.Pcid));
        Assert.Single(await Store.Dpf.ListAwaitingReportAsync(1));

        // Reported: no longer listed; a download that finishes now: listed.
        Assert.True(await Store.Dpf.UpdateAsync(P("001900000000012", DpfProvisioning.Installed, "installed", reported: true), DpfProvisioning.Installed));
        Assert.True(await Store.Dpf.UpdateAsync(P("001900000000011", DpfProvisioning.Installed, "installed"), DpfProvisioning.Downloading));
        Assert.Equal(["001900000000011", "001900000000013"], (await Store.Dpf.ListAwaitingReportAsync(100)).Select(p => p.Pcid));
    }

    /// <summary>
    /// Issue 19 (schema v29): the DPF's resumption, every 2 s, reads the ongoing provisionings untouched for a while — by a partial
    /// index and in pages — no longer every record it ever held (a cost per tick that grew with the fleet).
    /// </summary>
    [Fact]
    public async Task DpfProvisioning_ListOngoingUntouched_OnlyStaleOngoing_ByPage_FullScanEveryTickThreat()
    {
        var now = Clock.GetUtcNow();
        var old = now - TimeSpan.FromMinutes(1);
        DpfProvisioning P(string pcid, string state, DateTimeOffset updated) => new(pcid, "sho", state, old, updated);
        foreach (var p in new[]
        {
            P("001900000000021", DpfProvisioning.Reading, old), P("001900000000022", DpfProvisioning.Downloading, old),
            P("001900000000023", DpfProvisioning.Installed, old), P("001900000000024", DpfProvisioning.Failed, old),
            P("001900000000025", DpfProvisioning.Attesting, now), P("001900000000026", DpfProvisioning.Validated, now - TimeSpan.FromSeconds(30)),
        })
            Assert.True(await Store.Dpf.AddAsync(p));
        var since = now - TimeSpan.FromSeconds(5);
        Assert.Equal(["001900000000021", "001900000000022", "001900000000026"],
            (await Store.Dpf.ListOngoingUntouchedAsync(since, null, 100)).Select(p => p.Pcid));
        // Pages by PCID.
        Assert.Equal(["001900000000021", "001900000000022"], (await Store.Dpf.ListOngoingUntouchedAsync(since, null, 2)).Select(p => p.Pcid));
        Assert.Equal(["001900000000026"], (await Store.Dpf.ListOngoingUntouchedAsync(since, "001900000000022", 2)).Select(p => p.Pcid));
        // The boundary is inclusive, to the millisecond.
        Assert.Contains("001900000000026", (await Store.Dpf.ListOngoingUntouchedAsync(now - TimeSpan.FromSeconds(30), null, 100)).Select(p => p.Pcid));

        // Finished: no longer listed; touched: not yet listed again.
        var done = (await Store.Dpf.FindAsync("001900000000021"))! with { State = DpfProvisioning.Installed };
        Assert.True(await Store.Dpf.UpdateAsync(done, DpfProvisioning.Reading));
        var touched = (await Store.Dpf.FindAsync("001900000000022"))! with { UpdatedAt = now };
        Assert.True(await Store.Dpf.UpdateAsync(touched, DpfProvisioning.Downloading));
        Assert.Equal(["001900000000026"], (await Store.Dpf.ListOngoingUntouchedAsync(since, null, 100)).Select(p => p.Pcid));
    }

    [Fact]
    public async Task DmCommand_KeepsItsMetaFormat()
    {
        var now = Clock.GetUtcNow();
        await Store.Dm.AddJobAsync(new DmJobRecord("job-f", "dev-f", "queued", now, now,
            [new DmCommandRecord("job-f", 1, "replace", "./M2MMobj/Attestation/Nonce", "AAAA", null, null, Format: "b64"), new DmCommandRecord("job-f", 2, "get", "./X", null, null, null)]));
        var job = (await Store.Dm.FindJobAsync("job-f"))!;
        Assert.Equal(["b64", null], job.Commands.Select(c => c.Format));
    }
}

/// <summary>Issue 15: the SHO's K and OPc are wrapped at rest like every K/OPc.</summary>
public sealed class ShoSecretsAtRestTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("m2msec-sho-rest-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task ShoKAndOpc_NeverInTheDatabaseFilesInClear()
    {
        var ring = KeyRing.Open(TestKeyRing.CreateIn(_dir), createIfMissing: true);
        var k = RandomNumberGenerator.GetBytes(16);
        var opc = RandomNumberGenerator.GetBytes(16);
        await using (var store = await SqliteStateStore.OpenAsync(Path.Combine(_dir, "sho"), ring))
        {
            var now = DateTimeOffset.UtcNow;
            Assert.True(await store.Sho.AddAsync(new ShoSubscription("001900000000001", "TRE-1", [1], [2], new byte[16], new byte[16], "v", ShoSubscription.Downloading,
                "001010000000001", k, opc, null, now, now)));
        }
        foreach (var file in Directory.GetFiles(Path.Combine(_dir, "sho")))
        {
            var bytes = File.ReadAllBytes(file);
            Assert.Equal(-1, bytes.AsSpan().IndexOf(k));
            Assert.Equal(-1, bytes.AsSpan().IndexOf(opc));
            Assert.Equal(-1, bytes.AsSpan().IndexOf(System.Text.Encoding.ASCII.GetBytes(Convert.ToBase64String(k))));
        }
        await using (var store = await SqliteStateStore.OpenAsync(Path.Combine(_dir, "sho"), ring))
            Assert.Equal(k, (await store.Sho.FindAsync("001900000000001"))!.K);
    }
}
