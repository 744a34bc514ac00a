using M2MSec.Pki.Tls;

namespace M2MSec.Device.Dm;

/// <summary>
/// A <see cref="ProfileTlsConnection"/> as the connection stream of a <see cref="SocketsHttpHandler"/>
/// (returned by its ConnectCallback). BouncyCastle's stream is blocking and signals the end with -1;
/// this one returns 0 there, and runs reads and writes independently on the thread pool: HttpClient
/// keeps a read pending on an idle pooled connection (to notice the server closing it) while it
/// writes the next request, which Stream's default async methods would serialise into a deadlock.
/// BouncyCastle allows one reader and one writer at a time (writes are locked, reads are not).
/// </summary>
internal sealed class ProfileTlsHttpStream(ProfileTlsConnection connection) : Stream
{
    private readonly Stream _tls = connection.Stream;
    private int _disposed;

    public override bool CanRead => true;

    public override bool CanWrite => true;

    public override bool CanSeek => false;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override int Read(byte[] buffer, int offset, int count) => Math.Max(0, _tls.Read(buffer, offset, count));

    public override void Write(byte[] buffer, int offset, int count) => _tls.Write(buffer, offset, count);

    public override void Flush() => _tls.Flush();

    public override Task FlushAsync(CancellationToken cancellationToken) => Task.Run(Flush, cancellationToken);

    /// <summary>A zero-byte read waits until data is there (BouncyCastle's does), as HttpClient's read-ahead expects.</summary>
    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var chunk = new byte[buffer.Length];
        // A cancelled read stops waiting; HttpClient then disposes the connection, which ends the blocked read.
        var read = await Task.Run(() => Read(chunk, 0, chunk.Length), CancellationToken.None).WaitAsync(cancellationToken).ConfigureAwait(false);
        chunk.AsSpan(0, read).CopyTo(buffer.Span);
        return read;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var copy = buffer.ToArray();
        return new ValueTask(Task.Run(() => Write(copy, 0, copy.Length), CancellationToken.None).WaitAsync(cancellationToken));
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing && Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            try
            {
                connection.Dispose(); // close_notify, then the TCP stream
            }
            catch (IOException)
            {
                // The peer is gone already.
            }
        }
        base.Dispose(disposing);
    }
}
