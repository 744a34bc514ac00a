using M2MSec.Storage.MtcIwf;
using M2MSec.Storage.Vno;

namespace M2MSec.Tests.Storage;

public abstract partial class StateStoreContract
{
    private static readonly byte[] KnasInt = Enumerable.Range(1, 32).Select(i => (byte)i).ToArray();

    /// <summary>
    /// Issue 17, schema v21: the VNO's NAS context — K_NASint back as stored, the downlink COUNT handed out once each, in order,
    /// even to concurrent callers; a new attach restarts it at 0 under the new key; no context, no COUNT.
    /// </summary>
    [Fact]
    public async Task VnoDownlinkCount_NeverHandedOutTwice_EvenConcurrently_CounterRollbackThreat()
    {
        Assert.Null(await Store.Vno.TakeDownlinkCountAsync("001010000000001"));
        await Store.Vno.PutContextAsync("001010000000001", "00102", KnasInt, "ctx-1", "idle");
        var first = await Store.Vno.TakeDownlinkCountAsync("001010000000001");
        Assert.Equal((0u, "ctx-1", "00102", "idle"), (first!.Count, first.ContextId, first.Plmn, first.State));
        Assert.Equal(KnasInt, first.KnasInt);
        var counts = await Task.WhenAll(Enumerable.Range(0, 40).Select(async _ => (await Store.Vno.TakeDownlinkCountAsync("001010000000001"))!.Count));
        Assert.Equal(Enumerable.Range(1, 40).Select(i => (uint)i), counts.Order());
        Assert.Equal(41u, (await Store.Vno.FindContextAsync("001010000000001"))!.NextDownlinkCount);
        Assert.True(await Store.Vno.SetStateAsync("001010000000001", "connected"));
        Assert.False(await Store.Vno.SetStateAsync("001010000000009", "connected"));
        Assert.Equal("connected", (await Store.Vno.FindContextAsync("001010000000001"))!.State);

        var other = Enumerable.Repeat((byte)9, 32).ToArray();
        await Store.Vno.PutContextAsync("001010000000001", "00102", other, "ctx-2", "idle");
        var again = await Store.Vno.TakeDownlinkCountAsync("001010000000001");
        Assert.Equal((0u, "ctx-2"), (again!.Count, again.ContextId));
        Assert.Equal(other, again.KnasInt);
    }

