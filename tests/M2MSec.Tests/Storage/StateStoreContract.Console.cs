using M2MSec.Storage.Ccif;
using M2MSec.Storage.Dm;

namespace M2MSec.Tests.Storage;

/// <summary>Issue 20, the console's bounded queries (docs/decisions/032): audit by subject, the CCIF's devices paged and filtered, DM accounts and recent jobs.</summary>
public abstract partial class StateStoreContract
{
    [Fact]
    public async Task Audit_BySubjects_OnlyThoseSubjects_NewestFirst_Limited()
    {
        await Store.Audit.AppendAsync("ccif", "ccif.manufacture", "001900000000001");
        await Store.Audit.AppendAsync("dm", "dm.session.start", "TRE-01", "session 1");
        await Store.Audit.AppendAsync("dm", "dm.session.start", "TRE-02");
        await Store.Audit.AppendAsync("dm", "dm.session.end", "TRE-01", "session 1: completed");
        // A subject that holds a LIKE wildcard matches only itself.
        await Store.Audit.AppendAsync("dm", "dm.session.start", "TRE-0%");

        var mine = await Store.Audit.ReadBySubjectsAsync(["001900000000001", "TRE-01"], 10);
        Assert.Equal(["dm.session.end", "dm.session.start", "ccif.manufacture"], mine.Select(e => e.Action));
        Assert.True(mine[0].Sequence > mine[1].Sequence);
        Assert.Single(await Store.Audit.ReadBySubjectsAsync(["TRE-01"], 1));
        Assert.Single(await Store.Audit.ReadBySubjectsAsync(["TRE-0%"], 10));
        Assert.Empty(await Store.Audit.ReadBySubjectsAsync([], 10));
    }

    [Fact]
    public async Task DeviceRegistry_List_OfOneKind_PagedById_FilteredByIdOrPcid()
    {
        for (var i = 0; i < 4; i++)
            Assert.True(await Store.Devices.RegisterAsync($"898821100000000000{i}", $"00101000000000{i}", null, "uicc", "card-registered"));
        Assert.True(await Store.Devices.RegisterAsync("m2me-1", "001990000000007", "tre-7", "tre", "manufactured"));
        Assert.True(await Store.Devices.RegisterAsync("8988211_0%", null, null, "uicc", "card-registered"));

        Assert.Equal(["8988211000000000000", "8988211000000000001"], (await Store.Devices.ListAsync("uicc", null, null, 2)).Select(d => d.DeviceId));
        var rest = await Store.Devices.ListAsync("uicc", "00000000", "8988211000000000001", 10);
        Assert.Equal(["8988211000000000002", "8988211000000000003"], rest.Select(d => d.DeviceId));
        Assert.Equal(("001010000000002", "uicc"), (rest[0].Pcid, rest[0].Kind));
        Assert.Equal("8988211000000000003", Assert.Single(await Store.Devices.ListAsync("uicc", "00000000003", null, 10)).DeviceId); // by PCID (IMSI)
        Assert.Equal("8988211_0%", Assert.Single(await Store.Devices.ListAsync("uicc", "1_0%", null, 10)).DeviceId); // % and _ are text
        Assert.Empty(await Store.Devices.ListAsync("uicc", "0019900", null, 10)); // the TRE's PCID is of another kind
    }

    [Fact]
    public async Task Ccif_SearchDevices_PagedByPcid_FilteredByPcidOrTreId_AndFoundByEitherId()
    {
        var now = Clock.GetUtcNow();
        for (var i = 0; i < 5; i++)
            Assert.True(await Store.Ccif.AddDeviceAsync(new CcifDevice($"00190000000000{i}", $"TRE-{i}_X", "ec-p256", new byte[16], new byte[16], "01", "02", [1], [2], null, now)));
        Assert.True(await Store.Ccif.MarkRevokedAsync("001900000000004", "keyCompromise", now));

        Assert.Equal(5, await Store.Ccif.CountDevicesAsync(null));
        Assert.Equal(["001900000000002", "001900000000003"], (await Store.Ccif.SearchDevicesAsync(null, 2, 2)).Select(d => d.Pcid));
        Assert.Equal("keyCompromise", (await Store.Ccif.SearchDevicesAsync(null, 4, 10)).Single().RevocationReason);
        Assert.Equal("001900000000003", Assert.Single(await Store.Ccif.SearchDevicesAsync("TRE-3", 0, 10)).Pcid);
        Assert.Equal(1, await Store.Ccif.CountDevicesAsync("00000003"));
        Assert.Equal(0, await Store.Ccif.CountDevicesAsync("TRE-1%X")); // % and _ are text, not wildcards
        Assert.Equal(1, await Store.Ccif.CountDevicesAsync("1_X"));
        Assert.Equal(["001900000000001", "001900000000002"],
            (await Store.Ccif.FindByIdsAsync(["TRE-1_X", "001900000000002", "TRE-9"])).Select(d => d.Pcid).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Dm_AccountIds_KeysetPaged_AndRecentJobs_NewestFirstWithTheirCommands()
    {
        var now = Clock.GetUtcNow();
        foreach (var dev in new[] { "TRE-A", "TRE-B", "UICC-C" })
            Assert.True(await Store.Dm.AddAccountAsync(new DmAccount(dev, "m2msec", dev, "client-secret"u8.ToArray(), "server-secret"u8.ToArray(), "md5", "md5", now)));
        Assert.Equal(["TRE-A", "TRE-B"], await Store.Dm.ListAccountIdsAsync(null, null, 2));
        Assert.Equal(["UICC-C"], await Store.Dm.ListAccountIdsAsync(null, "TRE-B", 2));
        Assert.Equal(["TRE-B"], await Store.Dm.ListAccountIdsAsync("E-B", null, 10));
        for (var i = 0; i < 3; i++)
            await Store.Dm.AddJobAsync(new DmJobRecord($"job-{i}", "TRE-A", "queued", now.AddSeconds(i), now.AddSeconds(i), [new DmCommandRecord($"job-{i}", 1, "get", "./DevInfo/Mod", null, null, null)]));
        var recent = await Store.Dm.ListRecentJobsAsync(2);
        Assert.Equal(["job-2", "job-1"], recent.Select(j => j.Id));
        Assert.All(recent, j => Assert.Equal("./DevInfo/Mod", Assert.Single(j.Commands).Uri));
    }
}
