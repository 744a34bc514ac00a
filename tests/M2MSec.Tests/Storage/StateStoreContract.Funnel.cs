using M2MSec.Storage.Dpf;
using M2MSec.Storage.Drf;
using M2MSec.Storage.Hss;
using M2MSec.Storage.Icf;
using M2MSec.Storage.Pva;
using M2MSec.Storage.Sho;

namespace M2MSec.Tests.Storage;

/// <summary>
/// Issue 20, the console's funnel and stage filter (docs/decisions/032): the records of many PCIDs in one query per store, and the
/// live view's counts by state (one GROUP BY).
/// </summary>
public abstract partial class StateStoreContract
{
    private static readonly string[] FunnelPcids = ["001900000000010", "001900000000011", "001900000000012", "001900000000013"];

    [Fact]
    public async Task Icf_UsesAndVectors_OfManyPcids_OnlyThoseThatHaveThem()
    {
        var now = Clock.GetUtcNow();
        Assert.True(await Store.Icf.TryRecordUseAsync(new IcfPcidUse(FunnelPcids[1], "bootstrapped", "10.0.0.2", now)));
        Assert.True(await Store.Icf.TryRecordUseAsync(new IcfPcidUse(FunnelPcids[3], "bootstrapped", "10.0.0.4", now)));
        Assert.True(await Store.Icf.TryRecordUseAsync(new IcfPcidUse("001900000000099", "bootstrapped", "10.0.0.9", now)));
        var uses = await Store.Icf.FindUsesAsync([.. FunnelPcids, FunnelPcids[1]]);
        Assert.Equal([FunnelPcids[1], FunnelPcids[3]], uses.Select(u => u.Pcid).Order(StringComparer.Ordinal));
        Assert.Equal("10.0.0.4", uses.Single(u => u.Pcid == FunnelPcids[3]).IpAddress);
        Assert.Empty(await Store.Icf.FindUsesAsync([]));

        // Vectors: a PCID credential whose SEQ_HE moved; one added and never used, and one with a later SEQ_HE, are told apart.
        foreach (var (pcid, seq) in new[] { (FunnelPcids[0], 0UL), (FunnelPcids[1], 0UL), (FunnelPcids[2], 5UL) })
            Assert.True(await Store.Subscribers.AddAsync(NewSubscriber(pcid, SubscriberIdentityKind.Pcid), seq));
        Assert.NotNull(await Store.Subscribers.AllocateSqnsAsync(FunnelPcids[1], 1, M2MSec.Aka.SqnScheme.Default));
        IHssSubscriberStore subscribers = Store.Subscribers;
        Assert.Equal([FunnelPcids[1], FunnelPcids[2]], (await subscribers.FindWithVectorsAsync(FunnelPcids)).Order(StringComparer.Ordinal));
        Assert.Empty(await subscribers.FindWithVectorsAsync([]));
    }

    [Fact]
    public async Task Drf_RegistrationsAndChanges_OfManyPcids_OnlyThoseThatHaveThem()
    {
        var now = Clock.GetUtcNow();
        await Store.Drf.PutRegistrationAsync(new DrfRegistration(FunnelPcids[0], "sho", "https://dpf/dm", "TRE-0", "bootstrapped", now));
        await Store.Drf.PutRegistrationAsync(new DrfRegistration(FunnelPcids[2], "sho-b", "https://dpf/dm", "TRE-2", "registered", now));
        Assert.True(await Store.Drf.StartChangeAsync(new DrfChange(FunnelPcids[2], "sho", "sho-b", DrfChange.Provisioning, null, now)));
        Assert.True(await Store.Drf.TryMoveChangeAsync(FunnelPcids[2], DrfChange.Provisioning, DrfChange.Failed, "download failed"));

        var registrations = await Store.Drf.FindRegistrationsAsync(FunnelPcids);
        Assert.Equal([("bootstrapped", "sho"), ("registered", "sho-b")], registrations.OrderBy(r => r.Pcid, StringComparer.Ordinal).Select(r => (r.State, r.ShoId)));
        var change = Assert.Single(await Store.Drf.FindChangesAsync(FunnelPcids));
        Assert.Equal((FunnelPcids[2], DrfChange.Failed, "download failed"), (change.Pcid, change.State, change.Reason));
        Assert.Empty(await Store.Drf.FindChangesAsync([FunnelPcids[0]]));
        Assert.Empty(await Store.Drf.FindRegistrationsAsync([]));
    }

