using System.Diagnostics;
using M2MSec.Device.Dm;
using M2MSec.Device.M2me;
using M2MSec.Dm.Auth;
using M2MSec.NetworkFunctions.Dm;
using M2MSec.Storage.Dm;
using M2MSec.Storage.InMemory;

namespace M2MSec.Tests.Dm.Server;

/// <summary>
/// Decision 038: a session whose jobs are answered waits, bounded, for the next job a function on top of the DM server (the DPF)
/// announces through <see cref="DmSessionEngine.NextWork"/>, and carries it in the same session — the device's own jobs only.
/// </summary>
public sealed class DmNextJobInSessionTests : IDisposable
{
    private const string ServerId = "m2msec-dm";
    private static readonly Uri ServerUri = new("https://dm.example/dm");
    private readonly string _dir = Directory.CreateTempSubdirectory("m2msec-dmnext-").FullName;
    private readonly InMemoryDmStore _store = new(TimeProvider.System);
    private readonly M2meDevice _device;

    public DmNextJobInSessionTests() =>
        _device = M2meDevice.Create(Path.Combine(_dir, "dev"), Path.Combine(_dir, "fuse"), "001010000000009", M2meKind.Tre);

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string DevId => _device.Info.TreId;

    private DmSessionEngine Engine(TimeSpan wait) =>
        new(_store, ServerUri.ToString(), TimeProvider.System, new DmSessionOptions { NextJobWait = wait });

    private async Task<DmClient> ClientAsync()
    {
        Assert.True(await _store.AddAccountAsync(new DmAccount(DevId, ServerId, "dev", "client-secret"u8.ToArray(), "server-secret"u8.ToArray(), "md5", "md5",
            DateTimeOffset.UtcNow)));
        return new DmClient(_device, new DmClientAccount(ServerId, ServerUri, "dev", "client-secret"u8.ToArray(), "server-secret"u8.ToArray(), DmAuthScheme.Md5,
            DmAuthScheme.Md5));
    }

    private async Task<string> QueueAsync(string devId, string value)
    {
        var id = Guid.NewGuid().ToString("N");
        await _store.AddJobAsync(new DmJobRecord(id, devId, "queued", DateTimeOffset.UtcNow, DateTimeOffset.UtcNow,
            [.. DmJobReadBack.WithReadBack([("replace", "./NASConfig/NAS_SignallingPriority", value)]).Select((c, i) => new DmCommandRecord(id, i + 1, c.Verb, c.Uri, c.Value, null, null))]));
        return id;
    }

    private async Task<string> StateOf(string id) => (await _store.FindJobAsync(id, TestContext.Current.CancellationToken))!.State;

    [Fact]
    public async Task JobQueuedByTheFollowUp_GoesOutInTheSameSession()
    {
        var ct = TestContext.Current.CancellationToken;
        var engine = Engine(TimeSpan.FromSeconds(10));
        var client = await ClientAsync();
        var first = await QueueAsync(DevId, "1");
        var next = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        string? second = null;
        var finished = new List<string>();
        engine.JobFinished = (f, token) =>
        {
            finished.Add(f.JobId);
            if (f.JobId == first)
            {
                // The follow-up runs beside the session and queues the device's next job a moment later.
                _ = FollowUpAsync();
            }
            return Task.CompletedTask;
        };
        async Task FollowUpAsync()
        {
            await Task.Delay(150, ct);
            second = await QueueAsync(DevId, "1");
            next.TrySetResult(true);
        }
        engine.NextWork = devId => devId == DevId && !next.Task.IsCompleted ? next.Task : null; // asked again after the second job: nothing more

        var outcome = await client.RunSessionAsync(engine.ExchangeXmlAsync, ct);

        Assert.True(outcome.Completed, outcome.Detail);
        Assert.NotNull(second);
        Assert.Equal(("done", "done"), (await StateOf(first), await StateOf(second!)));
        Assert.Equal([first, second!], finished); // each job's end told once, in order
        Assert.Equal(4, outcome.CommandsExecuted); // both jobs' replace and read-back, one session
        Assert.Equal(0, engine.LiveSessions);
    }

    [Fact]
    public async Task NoJobWithinTheWait_TheSessionEndsAfterIt()
    {
        var ct = TestContext.Current.CancellationToken;
        var engine = Engine(TimeSpan.FromMilliseconds(300));
        var client = await ClientAsync();
        var job = await QueueAsync(DevId, "1");
        engine.JobFinished = (_, _) => Task.CompletedTask;
        engine.NextWork = _ => new TaskCompletionSource<bool>().Task; // announced, never comes

        var watch = Stopwatch.StartNew();
        var outcome = await client.RunSessionAsync(engine.ExchangeXmlAsync, ct);

        Assert.True(outcome.Completed, outcome.Detail);
        Assert.Equal("done", await StateOf(job));
        Assert.InRange(watch.Elapsed, TimeSpan.FromMilliseconds(290), TimeSpan.FromSeconds(5));
        Assert.Equal(0, engine.LiveSessions);
    }

    [Fact]
    public async Task NothingAnnounced_TheSessionEndsAtOnce()
    {
        var ct = TestContext.Current.CancellationToken;
        var engine = Engine(TimeSpan.FromSeconds(30));
        var client = await ClientAsync();
        var job = await QueueAsync(DevId, "1");
        engine.NextWork = _ => null;

        var watch = Stopwatch.StartNew();
        var outcome = await client.RunSessionAsync(engine.ExchangeXmlAsync, ct);

        Assert.True(outcome.Completed, outcome.Detail);
        Assert.Equal("done", await StateOf(job));
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(10), $"{watch.Elapsed}");
    }

    [Fact]
    public async Task AJobOfAnotherDevice_IsNeverTakenIntoTheSession_CrossDeviceJobThreat()
    {
        var ct = TestContext.Current.CancellationToken;
        var engine = Engine(TimeSpan.FromSeconds(10));
        var client = await ClientAsync();
        var own = await QueueAsync(DevId, "1");
        string? foreign = null;
        var next = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        engine.JobFinished = async (_, _) =>
        {
            // A signal for this device while the only new job is another device's: the session must not carry it.
            foreign = await QueueAsync("TRE-OTHER-DEVICE", "0");
            next.TrySetResult(true);
        };
        engine.NextWork = _ => next.Task;

        var outcome = await client.RunSessionAsync(engine.ExchangeXmlAsync, ct);

        Assert.True(outcome.Completed, outcome.Detail);
        Assert.Equal(2, outcome.CommandsExecuted); // its own job only
        Assert.Equal("done", await StateOf(own));
        Assert.Equal("queued", await StateOf(foreign!));
    }
}