    /// <summary>
    /// Issue 17, schema v27: the last NAS uplink COUNT the VNO accepted from a device's state reports — stored only above the last one,
    /// once per COUNT even for concurrent callers, only for the current context, and reset by a new attach.
    /// </summary>
    [Fact]
    public async Task VnoUplinkCount_AcceptedOnlyAboveTheLast_OnceEvenConcurrently_ResetAtAttach_ReplayedStateReportThreat()
    {
        Assert.Null(await Store.Vno.FindUplinkAsync("001010000000001"));
        Assert.False(await Store.Vno.AcceptUplinkCountAsync("001010000000001", "ctx-1", 0));
        await Store.Vno.PutContextAsync("001010000000001", "00102", KnasInt, "ctx-1", "idle");
        var fresh = await Store.Vno.FindUplinkAsync("001010000000001");
        Assert.Equal(("ctx-1", (uint?)null, "idle"), (fresh!.ContextId, fresh.LastUplinkCount, fresh.State));
        Assert.Equal(KnasInt, fresh.KnasInt);
        Assert.True(await Store.Vno.AcceptUplinkCountAsync("001010000000001", "ctx-1", 0));
        Assert.False(await Store.Vno.AcceptUplinkCountAsync("001010000000001", "ctx-1", 0));
        Assert.False(await Store.Vno.AcceptUplinkCountAsync("001010000000001", "ctx-0", 5));
        var accepted = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => Store.Vno.AcceptUplinkCountAsync("001010000000001", "ctx-1", 7).AsTask()));
        Assert.Equal(1, accepted.Count(a => a));
        Assert.False(await Store.Vno.AcceptUplinkCountAsync("001010000000001", "ctx-1", 6));
        Assert.Equal(7u, (await Store.Vno.FindUplinkAsync("001010000000001"))!.LastUplinkCount);

        await Store.Vno.PutContextAsync("001010000000001", "00102", KnasInt, "ctx-2", "idle");
        Assert.Null((await Store.Vno.FindUplinkAsync("001010000000001"))!.LastUplinkCount);
        Assert.True(await Store.Vno.AcceptUplinkCountAsync("001010000000001", "ctx-2", 0));
    }

    /// <summary>Issue 17: protected triggers wait in COUNT order until they expire or the device acknowledges them (only its context's).</summary>
    [Fact]
    public async Task VnoTriggers_PendingInCountOrder_AcknowledgedPerContext_Expire()
    {
        var now = DateTimeOffset.FromUnixTimeMilliseconds(Clock.GetUtcNow().ToUnixTimeMilliseconds());
        VnoTrigger T(string id, uint count, string context = "ctx-1") =>
            new(id, "001010000000001", 7, 1, [1, 2], context, count, [0x27, (byte)count], "paging", now, now.AddHours(1));
        await Store.Vno.AddTriggerAsync(T("b", 2));
        await Store.Vno.AddTriggerAsync(T("a", 1));
        await Store.Vno.AddTriggerAsync(T("c", 0, "ctx-0"));
        Assert.Equal(["c", "a", "b"], (await Store.Vno.PendingTriggersAsync("001010000000001")).Select(t => t.Id));
        Assert.True(await Store.Vno.ReprotectTriggerAsync("c", "ctx-1", 3, [0x27, 3], "direct"));
        Assert.False(await Store.Vno.ReprotectTriggerAsync("zz", "ctx-1", 3, [0x27, 3], "direct"));
        Assert.Equal(1, await Store.Vno.AcknowledgeTriggersAsync("001010000000001", "ctx-1", 1));
        var left = await Store.Vno.PendingTriggersAsync("001010000000001");
        Assert.Equal(["b", "c"], left.Select(t => t.Id));
        Assert.Equal([0x27, 3], left[1].Message);
        Assert.Equal(("direct", 3u), (left[1].Delivery, left[1].Count));
        Assert.Empty(await Store.Vno.PendingTriggersAsync("001010000000002"));
        Clock.Advance(TimeSpan.FromHours(2));
        Assert.Empty(await Store.Vno.PendingTriggersAsync("001010000000001"));
    }

    /// <summary>Issue 17: the MTC-IWF's grants — one per (MTC server, device), re-granting replaces the IMSI, revocation removes it.</summary>
    [Fact]
    public async Task MtcIwfGrants_OnePerServerAndDevice_Revocable()
    {
        var at = DateTimeOffset.FromUnixTimeMilliseconds(Clock.GetUtcNow().ToUnixTimeMilliseconds());
        Assert.Null(await Store.MtcIwf.FindGrantAsync("mtc-a", "s1@mtc.example"));
        await Store.MtcIwf.GrantAsync(new MtcIwfGrant("mtc-a", "s1@mtc.example", "001010000000001", "cert:m2msec-admin", at));
        await Store.MtcIwf.GrantAsync(new MtcIwfGrant("mtc-a", "s1@mtc.example", "001010000000002", "cert:m2msec-admin", at));
        await Store.MtcIwf.GrantAsync(new MtcIwfGrant("mtc-b", "s2@mtc.example", "001010000000003", "loopback", at));
        Assert.Equal("001010000000002", (await Store.MtcIwf.FindGrantAsync("mtc-a", "s1@mtc.example"))!.Imsi);
        Assert.Null(await Store.MtcIwf.FindGrantAsync("mtc-b", "s1@mtc.example"));
        Assert.Equal([("mtc-a", "s1@mtc.example"), ("mtc-b", "s2@mtc.example")], (await Store.MtcIwf.ListGrantsAsync()).Select(g => (g.MtcServer, g.ExternalId)));
        Assert.True(await Store.MtcIwf.RevokeAsync("mtc-a", "s1@mtc.example"));
        Assert.False(await Store.MtcIwf.RevokeAsync("mtc-a", "s1@mtc.example"));
        Assert.Null(await Store.MtcIwf.FindGrantAsync("mtc-a", "s1@mtc.example"));
    }
}
