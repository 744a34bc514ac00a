using System.Net;

namespace M2MSec.Cli.Internal;

/// <summary>
/// Requests to a loopback address never go through a proxy. .NET takes HttpClient's default proxy from http_proxy / https_proxy /
/// all_proxy and bypasses only what no_proxy lists — not 127.0.0.1 by itself: with a proxy set in the environment (a machine behind a
/// corporate proxy), every request between the demo's functions went to the proxy and `m2msec demo` stopped at its first request
/// (exit 4, "Connection refused" from the proxy's address). Other destinations keep the environment's proxy (an OCSP responder named
/// in a real certificate, say).
/// </summary>
internal sealed class LoopbackDirect(IWebProxy environment) : IWebProxy
{
    public ICredentials? Credentials
    {
        get => environment.Credentials;
        set => environment.Credentials = value;
    }

    public Uri? GetProxy(Uri destination) => IsBypassed(destination) ? destination : environment.GetProxy(destination);

    public bool IsBypassed(Uri host) => host.IsLoopback || environment.IsBypassed(host);

    /// <summary>Makes it the process's default proxy, around the one the environment gave.</summary>
    public static void Install()
    {
        if (HttpClient.DefaultProxy is not LoopbackDirect)
            HttpClient.DefaultProxy = new LoopbackDirect(HttpClient.DefaultProxy);
    }
}
