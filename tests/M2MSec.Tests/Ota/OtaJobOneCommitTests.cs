using System.Security.Cryptography;
using M2MSec.NetworkFunctions.Hosting;
using M2MSec.NetworkFunctions.Ota;
using M2MSec.NetworkFunctions.Smsc;
using M2MSec.Storage;
using M2MSec.Storage.InMemory;
using M2MSec.Storage.Ota;
using M2MSec.Tests.Support;

namespace M2MSec.Tests.Ota;

/// <summary>
/// Issue 19 (docs/decisions/055): the OTA server takes a job's counter and records the job in one commit, before the packet leaves.
/// Before, two: a failure between them left a counter taken for a job never recorded. Run per store.
/// </summary>
public abstract class OtaJobOneCommitContract : StateTest
{
    [Fact]
    public async Task OtaJob_ItsRecordFails_TheCounterIsNotTaken_NothingSent_TornRequestThreat()
    {
        var ct = TestContext.Current.CancellationToken;
        const string iccid = "8988211000000005501";
        Assert.True(await State.OtaKeySets.AddAsync(new OtaKeySet(iccid, 1, 0x02, RandomNumberGenerator.GetBytes(16), 0x02, RandomNumberGenerator.GetBytes(16)),
            cancellationToken: ct));
        await using var smsc = await NetworkFunctionHost.StartAsync(new SmscFunction(), Path.Combine(Dir, "smsc"), new InMemoryStateStore(), cancellationToken: ct);
        using var http = new HttpClient { BaseAddress = smsc.Address };
        var jobs = new OtaJobs(StateWithFailingCall.Wrap(State, nameof(IStateStore.OtaJobs), "AddAsync"), new SmscClient(http), new OtaServerOptions(smsc.Address));

        await Assert.ThrowsAsync<IOException>(() => jobs.SubmitAsync(iccid, [0xB0, 0x00, 0x01], 1, OtaJobs.DefaultSpi, [0x00, 0xA4, 0x00, 0x0C], null, ct));

        Assert.Equal(0UL, await State.OtaKeySets.GetCounterAsync(iccid, 1, ct));
        Assert.Empty(await new SmscClient(http).DeliverAsync(iccid, 0, ct));
    }
}

public sealed class SqliteOtaJobOneCommitTests : OtaJobOneCommitContract
{
    protected override Task<IStateStore> OpenStateAsync() => OpenSqliteAsync();
}

public sealed class PostgresOtaJobOneCommitTests(PostgresServer server) : OtaJobOneCommitContract
{
    protected override Task<IStateStore> OpenStateAsync() => OpenPostgresAsync(server);
}
