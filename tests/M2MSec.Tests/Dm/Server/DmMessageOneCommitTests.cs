using System.Reflection;
using M2MSec.Device.Dm;
using M2MSec.Device.M2me;
using M2MSec.Dm.Auth;
using M2MSec.NetworkFunctions.Dm;
using M2MSec.Storage;
using M2MSec.Storage.Dm;
using M2MSec.Storage.Security;
using M2MSec.Storage.Sqlite;

namespace M2MSec.Tests.Dm.Server;

/// <summary>
/// Issue 19: what one DM message changes in the server's store — the device's statuses and results, the jobs finished, the session's
/// record — commits once, before the reply leaves: a store that fails part-way leaves none of it (before, each change was its own commit,
/// and a failure after the first left a job "done" whose session was never recorded, or results with no job state to match).
/// </summary>
public sealed class DmMessageOneCommitTests : IAsyncLifetime
{
    private const string ServerId = "m2msec-dm";
    private static readonly Uri ServerUri = new("https://dm.example/dm");
    private readonly string _dir = Directory.CreateTempSubdirectory("m2msec-dmcommit-").FullName;
    private IStateStore _state = null!;
    private M2meDevice _device = null!;

    public async ValueTask InitializeAsync()
    {
        _state = await SqliteStateStore.OpenAsync(Path.Combine(_dir, "store"), KeyRing.CreateEphemeral(), TimeProvider.System);
        _device = M2meDevice.Create(Path.Combine(_dir, "dev"), Path.Combine(_dir, "fuse"), "001010000000019", M2meKind.Tre);
    }

    public async ValueTask DisposeAsync()
    {
        await _state.DisposeAsync();
        Directory.Delete(_dir, recursive: true);
    }

    private string DevId => _device.Info.TreId;

    [Fact]
    public async Task DmMessage_ItsLastWriteFails_NoneOfItsChangesStay_TornDmMessageThreat()
    {
        var ct = TestContext.Current.CancellationToken;
        var store = FailingDmStore.Wrap(_state.Dm);
        Assert.True(await store.AddAccountAsync(new DmAccount(DevId, ServerId, "dev", "client-secret"u8.ToArray(), "server-secret"u8.ToArray(), "md5", "md5",
            DateTimeOffset.UtcNow)));
        var job = Guid.NewGuid().ToString("N");
        await store.AddJobAsync(new DmJobRecord(job, DevId, "queued", DateTimeOffset.UtcNow, DateTimeOffset.UtcNow,
            [.. DmJobReadBack.WithReadBack([("replace", "./NASConfig/NAS_SignallingPriority", "1")]).Select((c, i) => new DmCommandRecord(job, i + 1, c.Verb, c.Uri, c.Value, null, null))]),
            ct);
        var engine = new DmSessionEngine(store, ServerUri.ToString(), TimeProvider.System, new DmSessionOptions());
        var client = new DmClient(_device, new DmClientAccount(ServerId, ServerUri, "dev", "client-secret"u8.ToArray(), "server-secret"u8.ToArray(), DmAuthScheme.Md5,
            DmAuthScheme.Md5));
        // The disk fills as the session's last message is recorded: its statuses and results are in, its job finished — then the session's record fails.
        ((FailingDmStore)(object)store).FailRecordSession = true;

        try
        {
            await client.RunSessionAsync(engine.ExchangeXmlAsync, ct);
        }
        catch (IOException)
        {
            // the server could not answer the last message: the device sees its session fail
        }

        var after = (await _state.Dm.FindJobAsync(job, ct))!;
        Assert.Equal("running", after.State); // taken in the first message (its own commit), never "done"
        Assert.All(after.Commands, c => Assert.Null(c.Status)); // the last message's statuses went with it
        Assert.All(after.Commands, c => Assert.NotNull(c.SentAt)); // what the first message sent stays marked sent
        Assert.Null((await _state.Dm.GetDeviceReportAsync(DevId, ct)).LastSession);
    }

    /// <summary>The SQLite DM store, whose session record fails on demand (a full disk, a lost database connection).</summary>
    public class FailingDmStore : DispatchProxy
    {
        private IDmStore _inner = null!;

        public bool FailRecordSession { get; set; }

        public static IDmStore Wrap(IDmStore inner)
        {
            var proxy = Create<IDmStore, FailingDmStore>();
            ((FailingDmStore)(object)proxy)._inner = inner;
            return proxy;
        }

        protected override object? Invoke(MethodInfo? targetMethod, object?[]? args)
        {
            ArgumentNullException.ThrowIfNull(targetMethod);
            if (FailRecordSession && targetMethod.Name == nameof(IDmStore.RecordSessionAsync))
                return ValueTask.FromException(new IOException("disk full"));
            try
            {
                return targetMethod.Invoke(_inner, args);
            }
            catch (TargetInvocationException e) when (e.InnerException is not null)
            {
                throw e.InnerException;
            }
        }
    }
}
