using M2MSec.Storage.Dm;

namespace M2MSec.Tests.Storage;

/// <summary>Issue 20 (decision 033): a DM account made for a device registration that was undone is removed; one with jobs never is.</summary>
public abstract partial class StateStoreContract
{
    [Fact]
    public async Task DmAccount_RemovedOnlyWhenUnused_JobsKeepTheirAccount()
    {
        var now = Clock.GetUtcNow();
        Assert.True(await Store.Dm.AddAccountAsync(new DmAccount("TRE-unused", "m2msec-dm", "TRE-unused", "cpwd-1"u8.ToArray(), "spwd-1"u8.ToArray(), "md5", "md5", now)));
        Assert.True(await Store.Dm.AddAccountAsync(new DmAccount("TRE-used", "m2msec-dm", "TRE-used", "cpwd-2"u8.ToArray(), "spwd-2"u8.ToArray(), "md5", "md5", now)));
        await Store.Dm.AddJobAsync(new DmJobRecord("job-used", "TRE-used", "queued", now, now, [new("job-used", 1, "get", "./DevInfo/Mod", null, null, null)]));

        Assert.True(await Store.Dm.RemoveUnusedAccountAsync("TRE-unused"));
        Assert.Null(await Store.Dm.FindAccountAsync("TRE-unused"));
        Assert.False(await Store.Dm.RemoveUnusedAccountAsync("TRE-unused"));
        Assert.False(await Store.Dm.RemoveUnusedAccountAsync("TRE-used"));
        Assert.NotNull(await Store.Dm.FindAccountAsync("TRE-used"));
        Assert.Single(await Store.Dm.ListJobsAsync("TRE-used"));
        // Made again after its removal: a fresh account.
        Assert.True(await Store.Dm.AddAccountAsync(new DmAccount("TRE-unused", "m2msec-dm", "TRE-unused", "cpwd-3"u8.ToArray(), "spwd-3"u8.ToArray(), "md5", "md5", now)));
        Assert.Equal("cpwd-3"u8.ToArray(), (await Store.Dm.FindAccountAsync("TRE-unused"))!.ClientPassword);
    }
}
