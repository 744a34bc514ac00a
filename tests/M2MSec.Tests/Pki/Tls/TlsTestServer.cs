using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Text;
using System.Threading.Channels;

namespace M2MSec.Tests.Pki.Tls;

/// <summary>What one accepted connection ended with.</summary>
internal sealed record ServerOutcome(bool Authenticated, SslProtocols Protocol, TlsCipherSuite CipherSuite, bool HasClientCertificate, Exception? Error);

/// <summary>
/// SslStream server on 127.0.0.1:0 with the given options: each connection is authenticated,
/// greeted with <see cref="Greeting"/>, and read until the client closes (at most a few seconds).
/// Stops accepting when disposed.
/// </summary>
internal sealed class TlsTestServer : IAsyncDisposable
{
    public const string Greeting = "hello from the profile server\n";

    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new(TimeSpan.FromSeconds(60));
    private readonly Channel<ServerOutcome> _outcomes = Channel.CreateUnbounded<ServerOutcome>();
    private readonly Task _loop;

    private readonly bool _greet;

    private TlsTestServer(SslServerAuthenticationOptions options, bool greet)
    {
        _greet = greet;
        _listener.Start();
        _loop = AcceptLoop(options);
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    public static TlsTestServer Start(SslServerAuthenticationOptions options, bool greet = true) => new(options, greet);

    /// <summary>The outcome of the next connection (fails after 20 s).</summary>
    public async Task<ServerOutcome> NextOutcomeAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        return await _outcomes.Reader.ReadAsync(timeout.Token);
    }

    private async Task AcceptLoop(SslServerAuthenticationOptions options)
    {
        try
        {
            while (!_stop.IsCancellationRequested)
            {
                var client = await _listener.AcceptTcpClientAsync(_stop.Token);
                _ = Task.Run(() => Serve(client, options));
            }
        }
        catch (OperationCanceledException)
        {
        }
        catch (ObjectDisposedException)
        {
        }
    }

    private async Task Serve(TcpClient client, SslServerAuthenticationOptions options)
    {
        using var _ = client;
        await using var ssl = new SslStream(client.GetStream());
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        try
        {
            await ssl.AuthenticateAsServerAsync(options, timeout.Token);
            if (_greet)
            {
                await ssl.WriteAsync(Encoding.ASCII.GetBytes(Greeting), timeout.Token);
                await ssl.FlushAsync(timeout.Token);
            }
            // TLS 1.3: a refused client certificate only surfaces here, on the first read.
            var buffer = new byte[1024];
            using var drain = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            while (await ssl.ReadAsync(buffer, drain.Token) > 0)
            {
            }
            _outcomes.Writer.TryWrite(new(true, ssl.SslProtocol, ssl.NegotiatedCipherSuite, ssl.RemoteCertificate is not null, null));
        }
        catch (Exception e)
        {
            _outcomes.Writer.TryWrite(new(ssl.IsAuthenticated, ssl.IsAuthenticated ? ssl.SslProtocol : SslProtocols.None, ssl.IsAuthenticated ? ssl.NegotiatedCipherSuite : 0, ssl.IsAuthenticated && ssl.RemoteCertificate is not null, e));
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        await _loop;
        _stop.Dispose();
    }
}
