using System.Security.Cryptography;
using M2MSec.Storage;
using M2MSec.Storage.Ota;
using M2MSec.Storage.PostgreSql;
using M2MSec.Storage.Security;
using M2MSec.Storage.Sqlite;
using M2MSec.Tests.Support;

namespace M2MSec.Tests.Storage;

/// <summary>
/// Counters and nonces across processes and a SIGKILL, on SQLite and PostgreSQL: never a value
/// twice, never a consumed nonce accepted again.
/// </summary>
public abstract class StoreDurabilityTests : IAsyncLifetime
{
    protected string Dir { get; } = Directory.CreateTempSubdirectory("m2msec-durable-").FullName;

    protected string KekFile => Path.Combine(Path.GetDirectoryName(Dir)!, Path.GetFileName(Dir) + ".kek.json");

    /// <summary>Options that point the probe at the same store.</summary>
    protected abstract Task<string[]> ProbeStoreArgsAsync();

    protected abstract Task<IStateStore> OpenAsync();

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    public ValueTask DisposeAsync()
    {
        Directory.Delete(Dir, true);
        File.Delete(KekFile);
        return ValueTask.CompletedTask;
    }

    private async Task<string[]> ArgsAsync(params string[] mode) => [.. await ProbeStoreArgsAsync(), "--kek", KekFile, .. mode];

    private async Task AddKeySetAsync(string iccid)
    {
        await using var store = await OpenAsync();
        Assert.True(await store.OtaKeySets.AddAsync(new OtaKeySet(iccid, 1, 0x12, RandomNumberGenerator.GetBytes(16), 0x12, RandomNumberGenerator.GetBytes(16))));
    }

    [Fact]
    public async Task TwoProcesses_Take10000CountersEach_AllDistinct_EachStrictlyIncreasing()
    {
        const string iccid = "8988211000000000101";
        await AddKeySetAsync(iccid);
        var args = await ArgsAsync("counter", iccid, "1", "10000");
        var a = StoreProcesses.Start(args);
        var b = StoreProcesses.Start(args);
        var results = await Task.WhenAll(StoreProcesses.ReadLinesAsync(a), StoreProcesses.ReadLinesAsync(b));
        var values = results.Select(lines => lines.Select(ulong.Parse).ToList()).ToArray();
        Assert.All(values, v => Assert.Equal(10_000, v.Count));
        Assert.All(values, v => Assert.True(v.Zip(v.Skip(1)).All(p => p.Second > p.First), "a process saw its counter go backwards"));
        Assert.Equal(20_000, values[0].Concat(values[1]).Distinct().Count());
        await using var store = await OpenAsync();
        Assert.Equal(20_000UL, await store.OtaKeySets.GetCounterAsync(iccid, 1));
    }

    [Fact]
    public async Task WriterKilledMidBurst_NoCounterValueIsHandedOutTwiceAfterRestart()
    {
        const string iccid = "8988211000000000102";
        await AddKeySetAsync(iccid);
        var probe = StoreProcesses.Start(await ArgsAsync("counter", iccid, "1", "1000000"));
        var before = (await StoreProcesses.ReadLinesAsync(probe, stopAfter: 300)).Select(ulong.Parse).ToList();
        Assert.True(before.Count >= 300);

        await using var store = await OpenAsync();
        // Durable before handed out: the stored counter is at least every value the dead process printed.
        Assert.True(await store.OtaKeySets.GetCounterAsync(iccid, 1) >= before.Max());
        var after = new List<ulong>();
        for (var i = 0; i < 50; i++)
            after.Add((await store.OtaKeySets.NextCounterAsync(iccid, 1))!.Value);
        Assert.True(after.Min() > before.Max());
        Assert.Equal(before.Count + after.Count, before.Concat(after).Distinct().Count());
    }