    [Fact]
    public async Task Dpf_Records_OfManyPcids_AndCountsByState()
    {
        var now = Clock.GetUtcNow();
        Assert.True(await Store.Dpf.AddAsync(new DpfProvisioning(FunnelPcids[0], "sho", DpfProvisioning.Reading, now, now)));
        Assert.True(await Store.Dpf.AddAsync(new DpfProvisioning(FunnelPcids[1], "sho", DpfProvisioning.Failed, now, now, Reason: "pva-unreachable")));
        Assert.True(await Store.Dpf.AddAsync(new DpfProvisioning(FunnelPcids[2], "sho-b", DpfProvisioning.Installed, now, now, Result: "1200", ReportedToSho: true)));
        Assert.True(await Store.Dpf.AddAsync(new DpfProvisioning("001900000000099", "sho", DpfProvisioning.Failed, now, now, Reason: "timeout")));

        var found = (await Store.Dpf.FindManyAsync([.. FunnelPcids, FunnelPcids[2]])).OrderBy(p => p.Pcid, StringComparer.Ordinal).ToList();
        Assert.Equal([DpfProvisioning.Reading, DpfProvisioning.Failed, DpfProvisioning.Installed], found.Select(p => p.State));
        Assert.Equal("pva-unreachable", found[1].Reason);
        Assert.True(found[2].ReportedToSho);
        Assert.Equal("sho-b", found[2].ShoId);
        Assert.Empty(await Store.Dpf.FindManyAsync([]));

        var counts = await Store.Dpf.CountByStateAsync();
        Assert.Equal(3, counts.Count);
        Assert.Equal((1, 2, 1), (counts[DpfProvisioning.Reading], counts[DpfProvisioning.Failed], counts[DpfProvisioning.Installed]));
    }

    [Fact]
    public async Task Sho_Summaries_OfManyPcids_WithoutKeys_AndCountsByState()
    {
        var now = Clock.GetUtcNow();
        ShoSubscription Sub(string pcid, string state, string? imsi, string? reason) =>
            new(pcid, "TRE-" + pcid[^1], [1], [2], [3], [4], null, state, imsi, imsi is null ? null : new byte[16], imsi is null ? null : new byte[16], reason, now, now.AddSeconds(1));
        Assert.True(await Store.Sho.AddAsync(Sub(FunnelPcids[0], ShoSubscription.Active, "001010000000010", null)));
        Assert.True(await Store.Sho.AddAsync(Sub(FunnelPcids[1], ShoSubscription.Refused, null, "platform invalid")));
        Assert.True(await Store.Sho.AddAsync(Sub(FunnelPcids[3], ShoSubscription.Validating, null, null)));
        Assert.True(await Store.Sho.AddAsync(Sub("001900000000099", ShoSubscription.Active, "001010000000099", null)));

        var found = (await Store.Sho.FindSummariesAsync(FunnelPcids)).OrderBy(s => s.Pcid, StringComparer.Ordinal).ToList();
        Assert.Equal([(ShoSubscription.Active, "001010000000010", null), (ShoSubscription.Refused, null, "platform invalid"), (ShoSubscription.Validating, null, null)],
            found.Select(s => (s.State, s.Imsi, s.Reason)));
        Assert.Equal(("TRE-0", now.AddSeconds(1)), (found[0].TreId, found[0].UpdatedAt));
        Assert.Empty(await Store.Sho.FindSummariesAsync([]));

        var counts = await Store.Sho.CountByStateAsync();
        Assert.Equal(3, counts.Count);
        Assert.Equal((2, 1, 1), (counts[ShoSubscription.Active], counts[ShoSubscription.Refused], counts[ShoSubscription.Validating]));
    }

    [Fact]
    public async Task Pva_Validations_OfManyPcids_TheLatestOfEach_OldestFirst()
    {
        var now = Clock.GetUtcNow();
        PvaValidation V(string id, string pcid, int second, string state, string? reason = null) =>
            new(id, pcid, [1], [2], [3], [4], "sho", now.AddSeconds(second), now.AddSeconds(second + 60), state, reason);
        // Three of FunnelPcids[0] (only the latest two asked for), one of FunnelPcids[1], one of a PCID not asked for.
        await Store.Pva.AddValidationAsync(V("v-a1", FunnelPcids[0], 1, PvaValidation.Pending));
        await Store.Pva.AddValidationAsync(V("v-a2", FunnelPcids[0], 2, "invalid", "measurement mismatch"));
        await Store.Pva.AddValidationAsync(V("v-a3", FunnelPcids[0], 3, "valid"));
        await Store.Pva.AddValidationAsync(V("v-b1", FunnelPcids[1], 1, "invalid", "unknown platform"));
        await Store.Pva.AddValidationAsync(V("v-z1", "001900000000099", 1, "invalid"));

        var found = await Store.Pva.ListValidationsAsync(FunnelPcids, 2);
        Assert.Equal(["v-a2", "v-a3"], found.Where(v => v.Pcid == FunnelPcids[0]).Select(v => v.Id));
        Assert.Equal("unknown platform", Assert.Single(found, v => v.Pcid == FunnelPcids[1]).Reason);
        Assert.Equal(3, found.Count);
        // The same as one PCID at a time.
        Assert.Equal((await Store.Pva.ListValidationsAsync(FunnelPcids[0], 2)).Select(v => v.Id), found.Where(v => v.Pcid == FunnelPcids[0]).Select(v => v.Id));
        Assert.Empty(await Store.Pva.ListValidationsAsync([], 5));
    }

