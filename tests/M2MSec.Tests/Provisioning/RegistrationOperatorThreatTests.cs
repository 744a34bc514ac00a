using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using M2MSec.Aka;
using M2MSec.Device.Dm;
using M2MSec.Device.Provisioning;
using M2MSec.Device.Tre;
using M2MSec.Dm.Auth;
using M2MSec.Dm.Bootstrap;
using M2MSec.NetworkFunctions.Hosting;
using M2MSec.Provisioning.Bootstrap;
using M2MSec.Storage;
using M2MSec.Storage.Hss;
using Microsoft.Extensions.DependencyInjection;

namespace M2MSec.Tests.Provisioning;

/// <summary>
/// Issue 15 (helper H3), the threats on steps 1–12: a forged Bootstrap message from an attacker who plays the VNO, a VNO
/// asking for CK/IK, a PCID used twice (docs/decisions/016), malformed device requests.
/// </summary>
public sealed class RegistrationOperatorThreatTests : IAsyncLifetime
{
    private RegistrationOperatorFixture _ro = null!;

    public async ValueTask InitializeAsync() => _ro = await RegistrationOperatorFixture.StartAsync(TestContext.Current.CancellationToken);

    public async ValueTask DisposeAsync() => await _ro.DisposeAsync();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static readonly JsonSerializerOptions Json = NetworkFunctionHost.JsonOptions;

    [Fact]
    public async Task BootstrapMessage_MacdWithAnythingTheVnoKnows_IsRefusedInTheTre_NothingInstalled_ForgedBootstrapThreat()
    {
        const string pcid = "001900000000011";
        var (device, k, opc) = await _ro.ManufactureAsync(pcid, Ct);
        // The attacker is (or has everything of) the VNO: it asks the ICF for the PCID's vector and challenges the device.
        using var vno = await _ro.ClientAsync("vno", "icf", Ct);
        var vector = (await new M2MSec.NetworkFunctions.Icf.IcfClient(vno).GetVectorsAsync(pcid, "00f120", ct: Ct)).Vectors[0];
        var (rand, xres, autn, kasme) = (Convert.FromHexString(vector.Rand), Convert.FromHexString(vector.Xres), Convert.FromHexString(vector.Autn),
            Convert.FromHexString(vector.Kasme));
        Assert.True(device.Tre.RunProvisionalAka(TreCaller.Network, rand, autn).IsSuccess);

        // Its Bootstrap message: its own DM server and SHO.
        var forged = BootstrapPackageBuilder.Build(new BootstrapPackage("1", "1", device.Info.TreId, new BootstrapDmAcc("M2MDPF", "m2msec-dpf", null,
            new Uri("https://attacker.example/dm"), DmAuthScheme.Md5, new BootstrapAppAuth(DmAuthScheme.Md5, "m2msec-dpf", "server-secret"),
            new BootstrapAppAuth(DmAuthScheme.Md5, device.Info.TreId, "client-secret")), new BootstrapM2MContext("evil-sho")));
        byte[][] keys =
        [
            kasme, xres, [.. rand, .. autn], [.. xres, .. xres],
            Kdf3gpp.Derive(kasme, RoBootstrapKey.Fc, Kdf3gpp.Utf8(pcid), rand),
            Kdf3gpp.Derive(kasme, EpsKeys.KasmeFc, Kdf3gpp.Utf8(pcid), rand),
        ];
        foreach (var key in keys)
        {
            var e = Assert.Throws<RoProvisioningException>(() =>
                RoProvisioningClient.ApplyBootstrap(device, pcid, "10.45.1.1", "ro-kro", forged, BootstrapMac.ComputeHex(key, forged)));
            Assert.Equal("bootstrap-not-authenticated", e.Code);
        }
        // NETWPIN (keyed by the PCID, which travels in clear) is not accepted at all.
        var netwpin = Assert.Throws<RoProvisioningException>(() => RoProvisioningClient.ApplyBootstrap(device, pcid, "10.45.1.1", "netwpin", forged,
            BootstrapAuthenticator.ComputeMac(BootstrapSecMethod.NetwPin, pcid, null, forged)));
        Assert.Equal("bootstrap-not-authenticated", netwpin.Code);
        Assert.Null(DmClientAccounts.Load(device, "m2msec-dpf"));
        Assert.Null(device.Tre.ReadObject(TreCaller.Provisioning, TreObjects.DesignatedSho));
        Assert.True(device.Tre.HasRoBootstrapKey);

        // Only K_RO, which needs CK ‖ IK, opens it; and only once.
        var av = AkaVectors.Generate(Milenage.Default, k, opc, rand, 1, [0x80, 0x00]);
        var kRo = RoBootstrapKey.Derive(av.Ck, av.Ik, pcid, rand);
        var mac = BootstrapAuthenticator.ComputeMacWithKey(kRo, forged);
        Assert.Equal("evil-sho", RoProvisioningClient.ApplyBootstrap(device, pcid, "10.45.1.1", "ro-kro", forged, mac).ShoId);
        var replay = Assert.Throws<RoProvisioningException>(() => RoProvisioningClient.ApplyBootstrap(device, pcid, "10.45.1.1", "ro-kro", forged, mac));
        Assert.Equal("bootstrap-not-authenticated", replay.Code);
    }

