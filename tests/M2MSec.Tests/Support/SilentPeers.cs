using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using M2MSec.Ota.Scp81;

namespace M2MSec.Tests.Support;

/// <summary>Peers that connect to a PSK-TLS listener and say nothing (decision 057's slowloris threat).</summary>
internal static class SilentPeers
{
    /// <summary>Opens <paramref name="count"/> connections that send nothing.</summary>
    public static async Task<List<TcpClient>> ConnectAsync(IPEndPoint endpoint, int count, CancellationToken ct)
    {
        var clients = new List<TcpClient>();
        for (var i = 0; i < count; i++)
        {
            clients.Add(new TcpClient());
            await clients[^1].ConnectAsync(endpoint, ct);
        }
        return clients;
    }

    /// <summary>
    /// Holds 64 silent connections at <paramref name="endpoint"/> — checked to wait each on a session thread named
    /// <paramref name="threadName"/>, not on a pool worker — and runs <paramref name="legitimate"/> meanwhile: its time, and the silent
    /// ones still held after it. Then closes them and waits until <paramref name="gate"/> is empty.
    /// </summary>
    public static async Task<TimeSpan> TimeWhileHeldAsync(IPEndPoint endpoint, PskTlsSessionGate gate, string threadName, Func<Task> legitimate,
        CancellationToken ct)
    {
        var idle = await ConnectAsync(endpoint, 64, ct);
        try
        {
            await Eventually.HoldsAsync(() => gate.OpenSessions == 64, ct);
            // Each session's thread takes its name as it starts the session, a moment after the gate counted it (CI, 2026-12-07: 63 then 64).
            await Eventually.HoldsAsync(() => ProcessThreads.Named(threadName) >= 64, ct);
            // A token would not bound it: the legitimate peer's handshake blocks too.
            var started = Stopwatch.StartNew();
            await legitimate();
            var elapsed = started.Elapsed;
            // The silent ones are still held (the legitimate session's thread may take a moment more to end after its answer).
            await Eventually.HoldsAsync(() => gate.OpenSessions == 64, ct);
            return elapsed;
        }
        finally
        {
            idle.ForEach(c => c.Dispose());
            await Eventually.HoldsAsync(() => gate.OpenSessions == 0, ct);
        }
    }
}
