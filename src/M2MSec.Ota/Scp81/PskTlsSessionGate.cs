using System.Net.Sockets;

namespace M2MSec.Ota.Scp81;

/// <summary>
/// Where a socket listener runs BouncyCastle's blocking PSK-TLS sessions (the SCP81 admin server, the NAF's Ua): each accepted
/// connection on a thread of its own, never on the thread pool — a blocking read holds its thread for as long as the peer stays
/// silent, and before any credential is checked: 64 idle connections held every pool thread of the process and delayed a card's
/// session by 29 s. At most <c>maxSessions</c> at once (a connection beyond them is closed at once, unread), and each closed when
/// <c>sessionDeadline</c> has passed, however slowly its peer keeps it alive (docs/decisions/057).
/// </summary>
public sealed class PskTlsSessionGate
{
    public const int DefaultMaxSessions = 256;

    public static readonly TimeSpan DefaultSessionDeadline = TimeSpan.FromSeconds(60);

    private readonly int _maxSessions;
    private readonly TimeSpan _sessionDeadline;
    private readonly TimeProvider _time;
    private int _open;
    private long _turnedAway;
    private long _closedAtDeadline;

    public PskTlsSessionGate(int maxSessions = DefaultMaxSessions, TimeSpan? sessionDeadline = null, TimeProvider? time = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxSessions, 1);
        _sessionDeadline = sessionDeadline ?? DefaultSessionDeadline;
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(_sessionDeadline, TimeSpan.Zero, nameof(sessionDeadline));
        _maxSessions = maxSessions;
        _time = time ?? TimeProvider.System;
    }

    /// <summary>Sessions running now.</summary>
    public int OpenSessions => Volatile.Read(ref _open);

    /// <summary>Connections closed unread because <c>maxSessions</c> were running (or no thread could be made).</summary>
    public long TurnedAway => Interlocked.Read(ref _turnedAway);

    /// <summary>Sessions whose connection was closed when the deadline passed.</summary>
    public long ClosedAtDeadline => Interlocked.Read(ref _closedAtDeadline);

    /// <summary>
    /// Runs <paramref name="session"/> for <paramref name="client"/> on a thread of its own named <paramref name="threadName"/>, or closes
    /// the connection at once when the gate is full or no thread can be made (false). The gate closes the connection when the session ends or its deadline
    /// passes (a blocking read then fails); whatever the session throws ends it, and nothing else.
    /// </summary>
    public bool Start(TcpClient client, Func<Task> session, string threadName)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(session);
        if (Interlocked.Increment(ref _open) > _maxSessions)
        {
            Interlocked.Decrement(ref _open);
            Interlocked.Increment(ref _turnedAway);
            client.Dispose();
            return false;
        }
        try
        {
            // A thread of its own — an idle session thread, else a new one (decision 059) — never a pool thread.
            _ = SessionThread.Run(threadName, () =>
            {
                Run(client, session);
                return true;
            });
            return true;
        }
        catch (Exception e) when (e is OutOfMemoryException or ThreadStartException)
        {
            // No thread to be had: this connection is turned away like one over the cap; the listener goes on accepting.
            Interlocked.Decrement(ref _open);
            Interlocked.Increment(ref _turnedAway);
            client.Dispose();
            return false;
        }
    }

    private void Run(TcpClient client, Func<Task> session)
    {
        using var deadline = new CancellationTokenSource(_sessionDeadline, _time);
        using var closeAtDeadline = deadline.Token.Register(() =>
        {
            Interlocked.Increment(ref _closedAtDeadline);
            client.Dispose();
        });
        try
        {
            // BouncyCastle's reads and writes block this thread. The session reads its TLS stream through SynchronousStream, so
            // its awaits on the stream complete here too; only after an await that really waits (the admin server's handler on
            // PostgreSQL) do its later reads block the pool thread that resumed it — an authenticated peer's, within the deadline.
            session().GetAwaiter().GetResult();
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // A peer that went away, a deadline, a broken record: the session is over; the listener serves the next one.
        }
        finally
        {
            closeAtDeadline.Unregister();
            client.Dispose();
            Interlocked.Decrement(ref _open);
        }
    }
}
