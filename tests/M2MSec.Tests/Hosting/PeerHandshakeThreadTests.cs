using System.Net;
using M2MSec.NetworkFunctions.Hosting;
using M2MSec.NetworkFunctions.Ocsp;
using M2MSec.Pki.Authority;
using M2MSec.Pki.Tls;

namespace M2MSec.Tests.Hosting;

/// <summary>
/// Decision 062: a network function's first requests to a peer, in a burst, with nothing cached about the peer's certificate (a function
/// just started, or restarted after a crash). The handshake's certificate callback waits for the OCSP responder; on pool threads (before),
/// the burst held the pool while the OCSP query needed a pool thread to connect: in the kill-and-resume test the SHO's 18 requests to the
/// HSS waited 5 s, and the HSS was refused (fail-closed) for 2 s more.
/// </summary>
public sealed class PeerHandshakeThreadTests : IAsyncLifetime
{
    private readonly string _dir = Directory.CreateTempSubdirectory("m2msec-peer-handshake-").FullName;
    private NetworkFunctionFleet _fleet = null!;

    public async ValueTask InitializeAsync()
    {
        var store = new StoreOptions(Path.Combine(_dir, "fleet"), Path.Combine(_dir, "fleet.kek.json"));
        _fleet = await NetworkFunctionCatalog.StartAllAsync(store, createKeyRing: true, cancellationToken: TestContext.Current.CancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        await _fleet.DisposeAsync();
        Directory.Delete(_dir, recursive: true);
    }

    [Fact]
    public async Task FirstRequestsToAPeer_InABurst_WaitForOcspOnHandshakeThreads_NotOnPoolThreads_AllAccepted_PoolStarvationThreat()
    {
        var ct = TestContext.Current.CancellationToken;
        var h = _fleet.Hierarchy!;
        var responder = _fleet[NetworkFunctionRole.Ocsp].Address;
        using var ocsp = new HttpClient { Timeout = PeerRevocationChecker.QueryTimeout };
        var asked = new List<(bool Pool, string? Name)>();
        var revocation = new PeerRevocationChecker([h.Issuing], der =>
        {
            lock (asked)
                asked.Add((Thread.CurrentThread.IsThreadPoolThread, Thread.CurrentThread.Name));
            return OcspEndpoints.Query(ocsp, responder, der);
        }, (der, token) => OcspEndpoints.QueryAsync(ocsp, responder, der, token));
        var cert = await h.IssueAsync(CertificateProfile.NetworkFunction, new CertificateSubject("sho", ["127.0.0.1"]), role: "sho", cancellationToken: ct);
        var sho = new NetworkFunctionTls(new RenewingCertificate(cert), h.Root, [h.Issuing]) { Revocation = revocation };
        using var http = sho.CreateClient(_fleet[NetworkFunctionRole.Hss].Address, TimeSpan.FromSeconds(30));

        // Sixteen connections at once, as many handshakes: one asks the responder, the others wait for its answer.
        var statuses = await Task.WhenAll(Enumerable.Range(0, 16).Select(_ => Task.Run(async () =>
        {
            using var response = await http.GetAsync("health", ct);
            return response.StatusCode;
        }, ct)));

        Assert.All(statuses, s => Assert.Equal(HttpStatusCode.OK, s));
        var query = Assert.Single(asked);
        Assert.Equal((false, PeerTlsConnector.HandshakeThreadName), query);
    }

    [Fact]
    public async Task PeerClient_RefusesAPlainHttpUri_NothingSentWithoutTls()
    {
        var ct = TestContext.Current.CancellationToken;
        var h = _fleet.Hierarchy!;
        var cert = await h.IssueAsync(CertificateProfile.NetworkFunction, new CertificateSubject("sho", ["127.0.0.1"]), role: "sho", cancellationToken: ct);
        var sho = new NetworkFunctionTls(new RenewingCertificate(cert), h.Root, [h.Issuing])
        {
            Revocation = PeerRevocationChecker.ForResponder(_fleet[NetworkFunctionRole.Ocsp].Address, [h.Issuing]),
        };
        using var http = sho.CreateClient(_fleet[NetworkFunctionRole.Hss].Address, TimeSpan.FromSeconds(30));
        var plain = new UriBuilder(_fleet[NetworkFunctionRole.Hss].Address) { Scheme = "http" }.Uri;

        var refused = await Assert.ThrowsAsync<HttpRequestException>(() => http.GetAsync(new Uri(plain, "health"), ct));

        Assert.Equal(HttpRequestError.SecureConnectionError, refused.HttpRequestError);
        using var ok = await http.GetAsync("health", ct);
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
    }
}
