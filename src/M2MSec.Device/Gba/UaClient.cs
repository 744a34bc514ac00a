using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using M2MSec.Aka.Gba;
using M2MSec.Ota.Scp81;
using Org.BouncyCastle.Security;
using Org.BouncyCastle.Tls;
using Org.BouncyCastle.Tls.Crypto;
using Org.BouncyCastle.Tls.Crypto.Impl.BC;

namespace M2MSec.Device.Gba;

/// <summary>How a Ua session attempt ended.</summary>
public enum UaOutcome
{
    /// <summary>Handshake done and the NAF answered.</summary>
    Connected,

    /// <summary>The NAF refused the identity (alert unknown_psk_identity): unknown or expired B-TID — bootstrap again (TS 33.220 §4.5.3).</summary>
    BootstrapRequired,

    /// <summary>The handshake failed otherwise: a key for another NAF (Finished does not verify), a broken peer.</summary>
    HandshakeFailed,
}

/// <summary>One attempt: its outcome, the NAF's answer to GET /hello, the TLS alert when refused.</summary>
public sealed record UaSessionResult(UaOutcome Outcome, string BTid, UaHelloAnswer? Hello = null, string? Alert = null)
{
    /// <summary>The NAF's psk_identity_hint (TS 33.222 §5.4: "3GPP-bootstrapping"), when the handshake got that far.</summary>
    public string? Hint { get; init; }
}

/// <summary>The NAF's GET /hello answer over Ua.</summary>
public sealed record UaHelloAnswer(string Naf, string BTid, string GbaType, string KeyExpires);

/// <summary>The device's bootstrapped key for one NAF: its B-TID and Ks_NAF / Ks_ext_NAF.</summary>
public sealed record UaKey(string BTid, byte[] Key);