    [Fact]
    public async Task Vno_GetsNoCkIk_FromHssOrIcf_AndNoApiReturnsThem_VnoAsksForCkIkThreat()
    {
        await _ro.Hss.Services.GetRequiredService<IStateStore>().Subscribers.AddAsync(
            new HssSubscriber("001010000000021", new byte[16], new byte[16], [0x80, 0x00]), 0, Ct);
        await _ro.ManufactureAsync("001900000000021", Ct);

        // The HSS: the UMTS form (CK, IK) is refused to role vno; the EPS form carries K_ASME only.
        var hss = await _ro.ClientAsync("vno", "hss", Ct);
        using (var umts = await hss.PostAsJsonAsync("auth-vectors", new { imsi = "001010000000021" }, Ct))
        {
            Assert.Equal(HttpStatusCode.Forbidden, umts.StatusCode);
            var body = await umts.Content.ReadAsStringAsync(Ct);
            Assert.Contains("umts-vector-refused", body, StringComparison.Ordinal);
            Assert.DoesNotContain("\"ck\"", body, StringComparison.Ordinal);
        }
        var eps = await new M2MSec.NetworkFunctions.Hss.HssClient(hss).GetVectorsAsync("001010000000021", servingNetworkId: "00f120", ct: Ct);
        Assert.Null(eps.Vectors[0].Ck);
        Assert.Null(eps.Vectors[0].Ik);
        Assert.Equal(64, eps.Vectors[0].Kasme!.Length);

        // The ICF: no serving network, no vector; the answer has no CK/IK field at all.
        var icf = await _ro.ClientAsync("vno", "icf", Ct);
        using (var noSn = await icf.PostAsJsonAsync("auth-vectors", new { pcid = "001900000000021" }, Ct))
        {
            Assert.Equal(HttpStatusCode.BadRequest, noSn.StatusCode);
            Assert.Contains("serving_network_id", await noSn.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
        }
        using (var ok = await icf.PostAsJsonAsync("auth-vectors", new { pcid = "001900000000021", serving_network_id = "00f120" }, Ct))
        {
            Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
            var v = JsonDocument.Parse(await ok.Content.ReadAsStringAsync(Ct)).RootElement.GetProperty("vectors")[0];
            Assert.Equal(["autn", "kasme", "rand", "xres"], v.EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal).ToArray());
        }
        // No API the VNO can call (the ICF's, the VNO's own) documents a CK or IK field.
        foreach (var (role, peer) in new[] { ("vno", "icf"), ("icf", "vno") })
        {
            var doc = await (await _ro.ClientAsync(role, peer, Ct)).GetStringAsync("openapi/v1.json", Ct);
            Assert.Contains(peer == "icf" ? "kasme" : "/health", doc, StringComparison.Ordinal);
            Assert.DoesNotContain("\"ck\"", doc, StringComparison.Ordinal);
            Assert.DoesNotContain("\"ik\"", doc, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task PcidUsedTwice_TheCloneLosesAtConfirmation_AndAUsedPcidGetsNoVectors_PcidReuseThreat()
    {
        const string pcid = "001900000000031";
        var (device, _, _) = await _ro.ManufactureAsync(pcid, Ct);
        using var vno = _ro.DeviceClient(_ro.Vno);
        // Two attaches with one PCID (a device and its clone) both get a challenge and both pass AKA ...
        var a = await ChallengeAsync(vno, pcid);
        var b = await ChallengeAsync(vno, pcid);
        var resA = device.Tre.RunProvisionalAka(TreCaller.Network, Convert.FromHexString(a.Rand), Convert.FromHexString(a.Autn)).Res!;
        var resB = device.Tre.RunProvisionalAka(TreCaller.Network, Convert.FromHexString(b.Rand), Convert.FromHexString(b.Autn)).Res!;
        using (var first = await vno.PostAsJsonAsync($"attach/{a.AttachId}", new { res = Convert.ToHexStringLower(resA) }, Ct))
            Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        // ... but only one reaches the DRF: the ICF records the PCID's use by compare-and-swap.
        using (var second = await vno.PostAsJsonAsync($"attach/{b.AttachId}", new { res = Convert.ToHexStringLower(resB) }, Ct))
        {
            Assert.Equal(HttpStatusCode.Forbidden, second.StatusCode);
            Assert.Contains("pcid-used", await second.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
        }
        Assert.NotNull(await _ro.Icf.Services.GetRequiredService<IStateStore>().Icf.FindUseAsync(pcid, Ct));

        // Once used, the temporary credential is spent: no vectors, the attach is refused.
        var again = await Assert.ThrowsAsync<RoProvisioningException>(() =>
            RoProvisioningClient.AttachAndBootstrapAsync(device, _ro.Vno.DeviceAddress!, _ro.Drf.DeviceAddress!, _ro.Hierarchy.Root, Ct));
        Assert.Equal("attach-refused", again.Code);
        using (var icf = await (await _ro.ClientAsync("vno", "icf", Ct)).PostAsJsonAsync("auth-vectors", new { pcid, serving_network_id = "00f120" }, Ct))
        {
            Assert.Equal(HttpStatusCode.Forbidden, icf.StatusCode);
            Assert.Contains("pcid-used", await icf.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task DeviceEndpoints_MalformedFields_Get400NamingTheField_AndChangeNothing_MalformedAttachThreat()
    {
        const string pcid = "001900000000041";
        var (device, _, _) = await _ro.ManufactureAsync(pcid, Ct);
        using var vno = _ro.DeviceClient(_ro.Vno);
        using var drf = _ro.DeviceClient(_ro.Drf);
        var cases = new (HttpClient Client, string Path, string Body, string Field)[]
        {
            (vno, "attach", "{\"identity\":\"12ab\"}", "identity"),
            (vno, "attach", "{}", "identity"),
            (vno, "attach", "{\"identity\":\"1234567890123456\"}", "identity"),
            (vno, "attach", "{\"identity\":5}", "identity"),
            (vno, "attach/xyz", "{\"res\":\"00112233\"}", "attach_id"),
            (vno, "attach/" + new string('a', 32), "{\"res\":\"0011223344556677\",\"auts\":\"0011223344556677889900112233\"}", "res/auts"),
            (vno, "attach/" + new string('a', 32), "{\"res\":\"zz\"}", "res"),
            (vno, "attach/" + new string('a', 32), "{\"auts\":\"00\"}", "auts"),
            (drf, "bootstrap", "{\"pcid\":\"x\",\"ip_address\":\"10.45.0.1\",\"dev_id\":\"d\"}", "pcid"),
            (drf, "bootstrap", $"{{\"pcid\":\"{pcid}\",\"ip_address\":\"999.1.1.1\",\"dev_id\":\"d\"}}", "ip_address"),
            (drf, "bootstrap", $"{{\"pcid\":\"{pcid}\",\"ip_address\":\"10.45.0.1\",\"dev_id\":\"a b\"}}", "dev_id"),
        };

        // A real attach first: the DRF now holds this PCID's bootstrap request, which no bad request may consume.
        var c = await ChallengeAsync(vno, pcid);
        var res = device.Tre.RunProvisionalAka(TreCaller.Network, Convert.FromHexString(c.Rand), Convert.FromHexString(c.Autn)).Res!;
        using var attached = await vno.PostAsJsonAsync($"attach/{c.AttachId}", new { res = Convert.ToHexStringLower(res) }, Ct);
        var ip = (await attached.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("ip_address").GetString()!;

        foreach (var (client, path, body, field) in cases)
        {
            using var response = await client.PostAsync(path, new StringContent(body, Encoding.UTF8, "application/json"), Ct);
            var text = await response.Content.ReadAsStringAsync(Ct);
            Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{path} {body}: {response.StatusCode} {text}");
            Assert.Contains(field, text, StringComparison.Ordinal);
        }
        // The wrong address is refused without consuming the request either.
        using (var wrong = await drf.PostAsJsonAsync("bootstrap", new { pcid, ip_address = "10.99.0.1", dev_id = device.Info.TreId }, Ct))
            Assert.Equal(HttpStatusCode.Forbidden, wrong.StatusCode);
        Assert.True(device.Tre.HasRoBootstrapKey);

        using var ok = await drf.PostAsJsonAsync("bootstrap", new { pcid, ip_address = ip, dev_id = device.Info.TreId }, Ct);
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        var message = await ok.Content.ReadFromJsonAsync<JsonElement>(Ct);
        // Issue 15 (left item closed): the package on the wire is sealed under K_RO — the DM account's passwords are not in it in
        // clear, a package sealed for another TRE does not open, and this TRE opens it.
        var sealedPackage = Convert.FromBase64String(message.GetProperty("package").GetString()!);
        Assert.Equal(M2MSec.Provisioning.Bootstrap.RoBootstrapSeal.Name, message.GetProperty("enc").GetString());
        Assert.DoesNotContain("AAuthSecret", Encoding.Latin1.GetString(sealedPackage), StringComparison.Ordinal);
        Assert.Throws<RoProvisioningException>(() => RoProvisioningClient.OpenBootstrap(device, "none", sealedPackage));
        var tampered = (byte[])sealedPackage.Clone();
        tampered[^1] ^= 1;
        Assert.Equal("bootstrap-not-authenticated", Assert.Throws<RoProvisioningException>(() => RoProvisioningClient.OpenBootstrap(device, message.GetProperty("enc").GetString(), tampered)).Code);
        var opened = RoProvisioningClient.OpenBootstrap(device, message.GetProperty("enc").GetString(), sealedPackage);
        Assert.Contains("AAuthSecret", Encoding.Latin1.GetString(opened), StringComparison.Ordinal);
        var outcome = RoProvisioningClient.ApplyBootstrap(device, pcid, ip, message.GetProperty("sec").GetString(), opened, message.GetProperty("mac").GetString());
        Assert.Equal("sho", outcome.ShoId);
    }

    [Fact]
    public async Task ExpiredAttach_IsUnknown_AndARightResAfterItsLifetimeAttachesNothing_MalformedAttachThreat()
    {
        await using var ro = await RegistrationOperatorFixture.StartAsync(Ct, new M2MSec.NetworkFunctions.Vno.VnoOptions { AttachLifetime = TimeSpan.FromMilliseconds(200) });
        var (device, _, _) = await ro.ManufactureAsync("001900000000051", Ct);
        using var vno = ro.DeviceClient(ro.Vno);
        var c = await ChallengeAsync(vno, "001900000000051");
        var res = device.Tre.RunProvisionalAka(TreCaller.Network, Convert.FromHexString(c.Rand), Convert.FromHexString(c.Autn)).Res!;
        await Task.Delay(400, Ct);
        using var late = await vno.PostAsJsonAsync($"attach/{c.AttachId}", new { res = Convert.ToHexStringLower(res) }, Ct);
        Assert.Equal(HttpStatusCode.NotFound, late.StatusCode);
        Assert.Contains("attach_id", await late.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
        Assert.Null(await ro.Icf.Services.GetRequiredService<IStateStore>().Icf.FindUseAsync("001900000000051", Ct));
    }

    [Fact]
    public async Task WrongRes_IsRefused_AndTheAttachIdIsSpent_MalformedAttachThreat()
    {
        const string pcid = "001900000000061";
        var (device, _, _) = await _ro.ManufactureAsync(pcid, Ct);
        using var vno = _ro.DeviceClient(_ro.Vno);
        var c = await ChallengeAsync(vno, pcid);
        var res = device.Tre.RunProvisionalAka(TreCaller.Network, Convert.FromHexString(c.Rand), Convert.FromHexString(c.Autn)).Res!;
        var wrong = (byte[])res.Clone();
        wrong[0] ^= 1;
        using (var refused = await vno.PostAsJsonAsync($"attach/{c.AttachId}", new { res = Convert.ToHexStringLower(wrong) }, Ct))
            Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        using (var spent = await vno.PostAsJsonAsync($"attach/{c.AttachId}", new { res = Convert.ToHexStringLower(res) }, Ct))
            Assert.Equal(HttpStatusCode.NotFound, spent.StatusCode);
        Assert.Null(await _ro.Icf.Services.GetRequiredService<IStateStore>().Icf.FindUseAsync(pcid, Ct));
    }

    private sealed record Challenge(string AttachId, string Rand, string Autn);

    private static async Task<Challenge> ChallengeAsync(HttpClient vno, string identity)
    {
        using var response = await vno.PostAsJsonAsync("attach", new { identity }, Ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<Challenge>(Json, Ct))!;
    }
}
