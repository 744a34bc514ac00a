using System.Collections.Concurrent;

namespace M2MSec.NetworkFunctions.Hosting;

/// <summary>
/// Where the other network functions listen (their mutual-TLS API), by role: given with `serve ROLE --peer ROLE=URL`, filled
/// by `serve all` and the demo as each function starts — looked up at call time, so functions that call each other both ways
/// (DRF ↔ DPF) can start in any order.
/// </summary>
public sealed class NetworkFunctionPeers
{
    private readonly ConcurrentDictionary<string, Uri> _addresses = new(StringComparer.Ordinal);

    public NetworkFunctionPeers(IEnumerable<KeyValuePair<string, Uri>>? addresses = null)
    {
        foreach (var (role, uri) in addresses ?? [])
            _addresses[role] = uri;
    }

    public void Set(string role, Uri address) => _addresses[role] = address ?? throw new ArgumentNullException(nameof(address));

    public Uri? Find(string role) => _addresses.TryGetValue(role, out var u) ? u : null;

    /// <summary>The peer's address; throws <see cref="PeerUnavailableException"/> when none was given.</summary>
    public Uri Require(string role) => Find(role) ?? throw new PeerUnavailableException(role);

    public IReadOnlyDictionary<string, Uri> Snapshot() => new Dictionary<string, Uri>(_addresses, StringComparer.Ordinal);
}

/// <summary>A function needs a peer whose address it was not given.</summary>
public sealed class PeerUnavailableException(string role)
    : InvalidOperationException($"no address for the {role} function (serve … --peer {role}=URL)")
{
    public string Role { get; } = role;
}

/// <summary>
/// One network function's HTTP clients towards its peers: over mutual TLS with its own certificate (the peer's checked against
/// its trust root and for revocation), plain HTTP without TLS. One client per peer address, kept (connection pooling).
/// </summary>
public sealed class PeerClients(NetworkFunctionPeers peers, NetworkFunctionTls? tls = null) : IDisposable
{
    private readonly ConcurrentDictionary<Uri, HttpClient> _clients = new();

    /// <summary>How long a call to a peer may take.</summary>
    public static TimeSpan Timeout { get; } = TimeSpan.FromSeconds(30);

    public NetworkFunctionPeers Peers { get; } = peers;

    /// <summary>The client for <paramref name="role"/>'s API (throws <see cref="PeerUnavailableException"/> if its address is unknown).</summary>
    public HttpClient For(string role) => _clients.GetOrAdd(Peers.Require(role), address => tls is { TrustRoot: not null }
        ? tls.CreateClient(address, Timeout)
        : new HttpClient { BaseAddress = address, Timeout = Timeout });

    public void Dispose()
    {
        foreach (var c in _clients.Values)
            c.Dispose();
    }
}
