using M2MSec.Pki.Tls;

namespace M2MSec.NetworkFunctions.Hosting;

/// <summary>Network functions started together (serve all, demo), and the administrator's TLS identity towards them.</summary>
public sealed record NetworkFunctionFleet(IReadOnlyList<NetworkFunctionHost> Hosts, NetworkFunctionTls? AdminTls, string DataDirectory) : IAsyncDisposable
{
    /// <summary>The operator hierarchy that issued the fleet's certificates (null without mutual TLS).</summary>
    public M2MSec.Pki.Authority.CertificateHierarchy? Hierarchy { get; init; }

    /// <summary>The fleet's clock (certificates, revocation caches).</summary>
    public TimeProvider Time { get; init; } = TimeProvider.System;

    /// <summary>Where each function of the fleet listens (its mutual-TLS API), as the functions themselves find each other.</summary>
    public NetworkFunctionPeers Peers { get; init; } = new();

    /// <summary>The OCSP function's responder, against which the functions check each other's certificates (null without mutual TLS).</summary>
    public Uri? OcspResponder { get; init; }

    /// <summary>
    /// The TLS identity of a network function of <paramref name="role"/> that is not hosted here (e.g. the demo's serving
    /// network, role vno, asking the HSS for vectors): a fresh nf certificate carrying that role, peers checked for revocation.
    /// Null without mutual TLS.
    /// </summary>
    public async Task<NetworkFunctionTls?> IdentityForAsync(string role, CancellationToken cancellationToken = default, string? name = null,
        IEnumerable<string>? alternativeNames = null)
    {
        if (Hierarchy is null)
            return null;
        var responder = OcspResponder;
        var identity = await NetworkFunctionCatalog.TlsForAsync(role, Hierarchy, NetworkFunctionCatalog.RevocationFor(Hierarchy, () => responder, Time), Time, cancellationToken,
            name, alternativeNames).ConfigureAwait(false);
        // Its peers' status learnt now, so its first handshakes do not wait on the responder.
        await identity.Revocation!.WarmUpAsync(Hosts.Select(h => h.Services.GetService(typeof(NetworkFunctionTls)) as NetworkFunctionTls)
            .OfType<NetworkFunctionTls>().Select(t => t.Certificate)).ConfigureAwait(false);
        return identity;
    }

    /// <summary>
    /// An HTTP client to <paramref name="target"/>'s API as a network function of <paramref name="role"/> (plain HTTP without mutual TLS);
    /// <paramref name="name"/>: the certificate's CN, an instance's name (default the role); <paramref name="alternativeNames"/>: extra SANs
    /// (issue 18: a NAF's FQDN as dNSName — for role naf, default <see cref="NetworkFunctionCatalog.DefaultNafFqdn"/>).
    /// </summary>
    public async Task<HttpClient> ClientAsAsync(string role, string target, TimeSpan timeout, CancellationToken cancellationToken = default, string? name = null,
        IEnumerable<string>? alternativeNames = null)
    {
        var host = this[target];
        var identity = await IdentityForAsync(role, cancellationToken, name, alternativeNames).ConfigureAwait(false);
        return identity is null ? new HttpClient { BaseAddress = host.Address, Timeout = timeout } : identity.CreateClient(host.Address, timeout);
    }

    /// <summary>The store the fleet's certificates are renewed from, closed with the fleet.</summary>
    internal IAsyncDisposable? IssuerStore { get; init; }

    /// <summary>The host named <paramref name="name"/>: a role's first instance by its role name, another instance by its own name ("sho-b").</summary>
    public NetworkFunctionHost this[string name] => Hosts.First(h => h.Name == name);

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
        var handler = new ConnectionErrorHandler(new SocketsHttpHandler());
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
