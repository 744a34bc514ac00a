using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using M2MSec.NetworkFunctions.Hosting;
using M2MSec.Pki.Authority;
using M2MSec.Pki.Tls;

namespace M2MSec.Tests.Hosting;

/// <summary>
/// Issue 13 item 15: a role is a certificate profile, not a CN — administrators need the admin profile
/// together with an allowed subject; network functions carry their role as a policy OID and the HSS
/// gives vectors (CK/IK) only to entitled roles. Item 16: CSRs at /admin/certificates only with the
/// profile's key algorithms and printable, bounded subjects.
/// </summary>
public sealed class CertificateRoleTests : IAsyncLifetime
{
    private readonly string _dir = Directory.CreateTempSubdirectory("m2msec-roles-").FullName;
    private NetworkFunctionFleet _fleet = null!;

    private CertificateHierarchy H => _fleet.Hierarchy!;

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

    /// <summary>Every administrative endpoint of the fleet (7): role, method, path, body.</summary>
    public static TheoryData<string> AdminEndpointNames => [.. AdminEndpoints.Select(e => $"{e.Role} {e.Method} {e.Path}")];

    private static readonly (string Role, string Method, string Path, object? Body)[] AdminEndpoints =
    [
        (NetworkFunctionRole.Hss, "POST", "subscribers", new { imsi = "001010000000501", k = new string('1', 32), opc = new string('2', 32) }),
        (NetworkFunctionRole.Hss, "GET", "subscribers/001010000000500", null),
        (NetworkFunctionRole.Ota, "POST", "cards", new { iccid = "8988211000000000501", kic = "12", kid = "12", kic_key = new string('a', 32), kid_key = new string('b', 32) }),
        (NetworkFunctionRole.Ota, "POST", "jobs", new { iccid = "8988211000000000500", tar = "b00001", apdus = "00a40000023f00" }),
        (NetworkFunctionRole.Ota, "GET", "jobs/no-such-job", null),
        (NetworkFunctionRole.Ocsp, "POST", "admin/revocations", new { serial = "01", reason = "superseded" }),
        (NetworkFunctionRole.Ocsp, "POST", "admin/certificates", new { csr_pem = "x", profile = "device" }),
    ];

    private async Task<Dictionary<string, HttpStatusCode>> CallEveryAdminEndpointAsync(NetworkFunctionTls identity)
    {
        var ct = TestContext.Current.CancellationToken;
        var statuses = new Dictionary<string, HttpStatusCode>();
        foreach (var (role, method, path, body) in AdminEndpoints)
        {
            var host = _fleet[role];
            using var http = identity.CreateClient(host.AdminAddress!, TimeSpan.FromSeconds(10));
            using var response = method == "GET" ? await http.GetAsync(path, ct) : await http.PostAsJsonAsync(path, body, ct);
            statuses[$"{role} {method} {path}"] = response.StatusCode;
        }
        Assert.Equal(7, statuses.Count);
        return statuses;
    }

    private NetworkFunctionTls Identity(X509Certificate2 cert) => new(new RenewingCertificate(cert), H.Root, [H.Issuing]);

    [Fact]
    public async Task DeviceProfileCertificate_WithAdministratorCn_Gets403OnEveryAdminEndpoint_CnIsNoRoleThreat()
    {
        using var device = await H.IssueAsync(CertificateProfile.Device, new CertificateSubject(NetworkFunctionTls.DefaultAdminSubject));
        var statuses = await CallEveryAdminEndpointAsync(Identity(device));
        Assert.All(statuses, s => Assert.True(s.Value == HttpStatusCode.Forbidden, $"{s.Key}: {s.Value}"));
    }

    [Fact]
    public async Task NetworkFunctionCertificate_WithAdministratorCn_Gets403OnEveryAdminEndpoint_CnIsNoRoleThreat()
    {
        using var nf = await H.IssueAsync(CertificateProfile.NetworkFunction, new CertificateSubject(NetworkFunctionTls.DefaultAdminSubject, ["127.0.0.1"]), role: "hss");
        var statuses = await CallEveryAdminEndpointAsync(Identity(nf));
        Assert.All(statuses, s => Assert.True(s.Value == HttpStatusCode.Forbidden, $"{s.Key}: {s.Value}"));
    }