    [Fact]
    public async Task PcidsByState_OfEachStore_KeysetPagedByPcid()
    {
        var now = Clock.GetUtcNow();
        for (var i = 0; i < 4; i++)
        {
            var pcid = FunnelPcids[i];
            Assert.True(await Store.Ccif.AddDeviceAsync(new M2MSec.Storage.Ccif.CcifDevice(pcid, "TRE-" + i, "ec-p256", new byte[16], new byte[16], "01", "02", [1], [2], null, now)));
            var failed = i % 2 == 1;
            Assert.True(await Store.Dpf.AddAsync(new DpfProvisioning(pcid, "sho", failed ? DpfProvisioning.Failed : DpfProvisioning.Installed, now, now)));
            Assert.True(await Store.Sho.AddAsync(new ShoSubscription(pcid, "TRE-" + i, [1], [2], [3], [4], null, failed ? ShoSubscription.Refused : ShoSubscription.Active,
                null, null, null, null, now, now)));
            await Store.Drf.PutRegistrationAsync(new DrfRegistration(pcid, "sho", "https://dpf/dm", "TRE-" + i, failed ? "bootstrapped" : "registered", now));
            Assert.True(await Store.Drf.StartChangeAsync(new DrfChange(pcid, "sho", "sho-b", DrfChange.Provisioning, null, now)));
            // Two invalid validations of one PCID: listed once.
            for (var v = 0; v < (failed ? 2 : 1); v++)
                await Store.Pva.AddValidationAsync(new PvaValidation($"v-{i}-{v}", pcid, [1], [2], [3], [4], "sho", now, now.AddMinutes(1), failed ? "invalid" : "valid"));
        }
        Assert.True(await Store.Ccif.MarkRevokedAsync(FunnelPcids[2], "keyCompromise", now));
        Assert.True(await Store.Ccif.MarkRevokedAsync(FunnelPcids[3], "superseded", now));
        Assert.True(await Store.Drf.TryMoveChangeAsync(FunnelPcids[3], DrfChange.Provisioning, DrfChange.Failed, "timeout"));

        string[] odd = [FunnelPcids[1], FunnelPcids[3]];
        Assert.Equal([FunnelPcids[2], FunnelPcids[3]], await Store.Ccif.ListRevokedPcidsAsync(null, 10));
        Assert.Equal(odd, await Store.Dpf.ListPcidsAsync(DpfProvisioning.Failed, null, 10));
        Assert.Equal([FunnelPcids[3]], await Store.Dpf.ListPcidsAsync(DpfProvisioning.Failed, FunnelPcids[1], 10));
        Assert.Equal([FunnelPcids[0]], await Store.Dpf.ListPcidsAsync(DpfProvisioning.Installed, null, 1));
        Assert.Equal(odd, await Store.Sho.ListPcidsAsync(ShoSubscription.Refused, null, 10));
        Assert.Equal([FunnelPcids[2]], await Store.Sho.ListPcidsAsync(ShoSubscription.Active, FunnelPcids[0], 10));
        Assert.Equal(odd, await Store.Drf.ListRegistrationPcidsAsync("bootstrapped", null, 10));
        Assert.Equal([FunnelPcids[3]], await Store.Drf.ListChangePcidsAsync(DrfChange.Failed, null, 10));
        Assert.Equal(odd, await Store.Pva.ListPcidsAsync("invalid", null, 10));
        Assert.Equal([FunnelPcids[3]], await Store.Pva.ListPcidsAsync("invalid", FunnelPcids[1], 10));
        Assert.Empty(await Store.Sho.ListPcidsAsync(ShoSubscription.Validating, null, 10));
    }

    [Fact]
    public async Task LiveCounts_DmJobsByState_AndTheAuditsLastSequence()
    {
        Assert.Equal(0, await Store.Audit.LastSequenceAsync());
        Assert.Empty(await Store.Dm.CountJobsByStateAsync());
        var now = Clock.GetUtcNow();
        string[] states = ["queued", "done", "done", "failed"];
        for (var i = 0; i < states.Length; i++)
            await Store.Dm.AddJobAsync(new M2MSec.Storage.Dm.DmJobRecord($"job-{i}", "TRE-A", states[i], now, now, []));
        var counts = await Store.Dm.CountJobsByStateAsync();
        Assert.Equal((1, 2, 1, 3), (counts["queued"], counts["done"], counts["failed"], counts.Count));

        await Store.Audit.AppendAsync("dm", "dm.session.start", "TRE-A");
        await Store.Audit.AppendAsync("dm", "dm.session.end", "TRE-A");
        var all = await Store.Audit.ReadAsync(0, 100);
        Assert.Equal(all[^1].Sequence, await Store.Audit.LastSequenceAsync());
        Assert.Empty(await Store.Audit.ReadAsync(await Store.Audit.LastSequenceAsync(), 100));
    }
}
