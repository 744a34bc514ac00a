using M2MSec.Storage.Pva;

namespace M2MSec.Tests.Storage;

public abstract partial class StateStoreContract
{
    /// <summary>Issue 16, schema v16: the PVA keeps every firmware update the manufacturer registered for a PCID, oldest first, per PCID.</summary>
    [Fact]
    public async Task PvaFirmwareUpdates_HistoryKeptPerPcid_RehabilitationAfterRegisteredUpdate()
    {
        var now = DateTimeOffset.FromUnixTimeMilliseconds(Clock.GetUtcNow().ToUnixTimeMilliseconds());
        Assert.Empty(await Store.Pva.ListMeasurementSetsAsync("001990000000001"));
        await Store.Pva.AddMeasurementSetAsync(new PvaMeasurementSet("001990000000001", new Dictionary<string, byte[]> { ["a.img"] = new byte[32] }, "cert:ccif", now));
        await Store.Pva.AddMeasurementSetAsync(new PvaMeasurementSet("001990000000001", new Dictionary<string, byte[]> { ["a.img"] = Enumerable.Repeat((byte)7, 32).ToArray() },
            "cert:ccif", now.AddSeconds(1)));
        await Store.Pva.AddMeasurementSetAsync(new PvaMeasurementSet("001990000000002", new Dictionary<string, byte[]> { ["b.img"] = new byte[32] }, "cert:ccif", now));
        var sets = await Store.Pva.ListMeasurementSetsAsync("001990000000001");
        Assert.Equal(2, sets.Count);
        Assert.Equal(new byte[32], sets[0].Measurements["a.img"]);
        Assert.Equal(7, sets[1].Measurements["a.img"][0]);
        Assert.Equal(("cert:ccif", now), (sets[0].RegisteredBy, sets[0].RegisteredAt));
        Assert.Single(await Store.Pva.ListMeasurementSetsAsync("001990000000002"));
    }
}
