using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using M2MSec.Aka.Gba;
using M2MSec.Device.Gba;
using M2MSec.NetworkFunctions.Hosting;
using M2MSec.NetworkFunctions.Naf;
using M2MSec.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace M2MSec.Tests.Gba;

/// <summary>
/// Issue 18: the MTC server as NAF — Ua over TLS 1.2 PSK with the NAF key (TS 33.222 §5.4), the key fetched over Zn (here from a
/// stand-in BSF with the exact Zn contract), the device's Ua client, OpenSSL as an independent client, and the threats: a NAF key
/// for one NAF used at another, an unknown or expired B-TID.
/// </summary>
public sealed class NafUaTests : IAsyncLifetime
{
    private const string NafA = "naf.m2msec.test", NafB = "other-naf.m2msec.test";
    private StubBsf _bsf = null!;
    private readonly List<NetworkFunctionHost> _hosts = [];

    public async ValueTask InitializeAsync() => _bsf = await StubBsf.StartAsync();

    public async ValueTask DisposeAsync()
    {
        foreach (var h in _hosts)
            await h.DisposeAsync();
        await _bsf.DisposeAsync();
    }

    private async Task<(NetworkFunctionHost Host, NafUaServer Ua)> StartNafAsync(string fqdn, TimeProvider? time = null)
    {
        var store = new StoreOptions(fqdn, InMemory: true);
        var state = await store.OpenAsync(createKeyRing: true, cancellationToken: TestContext.Current.CancellationToken);
        var host = await NetworkFunctionHost.StartAsync(new NafFunction(new NafOptions { Fqdn = fqdn }), Path.Combine(Path.GetTempPath(), "m2msec-naf-unused"), state,
            configure: time is null ? null : s => s.AddSingleton(time), peers: new NetworkFunctionPeers([new(ZnClient.BsfRole, _bsf.Address)]),
            cancellationToken: TestContext.Current.CancellationToken);
        _hosts.Add(host);
        return (host, host.Services.GetRequiredService<NafUaServer>());
    }

    [Fact]
    public void UaProtocolId_And_Identity_AreThoseOfTs33220AnnexH_And_Ts33222()
    {
        Assert.Equal([0x01, 0x00, 0x01, 0x00, 0xA8], UaPskTls.ProtocolId());
        Assert.Equal([.. "naf.m2msec.test"u8, 0x01, 0x00, 0x01, 0x00, 0xA8], UaPskTls.NafId(NafA));
        Assert.Equal("3GPP-bootstrapping", UaPskTls.IdentityHint);
        Assert.Equal("3GPP-bootstrapping.I1VTvpY3qJ0hiuZNrke/NQ==@bsf.m2msec.test", UaPskTls.Identity("I1VTvpY3qJ0hiuZNrke/NQ==@bsf.m2msec.test"));
        Assert.True(UaPskTls.TryParseIdentity("3GPP-bootstrapping.abc@bsf", out var bTid));
        Assert.Equal("abc@bsf", bTid);
        Assert.False(UaPskTls.TryParseIdentity("3GPP-bootstrapping-uicc.abc@bsf", out _));
        Assert.False(UaPskTls.TryParseIdentity("abc@bsf", out _));
        Assert.False(UaPskTls.TryParseIdentity("3GPP-bootstrapping.", out _));
        Assert.False(UaPskTls.TryParseIdentity("3GPP-bootstrapping.a b", out _));
    }

    [Theory]
    [InlineData("gba_me")]
    [InlineData("gba_u")]
    public async Task Device_OpensPskTlsSession_WithItsNafKey_TheNafGotTheSameKeyOverZn(string gbaType)
    {
        var ct = TestContext.Current.CancellationToken;
        var (_, ua) = await StartNafAsync(NafA);
        var (bTid, context) = _bsf.Bootstrap(gbaType);
        var result = await UaClient.HelloAsync(ua.EndPoint, NafA, new UaKey(bTid, StubBsf.DeviceKey(context, NafA)), ct);
        Assert.Equal(UaOutcome.Connected, result.Outcome);
        Assert.Equal(bTid, result.Hello!.BTid);
        Assert.Equal(NafA, result.Hello.Naf);
        Assert.Equal(gbaType, result.Hello.GbaType);
        Assert.Equal("3GPP-bootstrapping", result.Hint);
        Assert.Equal(1, ua.Sessions);
        Assert.Equal([bTid], _bsf.Requests);
    }

