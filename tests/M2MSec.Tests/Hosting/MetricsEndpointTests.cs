using System.Net;
using System.Net.Http.Json;
using System.Net.Security;
using System.Net.Sockets;
using M2MSec.NetworkFunctions.Dm;
using M2MSec.NetworkFunctions.Hosting;
using M2MSec.Pki.Tls;
using M2MSec.Storage.InMemory;

namespace M2MSec.Tests.Hosting;

/// <summary>
/// Issue 20, metrics and logs (docs/decisions/031): every function of the fleet serves its own Prometheus figures at /metrics
/// on its admin listener — to administrators and to the scrape credential (role metrics) only, never on the OCSP responder's
/// public listener nor on a device-facing one — labelled by role; refused TLS handshakes are counted by reason.
/// </summary>
public sealed class MetricsEndpointTests(MetricsEndpointTests.Fleet shared) : IClassFixture<MetricsEndpointTests.Fleet>
{
    /// <summary>One fleet for the class (the checks only read, or count in series of their own).</summary>
    public sealed class Fleet : IAsyncLifetime
    {
        public string Dir { get; } = Directory.CreateTempSubdirectory("m2msec-metrics-").FullName;

        public NetworkFunctionFleet Functions { get; private set; } = null!;

        public async ValueTask InitializeAsync()
        {
            var store = new StoreOptions(Path.Combine(Dir, "fleet"), Path.Combine(Dir, "fleet.kek.json"));
            Functions = await NetworkFunctionCatalog.StartAllAsync(store, createKeyRing: true, cancellationToken: TestContext.Current.CancellationToken);
        }

        public async ValueTask DisposeAsync()
        {
            await Functions.DisposeAsync();
            Directory.Delete(Dir, recursive: true);
        }
    }

    private readonly NetworkFunctionFleet _fleet = shared.Functions;
    private readonly string _dir = shared.Dir;

