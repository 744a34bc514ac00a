using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography.X509Certificates;
using M2MSec.NetworkFunctions.Hosting;
using M2MSec.NetworkFunctions.Hss;
using M2MSec.Pki.Authority;
using M2MSec.Pki.Tls;
using M2MSec.Storage.InMemory;
using Microsoft.Extensions.Time.Testing;

namespace M2MSec.Tests.Hosting;

/// <summary>Mutual TLS between network functions: certificate renewal under load, the administrator check, the OCSP admin side.</summary>
public sealed class NetworkFunctionTlsTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("m2msec-nftls-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task ShortLivedCertificate_IsRenewedBeforeExpiry_WithoutDroppingTheOpenSession()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var h = await CertificateHierarchy.InitAsync(new InMemoryCertificateStore(time), "operator", KeyAlgorithm.EcP256, null, time);
        var subject = new CertificateSubject("hss", ["127.0.0.1"]);
        var first = await h.IssueAsync(CertificateProfile.NetworkFunction, subject, TimeSpan.FromDays(1), role: "hss");
        await using var renewing = new RenewingCertificate(first, ct => h.IssueAsync(CertificateProfile.NetworkFunction, subject, TimeSpan.FromDays(1), role: "hss", cancellationToken: ct),
            time, TimeSpan.FromMinutes(10));
        var tls = new NetworkFunctionTls(renewing, h.Root, [h.Issuing], time: time);
        await using var hss = await NetworkFunctionHost.StartAsync(new HssFunction(), Path.Combine(_dir, "hss"), new InMemoryStateStore(time), tls: tls);

        var admin = new NetworkFunctionTls(new RenewingCertificate(await h.IssueAsync(CertificateProfile.Admin,
            new CertificateSubject(NetworkFunctionTls.DefaultAdminSubject), TimeSpan.FromDays(30))), h.Root, [h.Issuing], time: time);
        var seen = new List<string>();
        using var session = Client(admin, hss.Address, seen);
        Assert.True((await session.GetAsync("health", TestContext.Current.CancellationToken)).IsSuccessStatusCode);

        time.Advance(TimeSpan.FromHours(12)); // half its life: not yet
        Assert.Equal(0, renewing.Renewals);
        time.Advance(TimeSpan.FromHours(5)); // 7 h left of 24 (< 1/3): the next check renews
        for (var i = 0; i < 50 && renewing.Renewals == 0; i++)
            await Task.Delay(20, TestContext.Current.CancellationToken);
        Assert.Equal(1, renewing.Renewals);
        Assert.NotEqual(first.Thumbprint, renewing.Current.Thumbprint);

        // The open session carries on (no new handshake); a new one gets the new certificate.
        var added = await session.PostAsJsonAsync("subscribers", new { imsi = "001010000000777", k = new string('a', 32), opc = new string('b', 32) }, TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.Created, added.StatusCode);
        Assert.Equal([first.Thumbprint], seen);
        using var fresh = Client(admin, hss.Address, seen);
        Assert.True((await fresh.GetAsync("health", TestContext.Current.CancellationToken)).IsSuccessStatusCode);
        Assert.Equal([first.Thumbprint, renewing.Current.Thumbprint], seen);
    }

    [Fact]
    public async Task Fleet_OcspAdminRevocation_NeedsTheAdministratorOverMutualTls()
    {
        var store = new StoreOptions(Path.Combine(_dir, "fleet"), Path.Combine(_dir, "fleet.kek.json"));
        await using var fleet = await NetworkFunctionCatalog.StartAllAsync(store, createKeyRing: true, cancellationToken: TestContext.Current.CancellationToken);
        var ocsp = fleet[NetworkFunctionRole.Ocsp];
        Assert.Equal("http", ocsp.Address.Scheme);
        Assert.Equal("https", ocsp.AdminAddress!.Scheme);
        using var adminCert = X509CertificateLoader.LoadCertificateFromFile(Path.Combine(store.DataDirectory, "admin.crt"));
        var serial = M2MSec.Pki.CertificateSerial.Of(adminCert);

        using (var plain = new HttpClient { BaseAddress = ocsp.Address })
        {
            var refused = await plain.PostAsJsonAsync("admin/revocations", new { serial, reason = "superseded" }, TestContext.Current.CancellationToken);
            Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
            var crl = await plain.GetAsync("crl", TestContext.Current.CancellationToken);
            Assert.Equal("application/pkix-crl", crl.Content.Headers.ContentType!.MediaType);
        }
        using var admin = fleet.AdminClient(NetworkFunctionRole.Ocsp, TimeSpan.FromSeconds(10));
        var bad = await admin.PostAsJsonAsync("admin/revocations", new { serial = "zz", reason = "superseded" }, TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        var done = await admin.PostAsJsonAsync("admin/revocations", new { serial, reason = "superseded" }, TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, done.StatusCode);
        var again = await admin.PostAsJsonAsync("admin/revocations", new { serial, reason = "keyCompromise" }, TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
    }

    [Fact]
    public async Task ShortLivedServerCertificate_RenewsThroughThePkiAdminApi_KeyNeverLeavesTheServer()
    {
        var store = new StoreOptions(Path.Combine(_dir, "fleet"), Path.Combine(_dir, "fleet.kek.json"));
        await using var fleet = await NetworkFunctionCatalog.StartAllAsync(store, createKeyRing: true, cancellationToken: TestContext.Current.CancellationToken);
        using var pkiHttp = fleet.AdminClient(NetworkFunctionRole.Ocsp, TimeSpan.FromSeconds(10));
        var pki = new M2MSec.NetworkFunctions.Ocsp.PkiAdminClient(pkiHttp);
        var subject = new CertificateSubject("dm.operator.example", ["127.0.0.1"]);
        var ct = TestContext.Current.CancellationToken;

        using var first = await pki.IssueAsync(CertificateProfile.DmServer, subject, days: 1, cancellationToken: ct);
        Assert.True(first.HasPrivateKey);
        Assert.Equal(TimeSpan.FromDays(1), first.NotAfter - first.NotBefore);
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var renewing = new RenewingCertificate(first, c => pki.IssueAsync(CertificateProfile.DmServer, subject, days: 1, cancellationToken: c), time, TimeSpan.FromMinutes(5));
        // (The PKI runs on real time, this clock is 17 h ahead: each due check renews again, hence "at least".)
        time.Advance(TimeSpan.FromHours(17));
        for (var i = 0; i < 100 && renewing.Renewals == 0; i++)
            await Task.Delay(20, ct);
        Assert.True(renewing.Renewals >= 1);
        Assert.NotEqual(first.SerialNumber, renewing.Current.SerialNumber);
        Assert.True(renewing.Current.HasPrivateKey);

        // Issuance is for administrators; a forged proof of possession is refused.
        using var plain = new HttpClient { BaseAddress = fleet[NetworkFunctionRole.Ocsp].Address };
        Assert.Equal(HttpStatusCode.Forbidden, (await plain.PostAsJsonAsync("admin/certificates", new { csr_pem = "x", profile = "dm-server" }, ct)).StatusCode);
        using var key = System.Security.Cryptography.ECDsa.Create(System.Security.Cryptography.ECCurve.NamedCurves.nistP256);
        var csr = SigningRequests.Create(key, subject);
        var der = System.Security.Cryptography.PemEncoding.Find(csr);
        var body = Convert.FromBase64String(csr[der.Base64Data]);
        body[^5] ^= 0x01; // inside the signature
        var forged = System.Security.Cryptography.PemEncoding.WriteString("CERTIFICATE REQUEST", body);
        var refused = await pkiHttp.PostAsJsonAsync("admin/certificates", new { csr_pem = forged, profile = "dm-server" }, ct);
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await pkiHttp.PostAsJsonAsync("admin/certificates", new { csr_pem = csr, profile = "root" }, ct)).StatusCode);
    }

    private static HttpClient Client(NetworkFunctionTls identity, Uri address, List<string> seen)
    {
        var validate = ProfileChainValidator.ServerCallback(identity.TrustRoot!, identity.Intermediates, identity.Time);
        var options = TlsProfile.CreateClientOptions(address.Host, (s, c, ch, e) =>
        {
            lock (seen)
                seen.Add(((X509Certificate2)c!).Thumbprint);
            return validate(s, c, ch, e);
        }, identity.Certificate);
        return new HttpClient(new SocketsHttpHandler { SslOptions = options }) { BaseAddress = address };
    }
}
