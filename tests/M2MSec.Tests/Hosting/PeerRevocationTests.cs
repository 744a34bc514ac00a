using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography.X509Certificates;
using M2MSec.NetworkFunctions.Hosting;
using M2MSec.Pki.Authority;
using M2MSec.Pki.Tls;
using Microsoft.Extensions.Time.Testing;

namespace M2MSec.Tests.Hosting;

/// <summary>
/// Issue 13 item 17: revocation between network functions. Peers' certificates are checked against
/// the operator's OCSP responder (answers cached ≤ 5 minutes), so revoking an NF certificate cuts that
/// NF off once the cached answer expires; with the responder down the check fails closed.
/// </summary>
public sealed class PeerRevocationTests : IAsyncLifetime
{
    private readonly string _dir = Directory.CreateTempSubdirectory("m2msec-revocation-").FullName;
    private readonly FakeTimeProvider _time = new(DateTimeOffset.UtcNow);
    private NetworkFunctionFleet _fleet = null!;

    public async ValueTask InitializeAsync()
    {
        var store = new StoreOptions(Path.Combine(_dir, "fleet"), Path.Combine(_dir, "fleet.kek.json"));
        _fleet = await NetworkFunctionCatalog.StartAllAsync(store, createKeyRing: true, time: _time, cancellationToken: TestContext.Current.CancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        await _fleet.DisposeAsync();
        Directory.Delete(_dir, recursive: true);
    }

    private async Task<(X509Certificate2 Cert, NetworkFunctionTls Identity)> PeerAsync(string role)
    {
        var h = _fleet.Hierarchy!;
        var cert = await h.IssueAsync(CertificateProfile.NetworkFunction, new CertificateSubject(role, ["127.0.0.1"]), role: role);
        return (cert, new NetworkFunctionTls(new RenewingCertificate(cert), h.Root, [h.Issuing], time: _time));
    }

    private static async Task<HttpStatusCode?> HealthAsync(NetworkFunctionTls identity, Uri address)
    {
        using var http = identity.CreateClient(address, TimeSpan.FromSeconds(10));
        try
        {
            using var response = await http.GetAsync("health", TestContext.Current.CancellationToken);
            return response.StatusCode;
        }
        catch (HttpRequestException)
        {
            return null; // the handshake was refused
        }
    }

    /// <summary>Refused: at the handshake (a refusal already cached) or, on the first request after it, 403 before anything is handled.</summary>
    private static void AssertRefused(HttpStatusCode? status) =>
        Assert.True(status is null or HttpStatusCode.Forbidden, $"expected a refusal, got {status}");

    private async Task RevokeAsync(X509Certificate2 cert)
    {
        using var admin = _fleet.AdminClient(NetworkFunctionRole.Ocsp, TimeSpan.FromSeconds(10));
        var done = await admin.PostAsJsonAsync("admin/revocations", new { serial = M2MSec.Pki.CertificateSerial.Of(cert), reason = "keyCompromise" },
            TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, done.StatusCode);
    }

    [Fact]
    public async Task RevokedNfCertificate_IsCutOffFromMutualTls_AfterTheCacheLifetime_GoodOneKeepsWorking_RevokedPeerThreat()
    {
        var hss = _fleet[NetworkFunctionRole.Hss].Address;
        var (revoked, revokedIdentity) = await PeerAsync("vno");
        var (_, goodIdentity) = await PeerAsync("bsf");
        Assert.Equal(HttpStatusCode.OK, await HealthAsync(revokedIdentity, hss));
        Assert.Equal(HttpStatusCode.OK, await HealthAsync(goodIdentity, hss));

        // A connection the revoked peer keeps open is cut off too: each request is checked against the cache.
        using var kept = revokedIdentity.CreateClient(hss, TimeSpan.FromSeconds(10));
        Assert.Equal(HttpStatusCode.OK, (await kept.GetAsync("health", TestContext.Current.CancellationToken)).StatusCode);

        await RevokeAsync(revoked);
        _time.Advance(TimeSpan.FromMinutes(5) + TimeSpan.FromSeconds(1)); // past the 5-minute cap on a cached answer

        AssertRefused(await HealthAsync(revokedIdentity, hss));
        Assert.Equal(HttpStatusCode.Forbidden, (await kept.GetAsync("health", TestContext.Current.CancellationToken)).StatusCode);
        Assert.Null(await HealthAsync(revokedIdentity, hss)); // now cached: refused at the handshake itself
        Assert.Equal(HttpStatusCode.OK, await HealthAsync(goodIdentity, hss));
    }

    [Fact]
    public async Task RevokedNfServerCertificate_IsRefusedByItsClients_AfterTheCacheLifetime()
    {
        // The client side: an administrator (or a function calling a peer) checks the server's certificate too.
        var (revoked, identity) = await PeerAsync("smsc");
        await using var smsc = await NetworkFunctionHost.StartAsync(new M2MSec.NetworkFunctions.Smsc.SmscFunction(), Path.Combine(_dir, "smsc2"),
            new M2MSec.Storage.InMemory.InMemoryStateStore(), tls: identity);
        Assert.Equal(HttpStatusCode.OK, await HealthAsync(_fleet.AdminTls!, smsc.Address));
        await RevokeAsync(revoked);
        _time.Advance(TimeSpan.FromMinutes(5) + TimeSpan.FromSeconds(1));
        Assert.Null(await HealthAsync(_fleet.AdminTls!, smsc.Address));
    }

    [Fact]
    public async Task ResponderDown_FailsClosed_OnceTheCachedAnswerExpires_DocumentedInDecision012()
    {
        var hss = _fleet[NetworkFunctionRole.Hss].Address;
        var (_, cached) = await PeerAsync("vno");
        Assert.Equal(HttpStatusCode.OK, await HealthAsync(cached, hss));

        await _fleet[NetworkFunctionRole.Ocsp].StopAsync();

        // A certificate with an unexpired cached "good" keeps working; one never seen is refused at once.
        var (_, unseen) = await PeerAsync("icf");
        Assert.Equal(HttpStatusCode.OK, await HealthAsync(cached, hss));
        AssertRefused(await HealthAsync(unseen, hss));

        // Once the cached answer expires, the cached one is refused too (fail-closed).
        _time.Advance(TimeSpan.FromMinutes(5) + TimeSpan.FromSeconds(1));
        AssertRefused(await HealthAsync(cached, hss));
    }
}
