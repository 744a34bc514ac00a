using System.Net;
using System.Net.Sockets;

namespace M2MSec.Tests.Support;

/// <summary>A loopback port free right now — for servers whose URL must be known before they start (it goes into certificates).</summary>
internal static class LoopbackPort
{
    public static int Free()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }
}
