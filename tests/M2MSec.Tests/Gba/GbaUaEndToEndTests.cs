using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using M2MSec.Aka.Gba;
using M2MSec.Device.Gba;
using M2MSec.NetworkFunctions.Naf;
using M2MSec.Tests.Support;
using Microsoft.Extensions.DependencyInjection;

namespace M2MSec.Tests.Gba;

/// <summary>
/// Issue 18 end to end between separate network functions over loopback: the device bootstraps with the BSF (Ub, vectors from the
/// HSS), the MTC server as NAF gets the key over Zn (mutual TLS, its `naf` certificate, dNSName = its FQDN), and device and NAF set
/// up TLS 1.2 PSK with it (Ua, TS 33.222 §5.4) — in both variants: GBA_ME in the TRE, GBA_U in the UICC (Ks_ext_NAF).
/// </summary>
public sealed class GbaUaEndToEndTests(GbaFleet fixture) : IClassFixture<GbaFleet>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private NafUaServer Ua => fixture.Fleet["naf"].Services.GetRequiredService<NafUaServer>();

    [Theory]
    [InlineData("gba_me")]
    [InlineData("gba_u")]
    public async Task Device_Bootstraps_ThenOpensPskTlsWithTheMtcServer_NafKeyFromZn(string gbaType)
    {
        var device = gbaType == "gba_me" ? await fixture.TreDeviceAsync(Ct) : await fixture.UiccDeviceAsync(Ct);
        using var bsf = fixture.BsfDevice();
        var keys = await GbaBootstrapClient.BootstrapAsync(bsf, device.Authenticator, Ct);
        Assert.Equal(gbaType, keys.GbaType);

        var result = await UaClient.HelloAsync(Ua.EndPoint, GbaFleet.NafFqdn, keys, Ct);
        Assert.True(result.Outcome == UaOutcome.Connected, result.Alert);
        Assert.Equal("3GPP-bootstrapping", result.Hint);
        Assert.Equal((keys.BTid, gbaType, GbaFleet.NafFqdn), (result.Hello!.BTid, result.Hello.GbaType, result.Hello.Naf));
    }

    [Fact]
    public async Task UnknownBTidAtTheNaf_HandshakeRefused_DeviceBootstrapsAgainWithTheBsf_UnknownBTidThreat()
    {
        var device = await fixture.TreDeviceAsync(Ct);
        using var bsf = fixture.BsfDevice();
        var keys = await GbaBootstrapClient.BootstrapAsync(bsf, device.Authenticator, Ct);
        // A B-TID the BSF never issued, with a key of the right shape: the NAF learns nothing over Zn and refuses the identity.
        var forged = new UaKey("AAAAAAAAAAAAAAAAAAAAAA==@bsf.m2msec.test", keys.NafKey(UaPskTls.NafId(GbaFleet.NafFqdn)));
        var refused = await UaClient.HelloAsync(Ua.EndPoint, GbaFleet.NafFqdn, forged, Ct);
        Assert.True(refused.Outcome == UaOutcome.BootstrapRequired, refused.Alert);
        Assert.Equal("unknown_psk_identity", refused.Alert);

        var bootstraps = 0;
        var (result, again) = await UaClient.OpenAsync(Ua.EndPoint, GbaFleet.NafFqdn, new ExpiredKeys(keys.BTid), async ct =>
        {
            bootstraps++;
            return await GbaBootstrapClient.BootstrapAsync(bsf, device.Authenticator, ct);
        }, Ct);
        Assert.True(again);
        Assert.Equal(1, bootstraps);
        Assert.Equal(UaOutcome.Connected, result.Outcome);
        Assert.NotEqual(keys.BTid, result.BTid);
    }

    /// <summary>A bootstrapping whose lifetime has passed on the device.</summary>
    private sealed class ExpiredKeys(string bTid) : IGbaKeyHolder
    {
        public string BTid => bTid;

        public DateTimeOffset Expires => DateTimeOffset.UnixEpoch;

        public string Impi => "";

        public string GbaType => "gba_me";

        public byte[] NafKey(ReadOnlySpan<byte> nafId) => throw new GbaKeyExpiredException(bTid);
    }

    [Fact]
    public async Task NafAdminApi_UnderMutualTls_AdministratorOnly_AnotherRoleIs403()
    {
        var device = await fixture.UiccDeviceAsync(Ct);
        using var bsf = fixture.BsfDevice();
        var keys = await GbaBootstrapClient.BootstrapAsync(bsf, device.Authenticator, Ct);

        using var admin = fixture.Fleet.AdminClient("naf", TimeSpan.FromSeconds(30));
        var info = await admin.GetFromJsonAsync<JsonElement>("ua", Ct);
        Assert.Equal(Ua.EndPoint.ToString(), info.GetProperty("ua").GetString());
        using var query = await admin.PostAsJsonAsync("naf-keys", new { b_tid = keys.BTid }, Ct);
        var body = await query.Content.ReadAsStringAsync(Ct);
        Assert.True(query.StatusCode == HttpStatusCode.OK, body);
        Assert.Equal(keys.Impi, JsonDocument.Parse(body).RootElement.GetProperty("impi").GetString());
        Assert.DoesNotContain(Convert.ToHexStringLower(keys.NafKey(UaPskTls.NafId(GbaFleet.NafFqdn))), body);

        using var bad = await admin.PostAsJsonAsync("naf-keys", new { b_tid = "" }, Ct);
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Contains("b_tid", await bad.Content.ReadAsStringAsync(Ct));

        foreach (var role in new[] { "naf", "hss" })
        {
            using var other = await fixture.Fleet.ClientAsAsync(role, "naf", TimeSpan.FromSeconds(30), Ct);
            using var ua = await other.GetAsync("ua", Ct);
            Assert.Equal(HttpStatusCode.Forbidden, ua.StatusCode);
            using var key = await other.PostAsJsonAsync("naf-keys", new { b_tid = keys.BTid }, Ct);
            Assert.Equal(HttpStatusCode.Forbidden, key.StatusCode);
            Assert.Contains("not-administrator", await key.Content.ReadAsStringAsync(Ct));
        }
    }

    /// <summary>`m2msec gba naf-key`: the NAF side over the running NAF's admin API — IMPI, GBA type, lifetime; never the key.</summary>
    [Fact]
    public async Task GbaNafKeyCli_PrintsImpiAndLifetime_NeverTheKey_UnknownBTidExits1_BadBTidExits2()
    {
        var device = await fixture.TreDeviceAsync(Ct);
        using var bsf = fixture.BsfDevice();
        var keys = await GbaBootstrapClient.BootstrapAsync(bsf, device.Authenticator, Ct);
        var endpoints = Path.Combine(fixture.Fleet.DataDirectory, "endpoints.json");
        await File.WriteAllTextAsync(endpoints, JsonSerializer.Serialize(new Dictionary<string, string> { ["naf"] = fixture.Fleet["naf"].Address.ToString() }), Ct);

        var (code, stdout, stderr) = await CliRunner.RunAsync("gba", "naf-key", "--endpoints", endpoints, "--b-tid", keys.BTid, "--json");
        Assert.True(code == 0, stderr);
        var root = JsonDocument.Parse(stdout).RootElement;
        Assert.Equal(["b_tid", "impi", "gba_type", "naf_id", "bootstrapping_time", "key_lifetime"], root.EnumerateObject().Select(p => p.Name));
        Assert.Equal((keys.BTid, keys.Impi, "gba_me"), (root.GetProperty("b_tid").GetString(), root.GetProperty("impi").GetString(), root.GetProperty("gba_type").GetString()));
        Assert.Equal(keys.Expires.ToUnixTimeSeconds(), DateTimeOffset.Parse(root.GetProperty("key_lifetime").GetString()!, System.Globalization.CultureInfo.InvariantCulture)
            .ToUnixTimeSeconds());
        Assert.DoesNotContain(Convert.ToHexStringLower(keys.NafKey(UaPskTls.NafId(GbaFleet.NafFqdn))), stdout + stderr);

        var unknown = await CliRunner.RunAsync("gba", "naf-key", "--endpoints", endpoints, "--b-tid", "AAAAAAAAAAAAAAAAAAAAAA==@bsf.m2msec.test");
        Assert.Equal(1, unknown.ExitCode);
        Assert.Contains("unknown-b-tid", unknown.Stderr);
        var bad = await CliRunner.RunAsync("gba", "naf-key", "--endpoints", endpoints, "--b-tid", "a b");
        Assert.Equal(2, bad.ExitCode);
        Assert.StartsWith("--b-tid:", bad.Stderr);
    }
}
