using M2MSec.Device.Uicc;
using M2MSec.NetworkFunctions.Hosting;
using M2MSec.NetworkFunctions.Hss;

namespace M2MSec.Tests.Hss;

/// <summary>The HSS on its default store (SQLite + key ring): subscribers and SEQ_HE survive a restart.</summary>
public sealed class HssPersistenceTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("m2msec-hss-").FullName;

    private StoreOptions Store => new(Path.Combine(_dir, "hss"), Path.Combine(_dir, "kek.json"));

    public void Dispose() => Directory.Delete(_dir, true);

    [Fact]
    public async Task Restart_KeepsSubscribersAndSqn_SoOldVectorsStayStale()
    {
        var ct = TestContext.Current.CancellationToken;
        var usim = SimulatedUsim.Manufacture("001010000000501", out var k, out var opc);
        AuthVectorDto first;
        await using (var hss = await NetworkFunctionCatalog.StartAsync(NetworkFunctionRole.Hss, Store, createKeyRing: true, cancellationToken: ct))
        {
            Assert.StartsWith("sqlite:", hss.StoreDescription);
            using var http = new HttpClient { BaseAddress = hss.Address };
            var client = new HssClient(http);
            await client.AddSubscriberAsync(usim.Imsi, k, opc, new byte[] { 0x80, 0 }, ct);
            first = (await client.GetVectorsAsync(usim.Imsi, 3, ct: ct)).Vectors[0];
            Assert.True(usim.Authenticate(Convert.FromHexString(first.Rand), Convert.FromHexString(first.Autn)).IsSuccess);
        }
        await using (var hss = await NetworkFunctionCatalog.StartAsync(NetworkFunctionRole.Hss, Store, cancellationToken: ct))
        {
            using var http = new HttpClient { BaseAddress = hss.Address };
            var next = (await new HssClient(http).GetVectorsAsync(usim.Imsi, ct: ct)).Vectors[0];
            Assert.NotEqual(first.Autn, next.Autn);
            Assert.True(usim.Authenticate(Convert.FromHexString(next.Rand), Convert.FromHexString(next.Autn)).IsSuccess);
            // Issue 19 (decision 035): the first HSS reserved SEQ 1..32 in one durable block and handed out 1..3; the restart skipped
            // 4..32 (never reused) and the new HSS's first vector is SEQ 33 — accepted, the skip being far inside Δ (decision 001).
            Assert.Equal(33UL, usim.SqnState.HighestSeq);
            // A vector from before the restart is now a replay.
            Assert.False(usim.Authenticate(Convert.FromHexString(first.Rand), Convert.FromHexString(first.Autn)).IsSuccess);
        }
    }

    [Fact]
    public async Task Restart_WithAnotherKeyRing_IsRefused()
    {
        var ct = TestContext.Current.CancellationToken;
        await (await NetworkFunctionCatalog.StartAsync(NetworkFunctionRole.Hss, Store, createKeyRing: true, cancellationToken: ct)).DisposeAsync();
        var wrong = Store with { KekFile = Path.Combine(_dir, "other.kek.json") };
        var e = await Assert.ThrowsAsync<M2MSec.Storage.StoreException>(() => NetworkFunctionCatalog.StartAsync(NetworkFunctionRole.Hss, wrong, createKeyRing: true, cancellationToken: ct));
        Assert.Contains("key-encryption key", e.Message);
    }
}
