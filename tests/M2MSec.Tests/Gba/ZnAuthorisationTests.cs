using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using M2MSec.Device.Gba;
using M2MSec.NetworkFunctions.Bsf;
using M2MSec.NetworkFunctions.Hosting;
using M2MSec.NetworkFunctions.Hss;
using M2MSec.Pki.Authority;
using M2MSec.Storage.InMemory;
using M2MSec.Tests.Support;
using Microsoft.Extensions.DependencyInjection;

namespace M2MSec.Tests.Gba;

/// <summary>
/// Issue 18: who gets a NAF key over Zn, and when not — a NAF whose certificate names another FQDN, a certificate of another role,
/// another hierarchy or none; an unknown or expired B-TID (the device bootstraps again); every field of Zn, Zh and Ub validated
/// (400 naming it), and each endpoint refusing the wrong role.
/// </summary>
public sealed class ZnAuthorisationTests(GbaFleet fixture) : IClassFixture<GbaFleet>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static async Task<(HttpStatusCode Status, string Body)> PostAsync(HttpClient client, string path, object body)
    {
        using var response = await client.PostAsJsonAsync(path, body, Ct);
        return (response.StatusCode, await response.Content.ReadAsStringAsync(Ct));
    }

    private static string Detail(string body) => JsonDocument.Parse(body).RootElement.GetProperty("detail").GetString()!;

    private async Task<IGbaKeyHolder> BootstrapAsync()
    {
        var device = await fixture.TreDeviceAsync(Ct);
        using var bsf = fixture.BsfDevice();
        return await GbaBootstrapClient.BootstrapAsync(bsf, device.Authenticator, Ct);
    }

    /// <summary>A NAF asks with a NAF_Id whose FQDN its certificate does not name (another NAF's), or with a certificate of another role: 403, no key.</summary>
    [Fact]
    public async Task NafAskingForAnotherNafsId_OrWithoutTheNafRole_IsRefused_UnauthorisedNafThreat()
    {
        var keys = await BootstrapAsync();
        var other = Convert.ToHexStringLower(GbaFleet.NafId("other-naf.m2msec.test"));
        using var naf = await fixture.NafAsync(Ct);
        var (status, body) = await PostAsync(naf, "zn/naf-keys", new { b_tid = keys.BTid, naf_id = other });
        Assert.Equal(HttpStatusCode.Forbidden, status);
        Assert.Contains("naf-not-authorised", body, StringComparison.Ordinal);
        Assert.DoesNotContain("ks_naf", body, StringComparison.Ordinal);
        // The same certificate for its own NAF_Id is answered: the refusal above is about the NAF_Id.
        Assert.Equal(HttpStatusCode.OK, (await PostAsync(naf, "zn/naf-keys", new { b_tid = keys.BTid, naf_id = Convert.ToHexStringLower(GbaFleet.NafId()) })).Status);
        // Another role with the right dNSName (an MTC server certificate, the VNO's): refused.
        foreach (var role in new[] { "mtc-server", "vno" })
        {
            using var wrong = await fixture.NafAsync(Ct, role: role);
            (status, body) = await PostAsync(wrong, "zn/naf-keys", new { b_tid = keys.BTid, naf_id = Convert.ToHexStringLower(GbaFleet.NafId()) });
            Assert.Equal(HttpStatusCode.Forbidden, status);
            Assert.Contains("naf-not-authorised", body, StringComparison.Ordinal);
        }
    }

    /// <summary>A NAF certificate of another hierarchy, or no certificate at all: the mutual-TLS handshake refuses it; no key.</summary>
    [Fact]
    public async Task NafOfAnotherHierarchy_OrWithoutCertificate_GetsNoKey_UnauthorisedNafThreat()
    {
        var keys = await BootstrapAsync();
        var body = new { b_tid = keys.BTid, naf_id = Convert.ToHexStringLower(GbaFleet.NafId()) };
        var foreign = await CertificateHierarchy.InitAsync(new InMemoryCertificateStore(TimeProvider.System), "operator", KeyAlgorithm.EcP256, null, TimeProvider.System,
            Ct);
        var cert = await foreign.IssueAsync(CertificateProfile.NetworkFunction, new CertificateSubject("naf", ["127.0.0.1", GbaFleet.NafFqdn]), role: "naf",
            cancellationToken: Ct);
        var identity = (await fixture.Fleet.IdentityForAsync("naf", Ct))!;
        using (var client = identity.CreateClient(fixture.Fleet["bsf"].Address, TimeSpan.FromSeconds(10), cert))
            await AssertRefusedAsync(client);
        using (var anonymous = M2MSec.Device.Provisioning.RoProvisioningClient.Client(fixture.Fleet["bsf"].Address, fixture.Fleet.Hierarchy!.Root))
            await AssertRefusedAsync(anonymous);

        async Task AssertRefusedAsync(HttpClient client)
        {
            try
            {
                using var response = await client.PostAsJsonAsync("zn/naf-keys", body, Ct);
                Assert.NotEqual(HttpStatusCode.OK, response.StatusCode);
                Assert.DoesNotContain("ks_naf", await response.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
            }
            catch (HttpRequestException)
            {
                // The handshake failed: refused.
            }
        }
    }

    /// <summary>Zn: every field validated — 400 naming it; an unknown B-TID is 404.</summary>
    [Fact]
    public async Task Zn_BadFields_Are400NamingTheField_UnknownBTid404_BadInputThreat()
    {
        using var naf = await fixture.NafAsync(Ct);
        var nafId = Convert.ToHexStringLower(GbaFleet.NafId());
        foreach (var (request, field) in new (object, string)[]
        {
            (new { naf_id = nafId }, "b_tid"),
            (new { b_tid = "not-a-btid", naf_id = nafId }, "b_tid"),
            (new { b_tid = "AAAA@bsf.m2msec.test", naf_id = nafId }, "b_tid"),
            (new { b_tid = "AAAAAAAAAAAAAAAAAAAAAA==@bsf.m2msec.test" }, "naf_id"),
            (new { b_tid = "AAAAAAAAAAAAAAAAAAAAAA==@bsf.m2msec.test", naf_id = "abc" }, "naf_id"),
            (new { b_tid = "AAAAAAAAAAAAAAAAAAAAAA==@bsf.m2msec.test", naf_id = "0100010000" }, "naf_id"),
            (new { b_tid = "AAAAAAAAAAAAAAAAAAAAAA==@bsf.m2msec.test", naf_id = "ff" + "0100010000" }, "naf_id"),
            (new { b_tid = 5, naf_id = nafId }, "b_tid"),
        })
        {
            var (status, body) = await PostAsync(naf, "zn/naf-keys", request);
            Assert.True(status == HttpStatusCode.BadRequest, $"{field}: {(int)status} {body}");
            Assert.StartsWith(field, Detail(body), StringComparison.Ordinal);
        }
        var (unknown, text) = await PostAsync(naf, "zn/naf-keys", new { b_tid = "AAAAAAAAAAAAAAAAAAAAAA==@bsf.m2msec.test", naf_id = nafId });
        Assert.Equal(HttpStatusCode.NotFound, unknown);
        Assert.Contains("unknown-b-tid", text, StringComparison.Ordinal);
    }

    /// <summary>Zh: only the BSF gets GBA vectors (CK/IK); the IMPI and resync fields validated; the GUSS is the administrator's, gba_type validated.</summary>
    [Fact]
    public async Task Zh_OnlyTheBsf_GussOnlyTheAdministrator_BadFields400_WrongRoleThreat()
    {
        var (imsi, _, _) = await fixture.SubscriberAsync("gba_u", Ct);
        var impi = M2MSec.Aka.Gba.Impi.FromImsi(imsi);
        foreach (var role in new[] { "naf", "vno", "mtc-server" })
        {
            using var wrong = await fixture.Fleet.ClientAsAsync(role, "hss", TimeSpan.FromSeconds(10), Ct);
            var (status, body) = await PostAsync(wrong, "zh/gba-vectors", new { impi });
            Assert.Equal(HttpStatusCode.Forbidden, status);
            Assert.DoesNotContain("\"ck\"", body, StringComparison.Ordinal);
        }
        using var bsf = await fixture.Fleet.ClientAsAsync("bsf", "hss", TimeSpan.FromSeconds(10), Ct);
        var vector = await new HssClient(bsf).GetGbaVectorAsync(impi, ct: Ct);
        Assert.Equal(("gba_u", 32, 32), (vector.GbaType, vector.Ck.Length, vector.Ik.Length));
        foreach (var (request, field) in new (object, string)[]
        {
            (new { impi = imsi }, "impi"),
            (new { impi = imsi + "@ims.mnc099.mcc001.3gppnetwork.org" }, "impi"),
            (new { impi = "x" }, "impi"),
            (new { impi, resync = new { rand = "00", auts = "00" } }, "resync.rand"),
            (new { impi, resync = new { rand = new string('0', 32), auts = "00" } }, "resync.auts"),
        })
        {
            var (status, body) = await PostAsync(bsf, "zh/gba-vectors", request);
            Assert.True(status == HttpStatusCode.BadRequest, $"{field}: {(int)status} {body}");
            Assert.StartsWith(field, Detail(body), StringComparison.Ordinal);
        }
        var (missing, _) = await PostAsync(bsf, "zh/gba-vectors", new { impi = M2MSec.Aka.Gba.Impi.FromImsi("001019999999999") });
        Assert.Equal(HttpStatusCode.NotFound, missing);

        using (var response = await bsf.PutAsJsonAsync($"subscribers/{imsi}/guss", new { gba_type = "gba_me" }, Ct))
            Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        using var admin = fixture.Fleet.AdminClient("hss", TimeSpan.FromSeconds(10));
        using (var response = await admin.PutAsJsonAsync($"subscribers/{imsi}/guss", new { gba_type = "gba_x" }, Ct))
        {
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            Assert.StartsWith("gba_type", Detail(await response.Content.ReadAsStringAsync(Ct)), StringComparison.Ordinal);
        }
        using (var response = await admin.PutAsJsonAsync("subscribers/001019999999999/guss", new { gba_type = "gba_me" }, Ct))
            Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("gba_u", JsonDocument.Parse(await admin.GetStringAsync($"subscribers/{imsi}/guss", Ct)).RootElement.GetProperty("gba_type").GetString());
    }

    /// <summary>Ub: the Authorization header validated (missing, not Digest, malformed, a foreign IMPI, a nonce not of this BSF): 400 naming it; an unknown IMPI 404.</summary>
    [Fact]
    public async Task Ub_MalformedAuthorization_Is400_UnknownImpi404_BadInputThreat()
    {
        using var bsf = fixture.BsfDevice();
        foreach (var (header, type) in new (string?, string)[]
        {
            (null, "bad-authorization"),
            ("Basic dXNlcjpwYXNz", "bad-authorization"),
            ("Digest username=\"a", "bad-authorization"),
            ("Digest username=\"x\", realm=\"r\", nonce=\"\", uri=\"/\", response=\"\"", "bad-impi"),
            ("Digest username=\"001010000000001@ims.mnc001.mcc001.3gppnetwork.org\", realm=\"bsf.m2msec.test\", nonce=\"!!\", uri=\"/\", response=\"00\", qop=auth-int, nc=00000001, cnonce=\"c\"", "bad-nonce"),
            ("Digest username=\"001010000000001@ims.mnc001.mcc001.3gppnetwork.org\", realm=\"bsf.m2msec.test\", nonce=\"" + Convert.ToBase64String(new byte[32]) + "\", uri=\"/\", response=\"00\", qop=auth-int, nc=00000001, cnonce=\"c\"", "bad-nonce"),
        })
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "/");
            if (header is not null)
                request.Headers.TryAddWithoutValidation("Authorization", header);
            using var response = await bsf.SendAsync(request, Ct);
            var body = await response.Content.ReadAsStringAsync(Ct);
            Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{header}: {(int)response.StatusCode} {body}");
            Assert.Contains(type, body, StringComparison.Ordinal);
            Assert.StartsWith("Authorization", Detail(body), StringComparison.Ordinal);
        }
        using var unknown = new HttpRequestMessage(HttpMethod.Get, "/");
        unknown.Headers.TryAddWithoutValidation("Authorization", $"Digest username=\"{M2MSec.Aka.Gba.Impi.FromImsi("001019999999998")}\", realm=\"x\", nonce=\"\", uri=\"/\", response=\"\"");
        using var answer = await bsf.SendAsync(unknown, Ct);
        Assert.Equal(HttpStatusCode.NotFound, answer.StatusCode);
        // Ub is served on the device listener only; Zn on the mutual-TLS listener only.
        using var naf = await fixture.NafAsync(Ct);
        using (var onRole = await naf.GetAsync("/", Ct))
            Assert.Equal(HttpStatusCode.NotFound, onRole.StatusCode);
        using (var onDevice = await bsf.PostAsJsonAsync("zn/naf-keys", new { b_tid = "x", naf_id = "00" }, Ct))
            Assert.Equal(HttpStatusCode.NotFound, onDevice.StatusCode);
    }

    /// <summary>
    /// The key lifetime passes: Zn answers 410 b-tid-expired, the device's key holder refuses to release a NAF key, and the device
    /// bootstraps again — a new B-TID the NAF gets its key for. (A BSF with its own clock, beside the fleet's HSS.)
    /// </summary>
    [Fact]
    public async Task ExpiredBTid_Zn410_DeviceMustBootstrapAgain_ExpiredKeyThreat()
    {
        var clock = new HostClock(DateTimeOffset.UtcNow);
        var tls = await fixture.Fleet.IdentityForAsync("bsf", Ct);
        await using var host = await NetworkFunctionHost.StartAsync(new BsfFunction(new BsfOptions { KeyLifetime = TimeSpan.FromHours(1) }),
            Path.Combine(fixture.Directory, "bsf-clock"), new InMemoryStateStore(clock), tls: tls, peers: fixture.Fleet.Peers,
            configure: s => s.AddSingleton<TimeProvider>(clock), cancellationToken: Ct);
        var device = await fixture.TreDeviceAsync(Ct, clock);
        using var ub = fixture.BsfDevice(host.DeviceAddress);
        var keys = await GbaBootstrapClient.BootstrapAsync(ub, device.Authenticator, Ct);
        var nafId = GbaFleet.NafId();
        using var naf = (await fixture.Fleet.IdentityForAsync("naf", Ct, "naf", [GbaFleet.NafFqdn]))!.CreateClient(host.Address, TimeSpan.FromSeconds(10));
        var zn = new BsfZnClient(naf);
        Assert.Equal(ZnStatus.Ok, (await zn.GetNafKeyAsync(keys.BTid, nafId, Ct)).Status);

        clock.Advance(TimeSpan.FromHours(1) + TimeSpan.FromSeconds(1));
        Assert.Equal(ZnStatus.Expired, (await zn.GetNafKeyAsync(keys.BTid, nafId, Ct)).Status);
        Assert.Throws<GbaKeyExpiredException>(() => keys.NafKey(nafId));

        var again = await GbaBootstrapClient.BootstrapAsync(ub, device.Authenticator, Ct);
        Assert.NotEqual(keys.BTid, again.BTid);
        var fresh = await zn.GetNafKeyAsync(again.BTid, nafId, Ct);
        Assert.Equal(ZnStatus.Ok, fresh.Status);
        Assert.Equal(Convert.ToHexStringLower(again.NafKey(nafId)), fresh.Key!.KsNaf);
    }
}