    private static async Task<(HttpStatusCode Status, string Body)> GetAsync(HttpClient http, Uri address, string path = "/metrics")
    {
        using var response = await http.GetAsync(new Uri(address, path), TestContext.Current.CancellationToken);
        return (response.StatusCode, await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task EveryRole_ServesItsOwnMetrics_ToTheAdministrator_LabelledByRole()
    {
        foreach (var host in _fleet.Hosts)
        {
            using var admin = _fleet.AdminClient(host.Name, TimeSpan.FromSeconds(20));
            var (status, body) = await GetAsync(admin, host.AdminAddress!);
            Assert.True(status == HttpStatusCode.OK, $"{host.Name}: {status} {body}");
            // Its own registry: every series names this role and instance, none another's.
            Assert.Contains($"m2msec_build_info{{version=\"{NetworkFunctionMetrics.Version}\",role=\"{host.Role}\",instance=\"{host.Name}\"}} 1", body);
            var samples = body.Split('\n').Where(l => l.Length > 0 && l[0] != '#').ToList();
            Assert.All(samples, l => Assert.Contains($"role=\"{host.Role}\",instance=\"{host.Name}\"", l));
        }
    }

    [Fact]
    public async Task HttpRequests_AreCountedByRouteTemplate_NeverByTheDevicesPath()
    {
        using var admin = _fleet.AdminClient("hss", TimeSpan.FromSeconds(20));
        using (var lookup = await admin.GetAsync("subscribers/001010000000077", TestContext.Current.CancellationToken))
            Assert.Equal(HttpStatusCode.NotFound, lookup.StatusCode);
        var (_, body) = await GetAsync(admin, _fleet["hss"].AdminAddress!);
        Assert.Contains("http_requests_received_total{code=\"404\",method=\"GET\",controller=\"\",action=\"\",endpoint=\"/subscribers/{imsi}\",role=\"hss\",instance=\"hss\"} 1", body);
        Assert.Contains("http_request_duration_seconds_bucket{code=\"404\",method=\"GET\",controller=\"\",action=\"\",endpoint=\"/subscribers/{imsi}\"", body);
        Assert.DoesNotContain("001010000000077", body);
    }

    [Fact]
    public async Task Metrics_CarryNoExemplars_TraceIdLeakThreat()
    {
        // Decision 043: a caller's trace context (W3C traceparent) becomes the request's Activity; with prometheus-net's
        // default exemplars its trace id would be published on /metrics in the OpenMetrics format.
        const string traceId = "4bf92f3577b34da6a3ce929d0e0e4736";
        using var admin = _fleet.AdminClient("drf", TimeSpan.FromSeconds(20));
        using (var health = new HttpRequestMessage(HttpMethod.Get, "health"))
        {
            health.Headers.Add("traceparent", $"00-{traceId}-00f067aa0ba902b7-01");
            using var answer = await admin.SendAsync(health, TestContext.Current.CancellationToken);
            Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
        }
        using var scrape = new HttpRequestMessage(HttpMethod.Get, new Uri(_fleet["drf"].AdminAddress!, "/metrics"));
        scrape.Headers.Accept.ParseAdd("application/openmetrics-text; version=1.0.0");
        using var response = await admin.SendAsync(scrape, TestContext.Current.CancellationToken);
        var body = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        Assert.StartsWith("application/openmetrics-text", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("http_request_duration_seconds_bucket{code=\"200\",method=\"GET\",controller=\"\",action=\"\",endpoint=\"/health\"", body);
        Assert.DoesNotContain(traceId, body);
        Assert.DoesNotContain("trace_id", body);
    }

    [Fact]
    public async Task Metrics_RefusedToOtherRoles_ServedToTheScrapeCredential_WrongCredentialThreat()
    {
        var hss = _fleet["hss"].AdminAddress!;
        // A network function of another role (mutual TLS passes: the operator root issued it) is no scraper.
        using (var vno = await _fleet.ClientAsAsync("vno", "hss", TimeSpan.FromSeconds(20), TestContext.Current.CancellationToken))
        {
            var (status, body) = await GetAsync(vno, hss);
            Assert.Equal(HttpStatusCode.Forbidden, status);
            Assert.Contains("not-entitled", body);
            Assert.DoesNotContain("m2msec_build_info", body);
        }
        // The scrape credential `serve all` writes beside the administrator's: /metrics, and nothing else.
        var scraper = NetworkFunctionTls.Load(Path.Combine(_fleet.DataDirectory, "metrics.crt"), Path.Combine(_fleet.DataDirectory, "metrics.key"),
            Path.Combine(_fleet.DataDirectory, "chain.pem"), Path.Combine(_fleet.DataDirectory, "root.pem"));
        using var scrape = scraper.CreateClient(hss, TimeSpan.FromSeconds(20));
        Assert.Equal(HttpStatusCode.OK, (await GetAsync(scrape, hss)).Status);
        using var add = await scrape.PostAsJsonAsync("subscribers", new { imsi = "001010000000078", k = new string('1', 32), opc = new string('2', 32) },
            TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.Forbidden, add.StatusCode);
    }

    [Fact]
    public async Task Metrics_NotServedOnTheOcspPublicListener_NorOnDeviceListeners_Threat()
    {
        // The responder's public, plain-HTTP listener: /metrics does not exist there, whatever the caller.
        var ocsp = _fleet[NetworkFunctionRole.Ocsp];
        using (var anyone = new HttpClient())
        {
            var (status, body) = await GetAsync(anyone, ocsp.Address);
            Assert.Equal(HttpStatusCode.NotFound, status);
            Assert.DoesNotContain("m2msec_", body);
        }
        using (var admin = _fleet.AdminClient(NetworkFunctionRole.Ocsp, TimeSpan.FromSeconds(20)))
            Assert.Equal(HttpStatusCode.OK, (await GetAsync(admin, ocsp.AdminAddress!)).Status);
        // Device-facing listeners (vno, drf, dpf, smsc): not served, as if it did not exist.
        foreach (var role in new[] { "vno", "drf", "dpf", NetworkFunctionRole.Smsc })
        {
            using var device = M2MSec.Device.Provisioning.RoProvisioningClient.Client(_fleet[role].DeviceAddress!, _fleet.Hierarchy!.Root);
            var (status, body) = await GetAsync(device, _fleet[role].DeviceAddress!);
            Assert.True(status == HttpStatusCode.NotFound, $"{role}-device: {status}");
            Assert.DoesNotContain("m2msec_", body);
        }
    }

    [Fact]
    public async Task DmServer_MetricsOnItsOwnAdminListener_NeverOnTheDevicesListener_Threat()
    {
        var hierarchy = _fleet.Hierarchy!;
        var cert = await hierarchy.IssueAsync(M2MSec.Pki.Authority.CertificateProfile.DmServer,
            new M2MSec.Pki.Authority.CertificateSubject("localhost", ["127.0.0.1", "localhost"]), cancellationToken: TestContext.Current.CancellationToken);
        var tls = NetworkFunctionTls.ServerOnly(new RenewingCertificate(cert), [hierarchy.Issuing]);
        var adminTls = await _fleet.IdentityForAsync(NetworkFunctionRole.Dm, TestContext.Current.CancellationToken);
        await using var dm = await NetworkFunctionHost.StartAsync(new DmFunction(new DmFunctionOptions()), Path.Combine(_dir, "dm"), new InMemoryStateStore(),
            "https://127.0.0.1:0", tls: tls, adminTls: adminTls, cancellationToken: TestContext.Current.CancellationToken);
        Assert.NotEqual(dm.Address, dm.AdminAddress);
        // The devices' listener (server certificate only): no /metrics, even for the administrator's certificate.
        using (var admin = _fleet.AdminTls!.CreateClient(dm.Address, TimeSpan.FromSeconds(20)))
            Assert.Equal(HttpStatusCode.NotFound, (await GetAsync(admin, dm.Address)).Status);
        using (var admin = _fleet.AdminTls!.CreateClient(dm.AdminAddress!, TimeSpan.FromSeconds(20)))
        {
            var (status, body) = await GetAsync(admin, dm.AdminAddress!);
            Assert.Equal(HttpStatusCode.OK, status);
            Assert.Contains("role=\"dm\"", body);
        }
        using var other = await _fleet.ClientAsAsync("vno", "hss", TimeSpan.FromSeconds(20), TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.Forbidden, (await GetAsync(other, dm.AdminAddress!)).Status);
    }

    [Fact]
    public async Task RefusedTlsHandshake_IsCountedByReason_WithoutACertificateId()
    {
        var hss = _fleet["hss"].AdminAddress!;
        // A client without a certificate: the mutual-TLS handshake fails (TS 33.310 Annex E).
        using (var tcp = new TcpClient())
        {
            await tcp.ConnectAsync(hss.Host, hss.Port, TestContext.Current.CancellationToken);
            await using var ssl = new SslStream(tcp.GetStream(), false, (_, _, _, _) => true);
            await Assert.ThrowsAnyAsync<Exception>(async () =>
            {
                await ssl.AuthenticateAsClientAsync(new SslClientAuthenticationOptions { TargetHost = "127.0.0.1" }, TestContext.Current.CancellationToken);
                // TLS 1.3: the server's refusal of the client's (empty) certificate arrives with the first read.
                await ssl.WriteAsync("GET /health HTTP/1.1\r\nHost: x\r\n\r\n"u8.ToArray(), TestContext.Current.CancellationToken);
                var buffer = new byte[64];
                if (await ssl.ReadAsync(buffer, TestContext.Current.CancellationToken) == 0)
                    throw new IOException("closed");
            });
        }
        using var admin = _fleet.AdminClient("hss", TimeSpan.FromSeconds(20));
        var (_, body) = await GetAsync(admin, hss);
        Assert.Contains("m2msec_tls_handshakes_refused_total{reason=\"no-client-certificate\",role=\"hss\",instance=\"hss\"} 1", body);
    }
}
