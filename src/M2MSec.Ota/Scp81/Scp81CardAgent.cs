using System.Net;
using System.Net.Sockets;
using M2MSec.Ota.RemoteApdu;
using Org.BouncyCastle.Tls;

namespace M2MSec.Ota.Scp81;

/// <summary>
/// The card side of SCP81: opens PSK-TLS to the admin server, announces itself, runs each command
/// script it receives through <paramref name="execute"/> and posts the responses to X-Admin-Next-URI
/// until the server answers 204. A dropped connection is retried (with X-Admin-Resume) a few times.
/// </summary>
public sealed class Scp81CardAgent(string identity, byte[] psk, string cardAddress, Func<IReadOnlyList<CommandApdu>, IReadOnlyList<ResponseApdu>> execute)
{
    public int MaxAttempts { get; init; } = 3;

    /// <summary>Told the octets of each admin-protocol message the card sends (head and body; issue 17: the battery's bytes sent).</summary>
    public Action<int>? Sent { get; init; }

    /// <summary>Runs one administration session; returns the number of scripts executed.</summary>
    public async Task<int> RunSessionAsync(IPEndPoint server, CancellationToken ct = default)
    {
        var executed = 0;
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return executed + await SessionAsync(server, resume: attempt > 1, ct).ConfigureAwait(false);
            }
            catch (Exception e) when (attempt < MaxAttempts && e is IOException or SocketException or EndOfStreamException)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(100 * attempt), ct).ConfigureAwait(false);
            }
        }
    }

    /// <summary>The name of the thread each session runs on (decision 058).</summary>
    public const string SessionThreadName = "SCP81 card";

    private async Task<int> SessionAsync(IPEndPoint server, bool resume, CancellationToken ct)
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(server, ct).ConfigureAwait(false);
        // BouncyCastle's TLS blocks: the session runs on a thread of its own, not on a pool thread the admin server in the same
        // process may need to answer (docs/decisions/058); a cancellation closes the connection under it.
        return await SessionThread.Run(SessionThreadName, () =>
        {
            var protocol = new TlsClientProtocol(tcp.GetStream());
            protocol.Connect(new CardPskTlsClient(PskTlsProfile.NewCrypto(), identity, psk, PskTlsProfile.DefaultCipherSuites));
            // Every read and write below completes on this thread: the task is done when ScriptsAsync returns.
            return ScriptsAsync(protocol, new SynchronousStream(protocol.Stream), server, resume, ct).GetAwaiter().GetResult();
        }, tcp, ct).ConfigureAwait(false);
    }

    private async Task<int> ScriptsAsync(TlsClientProtocol protocol, Stream stream, IPEndPoint server, bool resume, CancellationToken ct)
    {
        var path = Scp81AdminServer.AdminPath;
        List<KeyValuePair<string, string>> headers =
        [
            new("Host", server.ToString()),
            new("X-Admin-Protocol", AdminHttp.Protocol),
            new("X-Admin-From", cardAddress),
        ];
        if (resume)
            headers.Add(new("X-Admin-Resume", "true"));
        var written = await AdminHttp.WriteAsync(stream, $"POST {path} HTTP/1.1", headers, null, ct).ConfigureAwait(false);
        Sent?.Invoke(written); // (not inside ?.Invoke(...): its argument would not be evaluated without a listener)
        var scripts = 0;
        while (true)
        {
            var answer = await AdminHttp.ReadAsync(stream, ct).ConfigureAwait(false) ?? throw new EndOfStreamException("the admin server closed the session");
            if (answer.StartLine.StartsWith("HTTP/1.1 204", StringComparison.Ordinal))
            {
                protocol.Close();
                return scripts;
            }
            if (!answer.StartLine.StartsWith("HTTP/1.1 200", StringComparison.Ordinal) || answer.Header("Content-Type") != AdminHttp.ScriptMediaType)
                throw new InvalidDataException($"unexpected admin answer: {answer.StartLine}");
            path = answer.Header("X-Admin-Next-URI") ?? path;
            byte[] response;
            string status;
            try
            {
                var commands = RemoteCommandScript.Decode(answer.Body, out var format);
                response = RemoteCommandScript.EncodeResponse(format, execute(commands));
                status = "ok";
            }
            catch (FormatException)
            {
                response = [];
                status = "unknown-application";
            }
            scripts++;
            written = await AdminHttp.WriteAsync(stream, $"POST {path} HTTP/1.1",
            [
                new("Host", server.ToString()),
                new("X-Admin-Protocol", AdminHttp.Protocol),
                new("X-Admin-From", cardAddress),
                new("Content-Type", AdminHttp.ResponseMediaType),
                new("X-Admin-Script-Status", status),
            ], response, ct).ConfigureAwait(false);
            Sent?.Invoke(written);
        }
    }
}
