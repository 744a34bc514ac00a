namespace M2MSec.NetworkFunctions.Hosting;

/// <summary>Network functions started together (serve all, demo), and the administrator's TLS identity towards them.</summary>
public sealed record NetworkFunctionFleet(IReadOnlyList<NetworkFunctionHost> Hosts, NetworkFunctionTls? AdminTls, string DataDirectory) : IAsyncDisposable
{
    /// <summary>The operator hierarchy that issued the fleet's certificates (null without mutual TLS).</summary>
    public M2MSec.Pki.Authority.CertificateHierarchy? Hierarchy { get; init; }

    /// <summary>The store the fleet's certificates are renewed from, closed with the fleet.</summary>
    internal IAsyncDisposable? IssuerStore { get; init; }

    public NetworkFunctionHost this[string role] => Hosts.First(h => h.Role == role);

    /// <summary>
    /// An administrator's HTTP client to <paramref name="role"/>'s API (mutual TLS when the fleet has it);
    /// <paramref name="wrap"/> puts handlers (e.g. a retry policy) in front of the transport.
    /// </summary>
    public HttpClient AdminClient(string role, TimeSpan timeout, Func<HttpMessageHandler, HttpMessageHandler>? wrap = null)
    {
        var host = this[role];
        var address = host.AdminAddress ?? host.Address;
        if (AdminTls is not null)
            return AdminTls.CreateClient(address, timeout, wrap: wrap);
        var handler = new SocketsHttpHandler();
        return new HttpClient(wrap is null ? handler : wrap(handler)) { BaseAddress = address, Timeout = timeout };
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var h in Hosts.Reverse())
            await h.DisposeAsync().ConfigureAwait(false);
        if (IssuerStore is not null)
            await IssuerStore.DisposeAsync().ConfigureAwait(false);
    }
}
