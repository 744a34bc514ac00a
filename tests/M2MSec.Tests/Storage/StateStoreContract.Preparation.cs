using M2MSec.Storage.Sho;

namespace M2MSec.Tests.Storage;

public abstract partial class StateStoreContract
{
    private static ShoPreparedMcim Preparation(string pcid, DateTimeOffset now, TimeSpan lifetime) =>
        new(pcid, "", ShoPreparedMcim.Sealing, "tre-" + pcid, [1, 2, 3], [4, 5, 6], null, null, null, null, now, now + lifetime);

    private static ShoSubscription Validating(string pcid, DateTimeOffset now) =>
        new(pcid, "tre-" + pcid, [1, 2, 3], [4, 5, 6], new byte[16], new byte[16], "val-1", ShoSubscription.Validating, null, null, null, null, now, now);

    /// <summary>
    /// Issue 16, schema v19 (bulk preparation): a reservation takes the lowest free IMSI (state prepared) with its preparation in one
    /// step; the sealed object, K and OPc come back as stored; a PCID is prepared once; an exhausted pool says so.
    /// </summary>
    [Fact]
    public async Task PreparedMcims_ReservedCompletedFound_OncePerPcid_PoolExhaustedSaysSo()
    {
        var now = DateTimeOffset.FromUnixTimeMilliseconds(Clock.GetUtcNow().ToUnixTimeMilliseconds());
        await Store.Sho.AddPoolAsync(["001010000000001", "001010000000002"]);
        var reserved = await Store.Sho.ReservePreparationsAsync([Preparation("001900000000001", now, TimeSpan.FromDays(1)),
            Preparation("001900000000001", now, TimeSpan.FromDays(1)), Preparation("001900000000002", now, TimeSpan.FromDays(1)),
            Preparation("001900000000003", now, TimeSpan.FromDays(1))]);
        Assert.Equal(["001010000000001", null, "001010000000002", null], reserved.Select(r => r.Imsi));
        Assert.Equal([false, false, false, true], reserved.Select(r => r.PoolExhausted));
        Assert.Equal(2, (await Store.Sho.CountPoolAsync())["prepared"]);
        Assert.Equal(ShoPreparedMcim.Sealing, (await Store.Sho.FindPreparedAsync("001900000000001"))!.State);

        Assert.Equal(1, await Store.Sho.CompletePreparationsAsync([new ShoSealedPreparation("001900000000001", [9, 9, 9], new byte[16], Enumerable.Repeat((byte)1, 16).ToArray())]));
        var p = (await Store.Sho.FindPreparedAsync("001900000000001"))!;
        Assert.Equal((ShoPreparedMcim.Prepared, "001010000000001", "tre-001900000000001"), (p.State, p.Imsi, p.TreId));
        Assert.Equal(new byte[] { 9, 9, 9 }, p.McimObject);
        Assert.Equal(Enumerable.Repeat((byte)1, 16), p.Opc!);
        Assert.Equal(now.AddDays(1), p.ExpiresAt);
        var rows = await Store.Sho.ListPreparedAsync();
        Assert.Equal([("001900000000001", "prepared"), ("001900000000002", "sealing")], rows.Select(r => (r.Pcid, r.State)));
    }

