using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using M2MSec.Aka.Gba;
using M2MSec.Ota.Scp81;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Org.BouncyCastle.Security;
using Org.BouncyCastle.Tls;
using Org.BouncyCastle.Tls.Crypto;
using Org.BouncyCastle.Tls.Crypto.Impl.BC;

namespace M2MSec.NetworkFunctions.Naf;

/// <summary>
/// Ua over TLS 1.2 PSK (TS 33.222 §5.4; issue 18, docs/decisions/030): BouncyCastle's TLS on its own socket listener (Kestrel
/// cannot do PSK; as SCP81, docs/decisions/010). The hint is "3GPP-bootstrapping"; the client's identity
/// "3GPP-bootstrapping." B-TID names the key, fetched over Zn (<see cref="ZnClient"/>). An identity of another form, an unknown or
/// expired B-TID: alert unknown_psk_identity (the device bootstraps again); a key for another NAF: the Finished check fails.
/// After the handshake the NAF answers one HTTP/1.1 request with what it knows of the session (B-TID, GBA type, key expiry).
/// </summary>
public sealed class NafUaServer(NafOptions options, ZnClient zn, TimeProvider time, ILogger<NafUaServer> logger) : IHostedService, IAsyncDisposable
{
    /// <summary>The name of each session's thread (decision 057).</summary>
    public const string SessionThreadName = "Ua session";

    private TcpListener? _listener;
    private readonly CancellationTokenSource _stop = new();
    private Task _loop = Task.CompletedTask;

    /// <summary>Where the Ua sessions run: a thread each, at most <see cref="NafOptions.MaxUaSessions"/>, each closed at its deadline.</summary>
    public PskTlsSessionGate SessionGate { get; } = new(options.MaxUaSessions, options.UaSessionDeadline, time);

    /// <summary>Where Ua listens (after start).</summary>
    public IPEndPoint EndPoint => (IPEndPoint)(_listener ?? throw new InvalidOperationException("not started")).LocalEndpoint;

    public NafOptions Options => options;

    /// <summary>Completed handshakes.</summary>
    public long Sessions => Interlocked.Read(ref _sessions);

    /// <summary>Handshakes refused (unknown identity, a wrong key, a broken client).</summary>
    public long Refused => Interlocked.Read(ref _refused);

    private long _sessions;
    private long _refused;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _listener = new TcpListener(options.UaEndPoint);
        _listener.Start(512);
        _loop = AcceptLoopAsync();
        logger.LogInformation("Ua PSK-TLS for {Fqdn} on {EndPoint}", options.Fqdn, EndPoint);
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_stop.IsCancellationRequested)
            return;
        await _stop.CancelAsync().ConfigureAwait(false);
        _listener?.Stop();
        await _loop.ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync(default).ConfigureAwait(false);
        _stop.Dispose();
    }

    private async Task AcceptLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener!.AcceptTcpClientAsync(_stop.Token).ConfigureAwait(false);
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
        client.NoDelay = true;
        var socketStream = client.GetStream();
        socketStream.ReadTimeout = (int)options.SessionIdle.TotalMilliseconds;
        socketStream.WriteTimeout = (int)options.SessionIdle.TotalMilliseconds;
        var server = new NafPskTlsServer(new BcTlsCrypto(new SecureRandom()), zn, time);
        var protocol = new TlsServerProtocol(socketStream);
        try
        {
            // BouncyCastle's handshake is blocking: this connection has a thread of its own (PskTlsSessionGate).
            protocol.Accept(server);
        }
        catch (Exception e) when (e is TlsFatalAlert or TlsFatalAlertReceived or IOException or TlsNoCloseNotifyException)
        {
            Interlocked.Increment(ref _refused);
            // The identity's B-TID is no secret; the key never appears.
            logger.LogInformation("Ua handshake refused: {Reason} (B-TID {BTid})", e is TlsFatalAlert a ? AlertDescription.GetText(a.AlertDescription) : e.GetType().Name,
                server.Key?.BTid ?? server.RefusedBTid ?? "-");
            return;
        }
        Interlocked.Increment(ref _sessions);
        try
        {
            await AnswerAsync(new SynchronousStream(protocol.Stream), server.Key!).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or TlsFatalAlert or TlsFatalAlertReceived or OperationCanceledException or InvalidDataException)
        {
            logger.LogDebug("Ua session ended: {Reason}", e.GetType().Name);
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

    /// <summary>One HTTP/1.1 request over the session: GET /hello answers the session's B-TID, GBA type and key expiry.</summary>
    private async Task AnswerAsync(Stream stream, NafKey key)
    {
        var head = await UaHttp.ReadHeadAsync(stream, _stop.Token).ConfigureAwait(false);
        if (head is null)
            return;
        var (status, body) = head.StartsWith("GET /hello ", StringComparison.Ordinal)
            ? ("200 OK", JsonSerializer.Serialize(new UaHello(options.Fqdn, key.BTid, key.GbaType, ZnClient.Rfc3339(key.Expires)), Hosting.NetworkFunctionHost.JsonOptions))
            : ("404 Not Found", """{"type":"urn:m2msec:error:no-such-endpoint","status":404,"detail":"Ua serves GET /hello"}""");
        await UaHttp.WriteAsync(stream, status, body, _stop.Token).ConfigureAwait(false);
    }
}

/// <summary>What GET /hello over Ua answers.</summary>
public sealed record UaHello(string Naf, string BTid, string GbaType, string KeyExpires);

/// <summary>The NAF's side of the Ua handshake: TLS 1.2, TLS_PSK_WITH_AES_128_GCM_SHA256 only, the PSK from Zn.</summary>
internal sealed class NafPskTlsServer(TlsCrypto crypto, ZnClient zn, TimeProvider time) : PskTlsServer(crypto, new IdentityManager(zn, time))
{
    public NafKey? Key => ((IdentityManager)m_pskIdentityManager).Key;

    public string? RefusedBTid => ((IdentityManager)m_pskIdentityManager).RefusedBTid;

    protected override ProtocolVersion[] GetSupportedVersions() => ProtocolVersion.TLSv12.Only();

    protected override int[] GetSupportedCipherSuites() => [UaPskTls.CipherSuite];

    private sealed class IdentityManager(ZnClient zn, TimeProvider time) : TlsPskIdentityManager
    {
        public NafKey? Key { get; private set; }

        public string? RefusedBTid { get; private set; }

        public byte[] GetHint() => Encoding.ASCII.GetBytes(UaPskTls.IdentityHint);

        public byte[]? GetPsk(byte[] identity)
        {
            string text;
            try
            {
                text = new UTF8Encoding(false, true).GetString(identity);
            }
            catch (DecoderFallbackException)
            {
                return null;
            }
            if (!UaPskTls.TryParseIdentity(text, out var bTid))
                return null;
            ZnResult result;
            try
            {
                result = zn.GetAsync(bTid).GetAwaiter().GetResult();
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                // Whatever went wrong on Zn, the identity is refused (unknown_psk_identity), never an internal error that hides why.
                result = ZnResult.Refused(ZnRefusal.Unavailable, e.GetType().Name);
            }
            if (result.Key is not { } key || time.GetUtcNow() >= key.Expires)
            {
                RefusedBTid = bTid;
                return null;
            }
            Key = key;
            return (byte[])key.Key.Clone();
        }
    }
}