/// <summary>
/// The device's Ua client (issue 18, TS 33.222 §5.4; docs/decisions/030): TLS 1.2 PSK with the NAF key (BouncyCastle, as the card
/// in SCP81), psk_identity "3GPP-bootstrapping." B-TID, server_name the NAF's FQDN, only TLS_PSK_WITH_AES_128_GCM_SHA256 — so
/// NAF_Id = FQDN ‖ 01 00 01 00 A8 (<see cref="UaPskTls.NafId"/>). Then GET /hello.
/// </summary>
public static class UaClient
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    /// <summary>The name of the thread each session runs on (docs/decisions/058).</summary>
    public const string SessionThreadName = "Ua client";

    /// <summary>One session with the key given.</summary>
    public static async Task<UaSessionResult> HelloAsync(IPEndPoint naf, string nafFqdn, UaKey key, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(naf);
        ArgumentNullException.ThrowIfNull(key);
        using var tcp = new TcpClient { NoDelay = true };
        await tcp.ConnectAsync(naf, ct).ConfigureAwait(false);
        // BouncyCastle's TLS blocks: the session runs on a thread of its own, not on a pool thread the NAF in the same process may
        // need (its PSK lookup asks the BSF over Zn); a cancellation closes the connection under it.
        return await SessionThread.Run(SessionThreadName, () => Hello(tcp, nafFqdn, key, ct), tcp, ct).ConfigureAwait(false);
    }

    private static UaSessionResult Hello(TcpClient tcp, string nafFqdn, UaKey key, CancellationToken ct)
    {
        var stream = tcp.GetStream();
        stream.ReadTimeout = 30_000;
        stream.WriteTimeout = 30_000;
        var protocol = new TlsClientProtocol(stream);
        var identity = new HintRecordingIdentity(UaPskTls.Identity(key.BTid), key.Key);
        var client = new DevicePskTlsClient(new BcTlsCrypto(new SecureRandom()), identity, nafFqdn);
        try
        {
            protocol.Connect(client);
        }
        catch (TlsFatalAlertReceived e)
        {
            return new UaSessionResult(e.AlertDescription == AlertDescription.unknown_psk_identity ? UaOutcome.BootstrapRequired : UaOutcome.HandshakeFailed, key.BTid,
                Alert: AlertDescription.GetName(e.AlertDescription))
            { Hint = identity.Hint };
        }
        catch (Exception e) when (e is TlsFatalAlert or IOException)
        {
            return new UaSessionResult(UaOutcome.HandshakeFailed, key.BTid, Alert: e is TlsFatalAlert a ? AlertDescription.GetName(a.AlertDescription) : "closed")
            {
                Hint = identity.Hint,
            };
        }
        try
        {
            var tls = new SynchronousStream(protocol.Stream);
            tls.Write(Encoding.ASCII.GetBytes($"GET /hello HTTP/1.1\r\nHost: {nafFqdn}\r\nConnection: close\r\n\r\n"));
            // Every read completes on this thread (SynchronousStream): the task is done when ReadAnswerAsync returns.
            var (status, body) = ReadAnswerAsync(tls, ct).GetAwaiter().GetResult();
            if (status != 200)
                return new UaSessionResult(UaOutcome.HandshakeFailed, key.BTid, Alert: $"HTTP {status}") { Hint = identity.Hint };
            return new UaSessionResult(UaOutcome.Connected, key.BTid, JsonSerializer.Deserialize<UaHelloAnswer>(body, Json)) { Hint = identity.Hint };
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

    /// <summary>A session with the NAF key of a bootstrapping (<see cref="IGbaKeyHolder.NafKey"/> for this NAF's NAF_Id); expired keys: bootstrap again.</summary>
    public static async Task<UaSessionResult> HelloAsync(IPEndPoint naf, string nafFqdn, IGbaKeyHolder keys, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(keys);
        byte[] key;
        try
        {
            key = keys.NafKey(UaPskTls.NafId(nafFqdn));
        }
        catch (GbaKeyExpiredException)
        {
            return new UaSessionResult(UaOutcome.BootstrapRequired, keys.BTid, Alert: "expired on the device");
        }
        try
        {
            return await HelloAsync(naf, nafFqdn, new UaKey(keys.BTid, key), ct).ConfigureAwait(false);
        }
        finally
        {
            System.Security.Cryptography.CryptographicOperations.ZeroMemory(key);
        }
    }

    /// <summary>
    /// <see cref="OpenAsync(IPEndPoint, string, Func{bool, CancellationToken, Task{UaKey}}, CancellationToken)"/> with the device's bootstrappings:
    /// <paramref name="bootstrap"/> (renew = true) runs Ub again.
    /// </summary>
    public static async Task<(UaSessionResult Result, bool Bootstrapped)> OpenAsync(IPEndPoint naf, string nafFqdn, IGbaKeyHolder? current,
        Func<CancellationToken, Task<IGbaKeyHolder>> bootstrap, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(bootstrap);
        if (current is not null)
        {
            var first = await HelloAsync(naf, nafFqdn, current, ct).ConfigureAwait(false);
            if (first.Outcome != UaOutcome.BootstrapRequired)
                return (first, false);
        }
        return (await HelloAsync(naf, nafFqdn, await bootstrap(ct).ConfigureAwait(false), ct).ConfigureAwait(false), true);
    }

    /// <summary>
    /// A session with the device's current key; when the NAF refuses the B-TID (unknown or expired), the device bootstraps again
    /// (<paramref name="keys"/> with renew = true) and tries once more.
    /// </summary>
    public static async Task<(UaSessionResult Result, bool Bootstrapped)> OpenAsync(IPEndPoint naf, string nafFqdn, Func<bool, CancellationToken, Task<UaKey>> keys,
        CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(keys);
        var first = await HelloAsync(naf, nafFqdn, await keys(false, ct).ConfigureAwait(false), ct).ConfigureAwait(false);
        if (first.Outcome != UaOutcome.BootstrapRequired)
            return (first, false);
        return (await HelloAsync(naf, nafFqdn, await keys(true, ct).ConfigureAwait(false), ct).ConfigureAwait(false), true);
    }

    private static async Task<(int Status, string Body)> ReadAnswerAsync(Stream stream, CancellationToken ct)
    {
        var head = new List<byte>();
        var one = new byte[1];
        while (head.Count < 8192 && !(head.Count >= 4 && head[^4] == '\r' && head[^3] == '\n' && head[^2] == '\r' && head[^1] == '\n'))
        {
            if (await stream.ReadAsync(one, ct).ConfigureAwait(false) == 0)
                throw new IOException("the NAF closed before its answer");
            head.Add(one[0]);
        }
        var lines = Encoding.ASCII.GetString([.. head]).Split("\r\n");
        var status = lines[0].Split(' ') is [_, var code, ..] && int.TryParse(code, out var s) ? s : 0;
        var length = lines.Select(l => l.Split(':', 2)).Where(p => p.Length == 2 && p[0].Trim().Equals("Content-Length", StringComparison.OrdinalIgnoreCase))
            .Select(p => int.TryParse(p[1].Trim(), out var n) ? n : -1).FirstOrDefault();
        if (length is < 0 or > 65536)
            throw new IOException("bad Content-Length");
        var body = new byte[length];
        await stream.ReadExactlyAsync(body, ct).ConfigureAwait(false);
        return (status, Encoding.UTF8.GetString(body));
    }

    /// <summary>The device's side of the Ua handshake.</summary>
    private sealed class DevicePskTlsClient(TlsCrypto crypto, TlsPskIdentity identity, string nafFqdn)
        : PskTlsClient(crypto, identity)
    {
        protected override ProtocolVersion[] GetSupportedVersions() => ProtocolVersion.TLSv12.Only();

        protected override int[] GetSupportedCipherSuites() => [UaPskTls.CipherSuite];

        // TS 24.109 Annex F.3: the UE names the NAF in server_name.
        protected override IList<ServerName> GetSniServerNames() => [new ServerName(NameType.host_name, Encoding.ASCII.GetBytes(nafFqdn))];
    }

    /// <summary>The PSK identity and key, noting the server's hint (the key stays a copy the session owns).</summary>
    private sealed class HintRecordingIdentity(string identity, byte[] psk) : TlsPskIdentity
    {
        private readonly byte[] _identity = Encoding.UTF8.GetBytes(identity);
        private readonly byte[] _psk = (byte[])psk.Clone();

        public string? Hint { get; private set; }

        public void SkipIdentityHint()
        {
        }

        public void NotifyIdentityHint(byte[] psk_identity_hint) => Hint = Encoding.ASCII.GetString(psk_identity_hint);

        public byte[] GetPskIdentity() => _identity;

        public byte[] GetPsk() => _psk;
    }
}