    [Fact]
    public async Task IdleUaConnections_HoldNoPoolThread_ADeviceIsStillServed_SlowlorisThreat()
    {
        // Decision 057: each silent connection waits in BouncyCastle's blocking handshake on a thread of its own, not the pool's.
        var ct = TestContext.Current.CancellationToken;
        var (_, ua) = await StartNafAsync(NafA);
        var (bTid, context) = _bsf.Bootstrap("gba_me");
        UaSessionResult? result = null;
        var elapsed = await SilentPeers.TimeWhileHeldAsync(ua.EndPoint, ua.SessionGate, NafUaServer.SessionThreadName,
            async () => result = await UaClient.HelloAsync(ua.EndPoint, NafA, new UaKey(bTid, StubBsf.DeviceKey(context, NafA)), ct), ct);
        Assert.Equal(UaOutcome.Connected, result!.Outcome);
        Assert.True(elapsed < TimeSpan.FromSeconds(10), $"the device waited {elapsed.TotalSeconds:F1} s behind 64 silent connections");
    }

    [Fact]
    public async Task KeyForOneNaf_UsedAtAnotherNaf_HandshakeFails_CrossNafKeyThreat()
    {
        var ct = TestContext.Current.CancellationToken;
        var (_, a) = await StartNafAsync(NafA);
        var (_, b) = await StartNafAsync(NafB);
        var (bTid, context) = _bsf.Bootstrap();
        var keyForA = new UaKey(bTid, StubBsf.DeviceKey(context, NafA));

        var atB = await UaClient.HelloAsync(b.EndPoint, NafB, keyForA, ct);
        Assert.Equal(UaOutcome.HandshakeFailed, atB.Outcome);
        Assert.Null(atB.Hello);
        Assert.Equal("bad_record_mac", atB.Alert); // B's Finished check under Ks_NAF(B) fails
        Assert.Equal(0, b.Sessions);
        for (var i = 0; i < 100 && b.Refused == 0; i++)
            await Task.Delay(20, ct); // the NAF counts the refusal after its alert went out
        Assert.Equal(1, b.Refused);
        // The same key where it belongs works: the failure was the NAF_Id, not the B-TID.
        Assert.Equal(UaOutcome.Connected, (await UaClient.HelloAsync(a.EndPoint, NafA, keyForA, ct)).Outcome);
    }

    [Fact]
    public async Task UnknownBTid_RefusedInTheHandshake_DeviceBootstrapsAgain_UnknownBTidThreat()
    {
        var ct = TestContext.Current.CancellationToken;
        var (_, ua) = await StartNafAsync(NafA);
        var stale = new UaKey("AAAAAAAAAAAAAAAAAAAAAA==@bsf.m2msec.test", new byte[32]);
        var bootstraps = 0;
        var (result, bootstrapped) = await UaClient.OpenAsync(ua.EndPoint, NafA, (renew, _) =>
        {
            if (!renew)
                return Task.FromResult(stale);
            bootstraps++;
            var (bTid, context) = _bsf.Bootstrap();
            return Task.FromResult(new UaKey(bTid, StubBsf.DeviceKey(context, NafA)));
        }, ct);
        Assert.True(bootstrapped);
        Assert.Equal(1, bootstraps);
        Assert.Equal(UaOutcome.Connected, result.Outcome);
        Assert.Equal(1, ua.Sessions);
    }

    [Fact]
    public async Task ExpiredBTid_RefusedWithUnknownPskIdentity_AndTheCachedKeyIsDroppedAtItsLifetime_ExpiredBTidThreat()
    {
        var ct = TestContext.Current.CancellationToken;
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        _bsf.Time = clock;
        var (_, ua) = await StartNafAsync(NafA, clock);
        var (bTid, context) = _bsf.Bootstrap(lifetime: TimeSpan.FromMinutes(10));
        var key = new UaKey(bTid, StubBsf.DeviceKey(context, NafA));

        Assert.Equal(UaOutcome.Connected, (await UaClient.HelloAsync(ua.EndPoint, NafA, key, ct)).Outcome);
        clock.Advance(TimeSpan.FromMinutes(9));
        Assert.Equal(UaOutcome.Connected, (await UaClient.HelloAsync(ua.EndPoint, NafA, key, ct)).Outcome);
        Assert.Single(_bsf.Requests); // within its lifetime the key came from the NAF's cache

        clock.Advance(TimeSpan.FromMinutes(2));
        var late = await UaClient.HelloAsync(ua.EndPoint, NafA, key, ct);
        Assert.Equal(UaOutcome.BootstrapRequired, late.Outcome);
        Assert.Equal("unknown_psk_identity", late.Alert);
        Assert.Equal(2, _bsf.Requests.Count); // past it, the NAF asked Zn again (410) instead of using the cached key
    }