    /// <summary>
    /// Issue 16: a release moves the preparation's IMSI to assigned and the subscription to downloading together, only while the
    /// preparation is unexpired and the subscription still validating; a discard frees the IMSI and destroys the object; the stale
    /// listing names the expired and the long-sealing ones.
    /// </summary>
    [Fact]
    public async Task PreparedMcims_ReleaseIsAtomic_DiscardFreesTheImsi_StaleListed_ExpiredPreparationThreat()
    {
        var now = DateTimeOffset.FromUnixTimeMilliseconds(Clock.GetUtcNow().ToUnixTimeMilliseconds());
        await Store.Sho.AddPoolAsync(["001010000000001", "001010000000002", "001010000000003"]);
        await Store.Sho.ReservePreparationsAsync([Preparation("001900000000001", now, TimeSpan.FromMinutes(5)),
            Preparation("001900000000002", now, TimeSpan.FromMinutes(5)), Preparation("001900000000003", now, TimeSpan.FromHours(1))]);
        await Store.Sho.CompletePreparationsAsync([new ShoSealedPreparation("001900000000001", [7], new byte[16], new byte[16]),
            new ShoSealedPreparation("001900000000002", [8], new byte[16], new byte[16])]);
        Assert.True(await Store.Sho.AddAsync(Validating("001900000000001", now)));
        var downloading = Validating("001900000000001", now) with { State = ShoSubscription.Downloading, Imsi = "001010000000001", K = new byte[16], Opc = new byte[16] };

        // Expired at the release's time: nothing moves.
        var released = new M2MSec.Storage.Audit.AuditRecord("sho", "sho.mcim.prepared-released", "001900000000001", null);
        Assert.False(await Store.Sho.ReleasePreparedAsync(downloading, ShoSubscription.Validating, now.AddMinutes(6), released));
        Assert.Equal(ShoSubscription.Validating, (await Store.Sho.FindAsync("001900000000001"))!.State);
        // Another IMSI than the preparation's: nothing moves.
        Assert.False(await Store.Sho.ReleasePreparedAsync(downloading with { Imsi = "001010000000002" }, ShoSubscription.Validating, now, released));
        Assert.DoesNotContain(await Store.Audit.ReadAsync(), e => e.Action == released.Action);
        Assert.True(await Store.Sho.ReleasePreparedAsync(downloading, ShoSubscription.Validating, now, released));
        Assert.Single(await Store.Audit.ReadAsync(), e => e.Action == released.Action); // with its entry, in the same transaction
        Assert.Null(await Store.Sho.FindPreparedAsync("001900000000001"));
        var sub = (await Store.Sho.FindAsync("001900000000001"))!;
        Assert.Equal((ShoSubscription.Downloading, "001010000000001"), (sub.State, sub.Imsi));
        Assert.Equal(new byte[16], sub.K);
        Assert.Equal(1, (await Store.Sho.CountPoolAsync())["assigned"]);
        Assert.False(await Store.Sho.ReleasePreparedAsync(downloading, ShoSubscription.Validating, now)); // once

        // 002 expired at +6 min; 003 still sealing after 11 minutes (a crash mid-preparation).
        Assert.Empty(await Store.Sho.ListStalePreparationsAsync(now.AddMinutes(1), now, 100));
        Assert.Equal(["001900000000002", "001900000000003"], await Store.Sho.ListStalePreparationsAsync(now.AddMinutes(11), now.AddMinutes(1), 100));
        Assert.False(await Store.Sho.DiscardPreparedAsync("001900000000002", now.AddMinutes(4))); // not yet expired then
        Assert.True(await Store.Sho.DiscardPreparedAsync("001900000000002", now.AddMinutes(6)));
        Assert.True(await Store.Sho.DiscardPreparedAsync("001900000000003"));
        Assert.False(await Store.Sho.DiscardPreparedAsync("001900000000003"));
        Assert.Null(await Store.Sho.FindPreparedAsync("001900000000002"));
        var pool = await Store.Sho.CountPoolAsync();
        Assert.Equal((2, 1), (pool["free"], pool["assigned"]));
        Assert.False(pool.ContainsKey("prepared"));
        Assert.Equal("001010000000002", await Store.Sho.AllocateImsiAsync("001900000000009")); // the freed IMSI is handed out again
    }
}

public abstract partial class StateStoreContract
{
    /// <summary>
    /// Issue 16: an SHO change and its audit entry commit together — a state change that does not happen appends nothing, one that
    /// happens appends exactly one entry; in the durable stores a failure after the UPDATE inside the write (here an entry the log
    /// refuses) rolls the change back too, so a process killed between the two can never leave a sealed MCIM without its entry.
    /// </summary>
    [Fact]
    public async Task ShoUpdate_AndItsAuditEntry_OneTransaction_LostAuditEntryOnKillThreat()
    {
        var now = DateTimeOffset.FromUnixTimeMilliseconds(Clock.GetUtcNow().ToUnixTimeMilliseconds());
        Assert.True(await Store.Sho.AddAsync(Validating("001900000000001", now)));
        var downloading = Validating("001900000000001", now) with { State = ShoSubscription.Downloading, Imsi = "001010000000001", K = new byte[16], Opc = new byte[16] };
        var sealedEntry = new M2MSec.Storage.Audit.AuditRecord("sho", "sho.mcim.sealed", "001900000000001", "imsi 001010000000001");

        // Not in the expected state: no change, no entry.
        Assert.False(await Store.Sho.UpdateAsync(downloading, ShoSubscription.Active, sealedEntry));
        Assert.DoesNotContain(await Store.Audit.ReadAsync(), e => e.Action == "sho.mcim.sealed");

        if (Store is not M2MSec.Storage.InMemory.InMemoryStateStore)
        {
            // The entry fails inside the transaction: the UPDATE before it is rolled back.
            await Assert.ThrowsAnyAsync<ArgumentException>(async () =>
                await Store.Sho.UpdateAsync(downloading, ShoSubscription.Validating, sealedEntry with { Action = "" }));
            Assert.Equal(ShoSubscription.Validating, (await Store.Sho.FindAsync("001900000000001"))!.State);
        }

        Assert.True(await Store.Sho.UpdateAsync(downloading, ShoSubscription.Validating, sealedEntry));
        Assert.Equal(ShoSubscription.Downloading, (await Store.Sho.FindAsync("001900000000001"))!.State);
        var entries = (await Store.Audit.ReadAsync()).Where(e => e.Action == "sho.mcim.sealed").ToList();
        Assert.Equal(("sho", "001900000000001", "imsi 001010000000001"), (Assert.Single(entries).Actor, entries[0].Subject, entries[0].Detail));
        Assert.False(await Store.Sho.UpdateAsync(downloading, ShoSubscription.Validating, sealedEntry)); // once
        Assert.Single(await Store.Audit.ReadAsync(), e => e.Action == "sho.mcim.sealed");
    }
}
