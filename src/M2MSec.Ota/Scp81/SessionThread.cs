using System.Collections.Concurrent;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;

namespace M2MSec.Ota.Scp81;

/// <summary>
/// The client side of decision 057 (docs/decisions/058): a blocking TLS session — BouncyCastle's PSK-TLS client, or a handshake
/// whose certificate callback waits for an OCSP answer — run on a thread of its own, never on the thread pool. A pool thread that
/// waits for a peer in the same process (the demo, `serve all` with simulated devices) can hold the very thread that peer needs to
/// answer: with the pool capped at 12 threads, 150 demo devices took 50–68 s instead of 12, and up to 9 of them failed.
/// </summary>
/// <remarks>
/// Decision 059: a finished session's thread waits <see cref="IdleTimeout"/> for the next session before it ends — a thread made
/// costs ≈ 190 µs of CPU, a thread handed a session ≈ 15 µs. There is never a queue: a session that finds no idle thread gets a new
/// one, so no session waits for another to end.
/// </remarks>
public static class SessionThread
{
    /// <summary>How long a thread whose session ended waits for another before it ends.</summary>
    public static TimeSpan IdleTimeout { get; } = TimeSpan.FromSeconds(5);

    /// <summary>The name of a thread while it waits for a session (so that a thread's name always says what it does now).</summary>
    public const string IdleName = "session idle";

    /// <summary>Threads waiting for a session, the most recently idle on top (LIFO: its stack is the one still in cache).</summary>
    private static readonly ConcurrentStack<Worker> Idle = new();

    /// <summary>
    /// Runs <paramref name="session"/> on a background thread of its own named <paramref name="name"/> — an idle one, else a new one —
    /// in the caller's execution context; the task ends with its result or exception (awaiting code continues on the pool, not on that
    /// thread). A thread that cannot be made throws here, at once.
    /// </summary>
    public static Task<T> Run<T>(string name, Func<T> session)
    {
        ArgumentNullException.ThrowIfNull(session);
        var done = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        var context = ExecutionContext.Capture();
        var work = new Work(name, () =>
        {
            try
            {
                done.TrySetResult(session());
            }
            catch (Exception e)
            {
                done.TrySetException(e);
            }
        }, context);
        while (Idle.TryPop(out var idle))
        {
            if (idle.TryHand(work))
                return done.Task;
        }
        Worker.Start(work);
        return done.Task;
    }

    /// <summary>
    /// <see cref="Run{T}(string, Func{T})"/> for a session on <paramref name="connection"/>: a cancellation closes the connection under
    /// the waiting session, and the task then ends with <see cref="OperationCanceledException"/> — whether the session failed on the
    /// closed connection or turned that failure into a result.
    /// </summary>
    public static async Task<T> Run<T>(string name, Func<T> session, IDisposable connection, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(connection);
        using var cancel = cancellationToken.Register(connection.Dispose);
        try
        {
            var result = await Run(name, session).ConfigureAwait(false);
            cancellationToken.ThrowIfCancellationRequested();
            return result;
        }
        catch (Exception e) when (e is not OperationCanceledException && cancellationToken.IsCancellationRequested)
        {
            throw new OperationCanceledException(cancellationToken);
        }
    }

    /// <summary>
    /// TCP to <paramref name="endPoint"/>, then <see cref="SslStream.AuthenticateAsClient(SslClientAuthenticationOptions)"/> — its
    /// synchronous certificate callback, which may wait for an OCSP responder, with it — on a thread of its own named
    /// <paramref name="name"/> (decisions 058, 062); the authenticated stream owns the socket. A cancellation closes the socket.
    /// </summary>
    public static async Task<SslStream> ConnectTlsAsync(string name, EndPoint endPoint, SslClientAuthenticationOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(endPoint);
        ArgumentNullException.ThrowIfNull(options);
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        SslStream? tls = null;
        try
        {
            await socket.ConnectAsync(endPoint, cancellationToken).ConfigureAwait(false);
            tls = new SslStream(new NetworkStream(socket, ownsSocket: true));
            await Run(name, () =>
            {
                tls.AuthenticateAsClient(options);
                return true;
            }, socket, cancellationToken).ConfigureAwait(false);
            return tls;
        }
        catch
        {
            tls?.Dispose();
            socket.Dispose();
            throw;
        }
    }

    /// <summary>A session: its thread's name, its body (which never throws) and the execution context of the code that asked for it.</summary>
    private sealed record Work(string Name, Action Body, ExecutionContext? Context)
    {
        public void Execute()
        {
            Thread.CurrentThread.Name = Name;
            if (Context is null)
                Body();
            else
                ExecutionContext.Run(Context, static body => ((Action)body!)(), Body);
        }
    }

    private sealed class Worker
    {
        private const int Running = 0, Waiting = 1, Ended = 2;

        private readonly SemaphoreSlim _handed = new(0);
        private Work? _work; // null while waiting: an ended session's closure (its keys among them) is not kept
        private int _state = Running;

        private Worker(Work work) => _work = work;

        /// <summary>A new thread for <paramref name="work"/>; it captures no context of its own (each session runs in its caller's).</summary>
        public static void Start(Work work) => new Thread(new Worker(work).Loop) { IsBackground = true, Name = work.Name }.UnsafeStart();

        /// <summary>Hands <paramref name="work"/> to this thread if it still waits (false once it has ended or taken other work).</summary>
        public bool TryHand(Work work)
        {
            if (Interlocked.CompareExchange(ref _state, Running, Waiting) != Waiting)
                return false;
            _work = work;
            _handed.Release();
            return true;
        }

        private void Loop()
        {
            while (true)
            {
                var work = _work!;
                _work = null;
                work.Execute();
                Thread.CurrentThread.Name = IdleName;
                Volatile.Write(ref _state, Waiting);
                Idle.Push(this);
                if (!_handed.Wait(IdleTimeout))
                {
                    // Idle too long: end, unless a session was handed over just as the wait ran out.
                    if (Interlocked.CompareExchange(ref _state, Ended, Waiting) == Waiting)
                        return;
                    _handed.Wait();
                }
            }
        }
    }
}