    [Fact]
    public async Task UiccPrefixedIdentity_IsRefused_WithoutAskingZn()
    {
        var (_, ua) = await StartNafAsync(NafA);
        var (bTid, context) = _bsf.Bootstrap("gba_u");
        var (code, stdout, stderr) = await OpenSslAsync(ua.EndPoint, "3GPP-bootstrapping-uicc." + bTid, StubBsf.DeviceKey(context, NafA));
        Assert.DoesNotContain("HTTP/1.1 200", stdout);
        Assert.Contains("unknown psk identity", stderr, StringComparison.OrdinalIgnoreCase);
        Assert.Empty(_bsf.Requests);
        Assert.NotEqual(0, code + (stdout.Length == 0 ? 1 : 0));
    }

    private static async Task<(int Code, string Out, string Err)> OpenSslAsync(IPEndPoint endPoint, string identity, byte[] psk)
    {
        var openssl = ExternalTool.Require("openssl", "Debian package openssl");
        return await ExternalTool.RunAsync(openssl,
            ["s_client", "-connect", endPoint.ToString(), "-tls1_2", "-cipher", "PSK-AES128-GCM-SHA256", "-psk", Convert.ToHexStringLower(psk), "-psk_identity", identity,
             "-servername", NafA, "-quiet"],
            Encoding.ASCII.GetBytes("GET /hello HTTP/1.1\r\nHost: naf.m2msec.test\r\n\r\n"), TimeSpan.FromSeconds(30));
    }

    [Fact]
    public async Task OpenSslClient_WithTheDerivedKeyAndExactIdentity_CompletesTheHandshake_AndGetsHello()
    {
        var (_, ua) = await StartNafAsync(NafA);
        var (bTid, context) = _bsf.Bootstrap();
        var identity = "3GPP-bootstrapping." + bTid; // TS 33.222 §5.4, written out
        var (_, stdout, stderr) = await OpenSslAsync(ua.EndPoint, identity, StubBsf.DeviceKey(context, NafA));
        Assert.Contains("HTTP/1.1 200 OK", stdout);
        Assert.Contains($"\"b_tid\":\"{bTid.Replace("+", "\\u002B", StringComparison.Ordinal)}\"", stdout);
        Assert.Equal(1, ua.Sessions);

        var wrong = await OpenSslAsync(ua.EndPoint, identity, StubBsf.DeviceKey(context, NafB));
        Assert.DoesNotContain("HTTP/1.1 200", wrong.Out);
        Assert.Equal(1, ua.Sessions);
    }

    [Fact]
    public async Task AdminApi_UaInfo_And_NafKeyQuery_NeverShowTheKey()
    {
        var ct = TestContext.Current.CancellationToken;
        var (host, ua) = await StartNafAsync(NafA);
        using var http = new HttpClient { BaseAddress = host.Address };
        var info = await http.GetFromJsonAsync<JsonElement>("ua", ct);
        Assert.Equal(ua.EndPoint.ToString(), info.GetProperty("ua").GetString());
        Assert.Equal(Convert.ToHexStringLower(UaPskTls.NafId(NafA)), info.GetProperty("naf_id").GetString());
        Assert.Equal("3GPP-bootstrapping", info.GetProperty("identity_hint").GetString());

        var (bTid, context) = _bsf.Bootstrap("gba_u");
        using var ok = await http.PostAsJsonAsync("naf-keys", new { b_tid = bTid }, ct);
        var body = await ok.Content.ReadAsStringAsync(ct);
        Assert.True(ok.StatusCode == HttpStatusCode.OK, body);
        var answer = JsonDocument.Parse(body).RootElement;
        Assert.Equal(context.Impi, answer.GetProperty("impi").GetString());
        Assert.Equal("gba_u", answer.GetProperty("gba_type").GetString());
        Assert.DoesNotContain(Convert.ToHexStringLower(StubBsf.DeviceKey(context, NafA)), body);
        Assert.False(answer.TryGetProperty("ks_naf", out _));

        using var unknown = await http.PostAsJsonAsync("naf-keys", new { b_tid = "nobody@bsf.m2msec.test" }, ct);
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Contains("unknown-b-tid", await unknown.Content.ReadAsStringAsync(ct));
    }

    [Theory]
    [InlineData("{}")]
    [InlineData("""{"b_tid":""}""")]
    [InlineData("""{"b_tid":"a b@bsf"}""")]
    public async Task NafKeyQuery_BadBTid_Is400NamingTheField_AndAsksNothing(string json)
    {
        var ct = TestContext.Current.CancellationToken;
        var (host, _) = await StartNafAsync(NafA);
        using var http = new HttpClient { BaseAddress = host.Address };
        using var response = await http.PostAsync("naf-keys", new StringContent(json, Encoding.UTF8, "application/json"), ct);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync(ct)).RootElement;
        Assert.Equal("urn:m2msec:error:bad-b-tid", problem.GetProperty("type").GetString());
        Assert.StartsWith("b_tid:", problem.GetProperty("detail").GetString());
        Assert.Empty(_bsf.Requests);
    }
}
