namespace M2MSec.Ota.Scp81;

/// <summary>
/// The client side of decision 057 (docs/decisions/058): a blocking TLS session — BouncyCastle's PSK-TLS client, or a handshake
/// whose certificate callback waits for an OCSP answer — run on a thread of its own, never on the thread pool. A pool thread that
/// waits for a peer in the same process (the demo, `serve all` with simulated devices) can hold the very thread that peer needs to
/// answer: with the pool capped at 12 threads, 150 demo devices took 50–68 s instead of 12, and up to 9 of them failed.
/// </summary>
public static class SessionThread
{
    /// <summary>
    /// Runs <paramref name="session"/> on a new background thread named <paramref name="name"/>; the task ends with its result or
    /// exception (awaiting code continues on the pool, not on that thread). A thread that cannot be made throws here, at once.
    /// </summary>
    public static Task<T> Run<T>(string name, Func<T> session)
    {
        ArgumentNullException.ThrowIfNull(session);
        var done = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        new Thread(() =>
        {
            try
            {
                done.TrySetResult(session());
            }
            catch (Exception e)
            {
                done.TrySetException(e);
            }
        })
        { IsBackground = true, Name = name }.Start();
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
}
