using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Org.BouncyCastle.Tls;

namespace M2MSec.Ota.Scp81;

/// <summary>What the admin server learnt from a card in one exchange.</summary>
public sealed record Scp81Exchange(string Identity, string ScriptStatus, string ContentType, byte[] Response, string RequestUri = "");

/// <summary>
/// The SCP81 remote administration server (ETSI TS 102 226 §10; GlobalPlatform Card Spec.
/// Amendment B): PSK-TLS on its own socket listener (BouncyCastle TLS; Kestrel's HTTPS cannot do
/// PSK), then the HTTP admin protocol — a card POSTs with X-Admin-Protocol and X-Admin-From; the
/// server answers with the next command script (200, card-content-mgt media type, X-Admin-Next-URI,
/// X-Admin-Targeted-Application) or 204 when it has nothing more. Loopback by default.
/// </summary>
public sealed class Scp81AdminServer : IAsyncDisposable
{
    public const string AdminPath = "/server/admin";

    /// <summary>The name of each session's thread (decision 057).</summary>
    public const string SessionThreadName = "SCP81 session";
    private readonly TcpListener _listener;
    private readonly PskLookup _psk;
    private readonly int[] _cipherSuites;
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentDictionary<string, ConcurrentQueue<byte[]>> _scripts = new(StringComparer.Ordinal);
    private readonly Task _loop;

    /// <param name="psk">The cards' PSKs by identity.</param>
    /// <param name="endpoint">Where to listen (loopback, a free port by default).</param>
    /// <param name="cipherSuites">The PSK suites offered (<see cref="PskTlsProfile.DefaultCipherSuites"/> by default).</param>
    /// <param name="sessions">Where the sessions run: their threads, how many at once, their deadline (<see cref="PskTlsSessionGate"/>'s defaults).</param>
    public Scp81AdminServer(PskLookup psk, IPEndPoint? endpoint = null, int[]? cipherSuites = null, PskTlsSessionGate? sessions = null)
    {
        _psk = psk;
        SessionGate = sessions ?? new PskTlsSessionGate();
        _cipherSuites = cipherSuites ?? PskTlsProfile.DefaultCipherSuites;
        _listener = new TcpListener(endpoint ?? new IPEndPoint(IPAddress.Loopback, 0));
        _listener.Start();
        _loop = AcceptLoopAsync();
    }

    public IPEndPoint EndPoint => (IPEndPoint)_listener.LocalEndpoint;

    /// <summary>The sessions' gate: how many run, how many were turned away or closed at their deadline.</summary>
    public PskTlsSessionGate SessionGate { get; }

    /// <summary>The USIM RFM application the scripts target (X-Admin-Targeted-Application).</summary>
    public string TargetedApplication { get; init; } = "//aid/A000000087/1002FF33FF018900000100";

    /// <summary>Every exchange with a card, in order.</summary>
    public ConcurrentQueue<Scp81Exchange> Exchanges { get; } = new();

    /// <summary>Raised for every exchange a card reports (script status and response), after it is recorded.</summary>
    public event Func<Scp81Exchange, Task>? ExchangeReceived;

    /// <summary>How many sessions a card opened with X-Admin-Resume (after a dropped connection).</summary>
    public int ResumedSessions => _resumed;

    private int _resumed;

    /// <summary>Failed handshakes and refused requests, for diagnostics (no secrets).</summary>
    public ConcurrentQueue<string> Refusals { get; } = new();

    /// <summary>Queues an expanded-format command script for the card with this PSK identity.</summary>
    public void Enqueue(string identity, byte[] script) => _scripts.GetOrAdd(identity, _ => new()).Enqueue(script);

    private async Task AcceptLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_stop.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                return;
            }
            SessionGate.Start(client, () => ServeAsync(client), SessionThreadName);
        }
    }

    private async Task ServeAsync(TcpClient client)
    {
        using var _ = client;
        var server = new AdminPskTlsServer(PskTlsProfile.NewCrypto(), _psk, _cipherSuites);
        var protocol = new TlsServerProtocol(client.GetStream());
        try
        {
            protocol.Accept(server);
        }
        catch (Exception e) when (e is TlsFatalAlert or TlsFatalAlertReceived or IOException)
        {
            Refusals.Enqueue($"handshake: {e.Message}");
            return;
        }
        var identity = server.Identity!;
        var stream = new SynchronousStream(protocol.Stream);
        try
        {
            while (!_stop.IsCancellationRequested)
            {
                var request = await AdminHttp.ReadAsync(stream, _stop.Token).ConfigureAwait(false);
                if (request is null)
                    return;
                if (request.Header("X-Admin-Protocol") != AdminHttp.Protocol || !request.StartLine.StartsWith("POST ", StringComparison.Ordinal))
                {
                    Refusals.Enqueue($"{identity}: not an admin-protocol request");
                    await AdminHttp.WriteAsync(stream, "HTTP/1.1 400 Bad Request", [new("X-Admin-Protocol", AdminHttp.Protocol)], null, _stop.Token).ConfigureAwait(false);
                    return;
                }
                if (string.Equals(request.Header("X-Admin-Resume"), "true", StringComparison.OrdinalIgnoreCase))
                    Interlocked.Increment(ref _resumed);
                if (request.Body.Length > 0 || request.Header("X-Admin-Script-Status") is not null)
                {
                    var exchange = new Scp81Exchange(identity, request.Header("X-Admin-Script-Status") ?? "", request.Header("Content-Type") ?? "", request.Body,
                        request.StartLine.Split(' ') is [_, var uri, ..] ? uri : "");
                    Exchanges.Enqueue(exchange);
                    if (ExchangeReceived is { } handler)
                        await handler(exchange).ConfigureAwait(false);
                }
                if (_scripts.TryGetValue(identity, out var queue) && queue.TryDequeue(out var script))
                {
                    await AdminHttp.WriteAsync(stream, "HTTP/1.1 200 OK",
                    [
                        new("X-Admin-Protocol", AdminHttp.Protocol),
                        new("Content-Type", AdminHttp.ScriptMediaType),
                        new("X-Admin-Next-URI", AdminPath + "?next"),
                        new("X-Admin-Targeted-Application", TargetedApplication),
                    ], script, _stop.Token).ConfigureAwait(false);
                }
                else
                {
                    await AdminHttp.WriteAsync(stream, "HTTP/1.1 204 No Content", [new("X-Admin-Protocol", AdminHttp.Protocol)], null, _stop.Token).ConfigureAwait(false);
                    return;
                }
            }
        }
        catch (Exception e) when (e is IOException or InvalidDataException or TlsFatalAlert or TlsFatalAlertReceived or OperationCanceledException or FormatException)
        {
            Refusals.Enqueue($"{identity}: {e.Message}");
        }
        finally
        {
            try
            {
                protocol.Close();
            }
            catch (IOException)
            {
            }
        }
    }

    private int _disposed;

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
            return;
        await _stop.CancelAsync().ConfigureAwait(false);
        _listener.Stop();
        await _loop.ConfigureAwait(false);
        _stop.Dispose();
    }
}