    [Fact]
    public async Task AdminProfileCertificate_PassesEveryAdminEndpoint_OnlyWithAnAllowedSubject()
    {
        var ct = TestContext.Current.CancellationToken;
        using var admin = await H.IssueAsync(CertificateProfile.Admin, new CertificateSubject(NetworkFunctionTls.DefaultAdminSubject));
        Assert.True(CertificateRoles.IsAdministrator(admin));
        Assert.Null(CertificateRoles.RoleOf(admin));
        var identity = Identity(admin);
        using (var hss = identity.CreateClient(_fleet[NetworkFunctionRole.Hss].AdminAddress!, TimeSpan.FromSeconds(10)))
        {
            var added = await hss.PostAsJsonAsync("subscribers", new { imsi = "001010000000500", k = new string('1', 32), opc = new string('2', 32) }, ct);
            Assert.Equal(HttpStatusCode.Created, added.StatusCode);
        }
        var statuses = await CallEveryAdminEndpointAsync(identity);
        Assert.All(statuses, s => Assert.True(s.Value != HttpStatusCode.Forbidden, $"{s.Key}: {s.Value}"));
        Assert.Equal(HttpStatusCode.OK, statuses["hss GET subscribers/001010000000500"]);

        // The admin profile under another CN is no administrator either.
        using var stranger = await H.IssueAsync(CertificateProfile.Admin, new CertificateSubject("mallory"));
        var refused = await CallEveryAdminEndpointAsync(Identity(stranger));
        Assert.All(refused, s => Assert.True(s.Value == HttpStatusCode.Forbidden, $"{s.Key}: {s.Value}"));
    }

    [Fact]
    public async Task AuthVectors_OnlyForEntitledRoles_OthersAndAdministrators403_CkIkLeakThreat()
    {
        var ct = TestContext.Current.CancellationToken;
        using (var admin = _fleet.AdminClient(NetworkFunctionRole.Hss, TimeSpan.FromSeconds(10)))
        {
            Assert.Equal(HttpStatusCode.Created, (await admin.PostAsJsonAsync("subscribers", new { imsi = "001010000000510", k = new string('1', 32), opc = new string('2', 32) }, ct)).StatusCode);
            Assert.Equal(HttpStatusCode.Forbidden, (await admin.PostAsJsonAsync("auth-vectors", new { imsi = "001010000000510" }, ct)).StatusCode);
        }
        foreach (var role in new[] { "smsc", "ota", "ocsp", "dm", "hss" })
        {
            using var http = await _fleet.ClientAsAsync(role, NetworkFunctionRole.Hss, TimeSpan.FromSeconds(10), ct);
            using var refused = await http.PostAsJsonAsync("auth-vectors", new { imsi = "001010000000510" }, ct);
            Assert.True(refused.StatusCode == HttpStatusCode.Forbidden, $"{role}: {refused.StatusCode}");
            Assert.DoesNotContain("\"ck\"", await refused.Content.ReadAsStringAsync(ct), StringComparison.Ordinal);
        }
        foreach (var role in CertificateRoles.VectorConsumers)
        {
            using var http = await _fleet.ClientAsAsync(role, NetworkFunctionRole.Hss, TimeSpan.FromSeconds(10), ct);
            var client = new M2MSec.NetworkFunctions.Hss.HssClient(http);
            if (role == "vno")
            {
                // Issue 15: the serving network gets the EPS form only (K_ASME), never CK/IK (docs/decisions/002).
                var refused = await Assert.ThrowsAsync<M2MSec.NetworkFunctions.Hss.HssRequestException>(() => client.GetVectorsAsync("001010000000510", ct: ct));
                Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
                var eps = await client.GetVectorsAsync("001010000000510", servingNetworkId: "00f120", ct: ct);
                Assert.Null(eps.Vectors[0].Ck);
                Assert.Equal(64, eps.Vectors[0].Kasme!.Length);
                continue;
            }
            var answer = await client.GetVectorsAsync("001010000000510", ct: ct);
            Assert.Equal(32, answer.Vectors[0].Ck!.Length);
        }
    }

    [Fact]
    public void RoleOids_OnePerRole_UnderThePrivateArc_AndNfCertificatesCarryTheirs()
    {
        var oids = CertificateRoles.Names.Select(CertificateRoles.PolicyOid).ToList();
        Assert.Equal(oids.Count, oids.Distinct().Count());
        Assert.All(oids, o => Assert.StartsWith(CertificateRoles.PolicyArc + ".", o, StringComparison.Ordinal));
        Assert.DoesNotContain(CertificateRoles.AdministratorPolicyOid, oids);
        foreach (var role in new[] { "hss", "smsc", "ota", "ocsp", "scp81", "dm", "ccif", "vno", "icf", "drf", "dpf", "sho", "pva", "mtc-iwf", "bsf", "naf" })
            Assert.Contains(role, CertificateRoles.Names);
        Assert.Throws<ArgumentException>(() => CertificateProfile.NetworkFunction.CheckRole(null));
        Assert.Throws<ArgumentException>(() => CertificateProfile.Admin.CheckRole("hss"));
    }

    // ---- item 16: CSRs at /admin/certificates ----

    private async Task<(HttpStatusCode Status, string Body)> IssueAsync(string csr, string profile = "device")
    {
        var ct = TestContext.Current.CancellationToken;
        using var http = _fleet.AdminClient(NetworkFunctionRole.Ocsp, TimeSpan.FromSeconds(10));
        using var response = await http.PostAsJsonAsync("admin/certificates", new { csr_pem = csr, profile }, ct);
        return (response.StatusCode, await response.Content.ReadAsStringAsync(ct));
    }

