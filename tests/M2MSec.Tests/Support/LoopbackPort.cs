using System.Net;
using System.Net.Sockets;

namespace M2MSec.Tests.Support;

/// <summary>A loopback port free right now — for servers whose URL must be known before they start (it goes into certificates).</summary>
internal static class LoopbackPort
{
    // Below Linux's ephemeral range (32768–60999): an outgoing connection of any process cannot take the port between this
    // check and the server's bind (the kill-and-resume fleets restart roles on their ports while other tests connect out).
    private const int First = 20_000;
    private const int End = 32_768;

    private static readonly HashSet<int> Given = [];

    public static int Free()
    {
        for (var attempt = 0; attempt < 200; attempt++)
        {
            var port = Random.Shared.Next(First, End);
            lock (Given)
            {
                if (!Given.Add(port))
                    continue; // each port once per test run: two servers of this process never race for one
            }
            if (Bindable(port))
                return port;
        }
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var any = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return any;
    }

    private static bool Bindable(int port)
    {
        try
        {
            var listener = new TcpListener(IPAddress.Loopback, port);
            listener.Start();
            listener.Stop();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