    [Fact]
    public async Task SqnBlockHolderKilledMidBurst_NoSqnIsHandedOutTwiceAfterRestart_SqnReuseThreat()
    {
        // Issue 19 (decision 035): the probe hands out SQNs from blocks of 32 reserved durably and is SIGKILLed with a block half used.
        const string imsi = "001010000000654";
        await using (var setup = await OpenAsync())
            Assert.True(await setup.Subscribers.AddAsync(new M2MSec.Storage.Hss.HssSubscriber(imsi, RandomNumberGenerator.GetBytes(16), RandomNumberGenerator.GetBytes(16), [0x80, 0x00])));
        var scheme = M2MSec.Aka.SqnScheme.Default;
        var probe = StoreProcesses.Start(await ArgsAsync("sqn-block", imsi, "32", "1000000"));
        var before = (await StoreProcesses.ReadLinesAsync(probe, stopAfter: 300)).Select(ulong.Parse).ToList();
        Assert.True(before.Count >= 300);

        await using var store = await OpenAsync();
        // Durable before handed out: the stored SEQ_HE is at or past every SQN the dead process printed.
        var seqHe = (await store.Subscribers.GetSqnStateAsync(imsi))!.Value.SeqHe;
        Assert.True(seqHe >= before.Max(scheme.Seq));
        var subscriber = (await store.Subscribers.FindAsync(imsi))!;
        var blocks = new M2MSec.Storage.Hss.SqnBlockReservations(32, scheme);
        var after = new List<ulong>();
        for (var i = 0; i < 50; i++)
            after.Add((await blocks.TakeAsync(store.Subscribers, subscriber, 1))![0]);
        Assert.Equal(seqHe + 1, scheme.Seq(after[0]));
        Assert.True(after.Min(scheme.Seq) > before.Max(scheme.Seq));
        // What the restart skipped is at most one block (the probe may die between a block's commit and its first print).
        Assert.True(scheme.Seq(after[0]) - before.Max(scheme.Seq) <= 32 + 1);
        Assert.Equal(before.Count + after.Count, before.Concat(after).Distinct().Count());
    }

    [Fact]
    public async Task ConsumerKilledMidBurst_NoConsumedNonceIsAcceptedAgain()
    {
        var nonces = await StoreProcesses.ReadLinesAsync(StoreProcesses.Start(await ArgsAsync("nonce-issue", "registration", "200")));
        Assert.Equal(200, nonces.Distinct().Count());

        var consumer = StoreProcesses.Start(await ArgsAsync("nonce-consume", "registration"), redirectInput: true);
        var feed = Task.Run(async () =>
        {
            try
            {
                foreach (var n in nonces)
                    await consumer.StandardInput.WriteLineAsync(n);
                consumer.StandardInput.Close();
            }
            catch (IOException)
            {
                // The consumer was killed while we fed it.
            }
        });
        var answered = await StoreProcesses.ReadLinesAsync(consumer, stopAfter: 100);
        await feed;
        var acceptedBefore = answered.Where(l => l.EndsWith(" ok", StringComparison.Ordinal)).Select(l => l.Split(' ')[0]).ToHashSet();
        Assert.True(acceptedBefore.Count >= 100);

        await using var store = await OpenAsync();
        var acceptedAfter = new List<string>();
        foreach (var n in nonces)
            if (await store.Nonces.ConsumeAsync("registration", Convert.FromHexString(n)))
                acceptedAfter.Add(n);
        Assert.Empty(acceptedAfter.Intersect(acceptedBefore));
        Assert.True(acceptedBefore.Count + acceptedAfter.Count <= 200);
        // A second pass accepts nothing.
        foreach (var n in nonces)
            Assert.False(await store.Nonces.ConsumeAsync("registration", Convert.FromHexString(n)));
    }
}

[LongRunning(23)]
public sealed class SqliteStoreDurabilityTests : StoreDurabilityTests
{
    protected override Task<string[]> ProbeStoreArgsAsync() => Task.FromResult<string[]>(["--sqlite", Dir]);

    protected override Task<IStateStore> OpenAsync() => SqliteStateStore.OpenAsync(Dir, KeyRing.Open(KekFile, createIfMissing: true));
}

[LongRunning(17)]
public sealed class PostgresStoreDurabilityTests(PostgresServer server) : StoreDurabilityTests
{
    private string? _connection;

    private async Task<string> ConnectionAsync() => _connection ??= await server.CreateDatabaseAsync();

    protected override async Task<string[]> ProbeStoreArgsAsync() => ["--postgres", await ConnectionAsync()];

    protected override async Task<IStateStore> OpenAsync() => await PostgresStateStore.OpenAsync(await ConnectionAsync(), KeyRing.Open(KekFile, createIfMissing: true));
}
