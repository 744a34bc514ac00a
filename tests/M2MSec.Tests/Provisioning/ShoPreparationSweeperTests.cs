using M2MSec.NetworkFunctions.Hosting;
using M2MSec.NetworkFunctions.Sho;
using M2MSec.Storage.InMemory;
using M2MSec.Storage.Sho;
using Microsoft.Extensions.Time.Testing;

namespace M2MSec.Tests.Provisioning;

/// <summary>Issue 16, bulk preparation: the SHO's expiry sweep runs at start and then every minute on its TimeProvider.</summary>
public sealed class ShoPreparationSweeperTests
{
    private static async Task PrepareAsync(IShoStore store, string pcid, DateTimeOffset now, TimeSpan lifetime)
    {
        var r = await store.ReservePreparationsAsync([new ShoPreparedMcim(pcid, "", ShoPreparedMcim.Sealing, "tre-" + pcid, [1], [2], null, null, null, null, now,
            now + lifetime)]);
        Assert.NotNull(r[0].Imsi);
        Assert.Equal(1, await store.CompletePreparationsAsync([new ShoSealedPreparation(pcid, [3], new byte[16], new byte[16])]));
    }

    private static async Task<bool> EventuallyAsync(Func<Task<bool>> condition)
    {
        for (var i = 0; i < 100; i++)
        {
            if (await condition())
                return true;
            await Task.Delay(20, TestContext.Current.CancellationToken);
        }
        return false;
    }

    [Fact]
    public async Task ExpiredPreparation_SweptAtStartAndOnTheMinute_ItsImsiFreed_ExpiredPreparationThreat()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 12, 3, 12, 0, 0, TimeSpan.Zero));
        var state = new InMemoryStateStore(time);
        await state.Sho.AddPoolAsync(["001010000000001", "001010000000002"]);
        var now = time.GetUtcNow();
        await PrepareAsync(state.Sho, "001900000000001", now - TimeSpan.FromMinutes(5), TimeSpan.FromMinutes(1)); // expired before the start
        await PrepareAsync(state.Sho, "001900000000002", now, TimeSpan.FromSeconds(90));
        var options = new ShoOptions();
        using var peers = new PeerClients(new NetworkFunctionPeers());
        var sho = new ShoContext(state, options, peers, new PvaVerdictVerifier(null, null, options.VerdictMaxAge), new McimPackager(),
            new ShoSigningIdentity(state, options, time), time);
        using var sweeper = new ShoPreparationSweeper(sho);

        await sweeper.StartAsync(TestContext.Current.CancellationToken);
        Assert.True(await EventuallyAsync(async () => await state.Sho.FindPreparedAsync("001900000000001") is null), "not swept at start");
        Assert.NotNull(await state.Sho.FindPreparedAsync("001900000000002"));

        time.Advance(ShoPreparationSweeper.Interval); // +60 s: not yet expired
        await Task.Delay(100, TestContext.Current.CancellationToken);
        Assert.NotNull(await state.Sho.FindPreparedAsync("001900000000002"));
        time.Advance(ShoPreparationSweeper.Interval); // +120 s: expired at +90 s
        Assert.True(await EventuallyAsync(async () => await state.Sho.FindPreparedAsync("001900000000002") is null), "not swept on the minute");
        Assert.Equal(2, (await state.Sho.CountPoolAsync())["free"]);
        await sweeper.StopAsync(TestContext.Current.CancellationToken);
    }
}
