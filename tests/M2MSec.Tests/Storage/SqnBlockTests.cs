using System.Collections.Concurrent;
using System.Security.Cryptography;
using M2MSec.Aka;
using M2MSec.Storage;
using M2MSec.Storage.Hss;
using M2MSec.Storage.PostgreSql;
using M2MSec.Storage.Security;
using M2MSec.Storage.Sqlite;
using M2MSec.Tests.Support;

namespace M2MSec.Tests.Storage;

/// <summary>
/// Issue 19 target 5 (docs/decisions/035): SQNs reserved in durable blocks and handed out from memory are never handed out twice —
/// across a restart (the unused rest of a block is skipped), across concurrent requests, and across two store instances (two HSSs) on
/// one database; the skip stays inside the USIM's acceptance window (decision 001). Run on SQLite and PostgreSQL.
/// </summary>
public abstract class SqnBlockTests : IAsyncLifetime
{
    private const string Imsi = "001010000000321";
    private static readonly SqnScheme Scheme = SqnScheme.Default;

    protected string Dir { get; } = Directory.CreateTempSubdirectory("m2msec-sqnblock-").FullName;

    protected KeyRing Ring { get; } = KeyRing.CreateEphemeral();

    /// <summary>A new instance on the same database each call.</summary>
    protected abstract Task<IStateStore> OpenAsync();

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    public ValueTask DisposeAsync()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(Dir, true);
        return ValueTask.CompletedTask;
    }

    private static HssSubscriber NewSubscriber() => new(Imsi, RandomNumberGenerator.GetBytes(16), RandomNumberGenerator.GetBytes(16), [0x80, 0x00]);

    private static async Task<List<ulong>> TakeAsync(SqnBlockReservations blocks, IStateStore store, HssSubscriber s, int requests, int count = 1)
    {
        var got = new List<ulong>();
        for (var i = 0; i < requests; i++)
            got.AddRange((await blocks.TakeAsync(store.Subscribers, s, count, TestContext.Current.CancellationToken))!);
        return got;
    }

    [Fact]
    public async Task Restart_SkipsTheRestOfTheBlock_NeverReuses_AndTheUsimAcceptsTheSkip_SqnReuseThreat()
    {
        var s = NewSubscriber();
        List<ulong> before;
        await using (var store = await OpenAsync())
        {
            Assert.True(await store.Subscribers.AddAsync(s));
            before = await TakeAsync(new SqnBlockReservations(32, Scheme), store, s, 5);
            // One durable commit reserved SEQ 1..32 before SEQ 1 was handed out.
            Assert.Equal(32UL, (await store.Subscribers.GetSqnStateAsync(Imsi))!.Value.SeqHe);
        }
        await using (var store = await OpenAsync())
        {
            var after = await TakeAsync(new SqnBlockReservations(32, Scheme), store, s, 5);
            Assert.Equal([1UL, 2, 3, 4, 5], before.Select(Scheme.Seq));
            Assert.Equal([33UL, 34, 35, 36, 37], after.Select(Scheme.Seq));
            Assert.Empty(before.Intersect(after));

            // The USIM (Annex C.2.2) accepts every vector, in order, across the skip of 27: far inside Δ = 2^28.
            var usim = new UsimSqnState(Scheme);
            foreach (var sqn in before.Concat(after))
                usim.Accept(sqn);
        }
    }

    [Fact]
    public async Task ConcurrentRequests_OneInstance_NeverGetTheSameSqn_SqnReuseThreat()
    {
        var s = NewSubscriber();
        await using var store = await OpenAsync();
        Assert.True(await store.Subscribers.AddAsync(s));
        var blocks = new SqnBlockReservations(32, Scheme);
        var all = new ConcurrentBag<ulong>();
        await Parallel.ForEachAsync(Enumerable.Range(0, 160), new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (i, ct) =>
        {
            foreach (var sqn in (await blocks.TakeAsync(store.Subscribers, s, 1 + i % 3, ct))!)
                all.Add(sqn);
        });
        var expected = Enumerable.Range(0, 160).Sum(i => 1 + i % 3);
        Assert.Equal(expected, all.Count);
        Assert.Equal(expected, all.Distinct().Count());
        // Every SQN handed out is at or below the durable SEQ_HE, and blocks of 32 took ⌈expected / 32⌉ … + 1 commits, not one each.
        var seqHe = (await store.Subscribers.GetSqnStateAsync(Imsi))!.Value.SeqHe;
        Assert.True(all.Max(Scheme.Seq) <= seqHe);
        Assert.True(seqHe <= (ulong)expected + 32 + 2);
    }

    [Fact]
    public async Task TwoInstancesOnOneStore_NeverHandOutTheSameSqn_SqnReuseThreat()
    {
        var s = NewSubscriber();
        await using var a = await OpenAsync();
        await using var b = await OpenAsync();
        Assert.True(await a.Subscribers.AddAsync(s));
        var blocksA = new SqnBlockReservations(32, Scheme);
        var blocksB = new SqnBlockReservations(32, Scheme);
        var fromA = Task.Run(() => TakeAsync(blocksA, a, s, 150, 2));
        var fromB = Task.Run(() => TakeAsync(blocksB, b, s, 150, 2));
        var lists = await Task.WhenAll(fromA, fromB);
        Assert.All(lists, l => Assert.True(l.Zip(l.Skip(1)).All(p => Scheme.Seq(p.Second) > Scheme.Seq(p.First)), "an instance's SQNs went backwards"));
        Assert.Equal(600, lists[0].Concat(lists[1]).Distinct().Count());
        var seqHe = (await a.Subscribers.GetSqnStateAsync(Imsi))!.Value.SeqHe;
        Assert.True(lists.SelectMany(l => l).Max(Scheme.Seq) <= seqHe);
    }

    [Fact]
    public async Task SubscriberRetiredAndAddedAgain_GetsNoSqnOfTheOldBlock_SqnReuseThreat()
    {
        var old = NewSubscriber();
        await using var store = await OpenAsync();
        Assert.True(await store.Subscribers.AddAsync(old));
        var blocks = new SqnBlockReservations(32, Scheme);
        await TakeAsync(blocks, store, old, 3);
        // Retired through another instance (this one never hears of it), then added again with a new K at SEQ_HE 0.
        Assert.True(await store.Subscribers.RemoveAsync(Imsi));
        var again = NewSubscriber();
        Assert.True(await store.Subscribers.AddAsync(again));
        var got = await TakeAsync(blocks, store, again, 3);
        // Its SQNs come from its own SEQ_HE, durably reserved: 1, 2, 3 of a new block, and the store at 32.
        Assert.Equal([1UL, 2, 3], got.Select(Scheme.Seq));
        Assert.Equal(32UL, (await store.Subscribers.GetSqnStateAsync(Imsi))!.Value.SeqHe);
    }

    [Fact]
    public async Task Unknown_IsNull_AndBlockSizeAboveL_IsRefused()
    {
        await using var store = await OpenAsync();
        Assert.Null(await new SqnBlockReservations(32, Scheme).TakeAsync(store.Subscribers, NewSubscriber(), 1, TestContext.Current.CancellationToken));
        Assert.Throws<ArgumentOutOfRangeException>(() => new SqnBlockReservations((int)Scheme.L + 1, Scheme));
        Assert.Throws<ArgumentOutOfRangeException>(() => new SqnBlockReservations(0, Scheme));
    }
}

public sealed class SqliteSqnBlockTests : SqnBlockTests
{
    protected override async Task<IStateStore> OpenAsync() => await SqliteStateStore.OpenAsync(Dir, Ring);
}

public sealed class PostgresSqnBlockTests(PostgresServer server) : SqnBlockTests
{
    private string? _connection;

    protected override async Task<IStateStore> OpenAsync() => await PostgresStateStore.OpenAsync(_connection ??= await server.CreateDatabaseAsync(), Ring);
}