    private static string Csr(AsymmetricAlgorithm key, string subject)
    {
        var name = new X500DistinguishedNameBuilder();
        name.AddCommonName(subject);
        var request = key is RSA rsa
            ? new CertificateRequest(name.Build(), rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1)
            : new CertificateRequest(name.Build(), (ECDsa)key, HashAlgorithmName.SHA256);
        return request.CreateSigningRequestPem();
    }

    [Fact]
    public async Task Csr_Secp256k1Key_Refused400NamingTheFieldAndCurve_WeakCurveThreat()
    {
        using var key = ECDsa.Create(ECCurve.CreateFromFriendlyName("secP256k1"));
        var (status, body) = await IssueAsync(Csr(key, "device-k1"));
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains("csr_pem", body, StringComparison.Ordinal);
        Assert.Contains("secp256k1", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Csr_Ed25519Key_Refused400_Not500()
    {
        var generator = new Org.BouncyCastle.Crypto.Generators.Ed25519KeyPairGenerator();
        generator.Init(new Org.BouncyCastle.Crypto.Parameters.Ed25519KeyGenerationParameters(new Org.BouncyCastle.Security.SecureRandom()));
        var pair = generator.GenerateKeyPair();
        var request = new Org.BouncyCastle.Pkcs.Pkcs10CertificationRequest(new Org.BouncyCastle.Crypto.Operators.Asn1SignatureFactory("Ed25519", pair.Private),
            new Org.BouncyCastle.Asn1.X509.X509Name("CN=device-ed"), pair.Public, null);
        var pem = PemEncoding.WriteString("CERTIFICATE REQUEST", request.GetEncoded());
        var (status, body) = await IssueAsync(pem);
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains("csr_pem", body, StringComparison.Ordinal);
        Assert.Contains("Ed25519", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Csr_Rsa1024Key_Refused400_ProfileKeysAccepted()
    {
        using (var weak = RSA.Create(1024))
            Assert.Equal(HttpStatusCode.BadRequest, (await IssueAsync(Csr(weak, "device-rsa1024"))).Status);
        using (var p384 = ECDsa.Create(ECCurve.NamedCurves.nistP384))
            Assert.Equal(HttpStatusCode.OK, (await IssueAsync(Csr(p384, "device-p384"))).Status);
        using (var rsa = RSA.Create(2048))
            Assert.Equal(HttpStatusCode.OK, (await IssueAsync(Csr(rsa, "device-rsa2048"))).Status);
    }

    [Theory]
    [InlineData("evil\nadmin")]
    [InlineData("evil\u001b[31mred")]
    [InlineData("tab\there")]
    [InlineData("né")]
    public async Task Csr_SubjectWithControlOrNonPrintableCharacters_Refused400_NeverEchoed_LogForgingThreat(string cn)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var (status, body) = await IssueAsync(Csr(key, cn));
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains("csr_pem", body, StringComparison.Ordinal);
        Assert.DoesNotContain(cn, body, StringComparison.Ordinal);
        Assert.DoesNotContain("\u001b", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Csr_OverlongSubject_Refused400()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        Assert.Equal(HttpStatusCode.BadRequest, (await IssueAsync(Csr(key, new string('a', 65)))).Status);
    }

    [Fact]
    public void ForbiddenAnswer_SanitisesTheCallersCn_NeverEchoesControlCharacters()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=x", key, HashAlgorithmName.SHA256);
        var name = new X500DistinguishedNameBuilder();
        name.AddCommonName("evil\n\u001b[31m");
        request = new CertificateRequest(name.Build(), key, HashAlgorithmName.SHA256);
        using var cert = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-1), DateTimeOffset.UtcNow.AddDays(1));
        var shown = AdministratorFilter.SubjectOf(cert);
        Assert.Equal("evil??[31m", shown);
    }

    [Fact]
    public async Task NfProfile_ThroughTheAdminApi_NeedsARole_AndCarriesIt()
    {
        var ct = TestContext.Current.CancellationToken;
        using var http = _fleet.AdminClient(NetworkFunctionRole.Ocsp, TimeSpan.FromSeconds(10));
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var csr = SigningRequests.Create(key, new CertificateSubject("smsc2", ["127.0.0.1"]));
        Assert.Equal(HttpStatusCode.BadRequest, (await http.PostAsJsonAsync("admin/certificates", new { csr_pem = csr, profile = "nf" }, ct)).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await http.PostAsJsonAsync("admin/certificates", new { csr_pem = csr, profile = "device", role = "smsc" }, ct)).StatusCode);
        var pki = new M2MSec.NetworkFunctions.Ocsp.PkiAdminClient(http);
        using var issued = await pki.IssueAsync(CertificateProfile.NetworkFunction, new CertificateSubject("smsc2", ["127.0.0.1"]), role: "smsc", cancellationToken: ct);
        Assert.Equal("smsc", CertificateRoles.RoleOf(issued));
        Assert.False(CertificateRoles.IsAdministrator(issued));
    }
}
