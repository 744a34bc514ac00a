using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using M2MSec.Device.Gba;
using M2MSec.Ota.Scp81;
using M2MSec.Tests.Support;

namespace M2MSec.Tests.Device;

/// <summary>
/// Decision 058: the device's blocking TLS clients — the Ua client and the SCP81 card agent (BouncyCastle) — wait for their server on
/// threads of their own, never on pool threads: in one process with the server (the demo, `serve all` with simulated devices) a pool
/// thread waiting for a peer can hold the thread that peer needs to answer. A cancellation ends a session that waits.
/// </summary>
public sealed class ClientSessionThreadTests
{
    private const int Sessions = 32;

    [Fact]
    public async Task UaClient_WaitingForASilentNaf_HoldsNoPoolThread_AndCancels_PoolStarvationThreat()
    {
        var key = new UaKey("btid@bsf.example", RandomNumberGenerator.GetBytes(32));
        await WhileServersStaySilentAsync(UaClient.SessionThreadName,
            (endpoint, ct) => UaClient.HelloAsync(endpoint, "naf.example", key, ct));
    }

    [Fact]
    public async Task Scp81CardAgent_WaitingForASilentAdminServer_HoldsNoPoolThread_AndCancels_PoolStarvationThreat()
    {
        var agent = new Scp81CardAgent("8988211000000000709", RandomNumberGenerator.GetBytes(16), "//se-id/iccid/8988211000000000709", _ => []);
        await WhileServersStaySilentAsync(Scp81CardAgent.SessionThreadName, (endpoint, ct) => agent.RunSessionAsync(endpoint, ct));
    }

    [Fact]
    public async Task SessionThread_RunsOffThePool_AndCarriesTheResultOrTheException()
    {
        var (pool, name, value) = await SessionThread.Run("test session", () => (Thread.CurrentThread.IsThreadPoolThread, Thread.CurrentThread.Name, 42));
        Assert.False(pool);
        Assert.Equal("test session", name);
        Assert.Equal(42, value);
        await Assert.ThrowsAsync<InvalidDataException>(() => SessionThread.Run<int>("test session", () => throw new InvalidDataException("bad")));
    }

    [Fact]
    public async Task SessionThread_ACancellationClosesTheConnection_AndEndsInOperationCanceled_EvenWhenTheSessionReturns()
    {
        using var closed = new ManualResetEventSlim();
        using var cancel = new CancellationTokenSource();
        // The session makes a result of its closed connection (as the Ua client makes "closed" of a failed handshake).
        var run = SessionThread.Run("test session", () => closed.Wait(TimeSpan.FromSeconds(20)) ? "closed" : "timed out", new Closing(closed), cancel.Token);
        Assert.False(run.IsCompleted);
        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run);
        Assert.True(closed.IsSet);
    }

    [Fact]
    public async Task SessionThread_AFinishedSessionsThreadServesTheNext_UnderTheNextOnesName()
    {
        // Decision 059: a thread made costs ≈ 190 µs of CPU, a thread handed a session ≈ 15 µs. The first session's thread goes back
        // to wait only after its result is set, so the next session may still find none idle: a few tries.
        // Thread objects, not ids: the runtime gives an ended thread's managed id to the next thread it makes.
        var seen = new HashSet<Thread>(ReferenceEqualityComparer.Instance);
        for (var i = 0; i < 50; i++)
        {
            var name = $"test session {i}";
            var (thread, threadName) = await SessionThread.Run(name, () => (Thread.CurrentThread, Thread.CurrentThread.Name));
            Assert.Equal(name, threadName);
            if (!seen.Add(thread))
                return;
            await Task.Delay(20, TestContext.Current.CancellationToken);
        }
        Assert.Fail($"50 sessions one after another ran on {seen.Count} threads: none was used again");
    }

    private static readonly AsyncLocal<string?> Caller = new();

    [Fact]
    public async Task SessionThread_EachSessionRunsInItsCallersContext_NeverInAnEarlierSessions_ContextLeakThreat()
    {
        // A reused thread must not carry what an earlier session (or the code that made the thread) had in its execution context —
        // a trace id, a logging scope — into the next one.
        for (var i = 0; i < 20; i++)
        {
            Caller.Value = $"caller {i}";
            var seen = await SessionThread.Run("test session", () =>
            {
                var value = Caller.Value;
                Caller.Value = "set inside a session";
                return value;
            });
            Assert.Equal($"caller {i}", seen);
            Assert.Equal($"caller {i}", Caller.Value); // nor does a session's change flow back
            Caller.Value = null;
            Assert.Null(await SessionThread.Run("test session", () => Caller.Value));
        }
    }

    [Fact]
    public async Task SessionThread_SessionsRunAtOnce_NoneWaitsForAnotherToEnd_PoolStarvationThreat()
    {
        // Every session needs all the others to be running: a bounded set of threads, or a queue, would never finish.
        const int Together = 24;
        using var all = new CountdownEvent(Together);
        var sessions = Enumerable.Range(0, Together).Select(_ => SessionThread.Run("test session", () =>
        {
            all.Signal();
            return all.Wait(TimeSpan.FromSeconds(20));
        })).ToList();
        Assert.All(await Task.WhenAll(sessions), Assert.True);
    }

    private sealed class Closing(ManualResetEventSlim closed) : IDisposable
    {
        public void Dispose() => closed.Set();
    }

    /// <summary>
    /// <see cref="Sessions"/> clients against a listener that accepts and never answers: each waits on a thread named
    /// <paramref name="threadName"/> (before decision 058: on a pool thread, none so named), and each ends with the cancellation.
    /// </summary>
    private static async Task WhileServersStaySilentAsync(string threadName, Func<IPEndPoint, CancellationToken, Task> session)
    {
        var ct = TestContext.Current.CancellationToken;
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var accepted = new List<TcpClient>();
        var accepting = Task.Run(async () =>
        {
            while (accepted.Count < Sessions)
                accepted.Add(await listener.AcceptTcpClientAsync(ct));
        }, ct);
        try
        {
            var endpoint = (IPEndPoint)listener.LocalEndpoint;
            using var cancel = CancellationTokenSource.CreateLinkedTokenSource(ct);
            var sessions = Enumerable.Range(0, Sessions).Select(_ => session(endpoint, cancel.Token)).ToList();
            await accepting;
            // At least (another test's sessions may be running too): with pool threads there were none so named.
            await Eventually.HoldsAsync(() => ProcessThreads.Named(threadName) >= Sessions, ct);
            Assert.All(sessions, s => Assert.False(s.IsCompleted));
            cancel.Cancel();
            foreach (var s in sessions)
                await Assert.ThrowsAnyAsync<OperationCanceledException>(() => s);
        }
        finally
        {
            listener.Stop();
            accepted.ForEach(c => c.Dispose());
        }
    }
}
