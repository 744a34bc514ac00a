using M2MSec.Storage.Security;
using M2MSec.Storage.Sqlite;

namespace M2MSec.Tests.Storage;

/// <summary>Issue 14 item 9: the key ring records the stores that opened it and the key ids their secrets are under.</summary>
public sealed class KeyRingStoresTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("m2msec-ringstores-").FullName;

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_dir, true);
    }

    [Fact]
    public async Task OpeningAStore_RecordsItsKeyIds_AndRewrapMovesTheRecordToTheActiveKey_RetireInUseThreat()
    {
        var ct = TestContext.Current.CancellationToken;
        var ringPath = Path.Combine(_dir, "kek.json");
        var ring = KeyRing.Open(ringPath, createIfMissing: true);
        var first = ring.ActiveKeyId;
        var data = Path.Combine(_dir, "hss");
        var name = $"sqlite:{Path.Combine(data, SqliteStateStore.FileName)}";
        await using (var store = await SqliteStateStore.OpenAsync(data, ring, cancellationToken: ct))
            await store.Subscribers.AddAsync(new M2MSec.Storage.Hss.HssSubscriber("001010000000601", new byte[16], new byte[16], [0x80, 0]), cancellationToken: ct);
        Assert.Equal([new KeyRingStoreUse(name, [first])], KeyRingStores.Read(ringPath), new UseComparer());
        Assert.Equal(Path.Combine(_dir, "kek.stores.json"), KeyRingStores.PathFor(ringPath));

        var second = ring.AddKey();
        await using (var store = await SqliteStateStore.OpenAsync(data, KeyRing.Open(ringPath), cancellationToken: ct))
        {
            await store.Subscribers.AddAsync(new M2MSec.Storage.Hss.HssSubscriber("001010000000602", new byte[16], new byte[16], [0x80, 0]), cancellationToken: ct);
            Assert.Equal([first], KeyRingStores.Read(ringPath).Single().KeyIds); // recorded at open
            await store.RewrapSecretsAsync(ct);
        }
        Assert.Equal([second], KeyRingStores.Read(ringPath).Single().KeyIds);
        Assert.DoesNotContain("\"key\"", await File.ReadAllTextAsync(KeyRingStores.PathFor(ringPath), ct), StringComparison.Ordinal); // ids only, never a key
    }

    private sealed class UseComparer : IEqualityComparer<KeyRingStoreUse>
    {
        public bool Equals(KeyRingStoreUse? x, KeyRingStoreUse? y) => x!.Store == y!.Store && x.KeyIds.SequenceEqual(y.KeyIds);

        public int GetHashCode(KeyRingStoreUse obj) => obj.Store.GetHashCode(StringComparison.Ordinal);
    }
}
