using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using M2MSec.Aka.Gba;
using M2MSec.Device.Gba;

namespace M2MSec.Tests.Gba;

/// <summary>
/// Issue 18 end to end through the real roles over loopback and TLS: a device bootstraps with the BSF on its device listener (Ub,
/// Digest AKA, vectors and the GUSS from the HSS over Zh), a NAF gets its key over Zn (mutual TLS, role naf, dNSName = its FQDN).
/// Both variants (GBA_ME in the TRE, GBA_U in the UICC) derive the key an independent computation of TS 33.220 Annex B gives.
/// </summary>
public sealed class BsfNetworkTests(GbaFleet fixture) : IClassFixture<GbaFleet>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static async Task<(HttpStatusCode Status, JsonElement Body)> ZnAsync(HttpClient naf, object body)
    {
        using var response = await naf.PostAsJsonAsync("zn/naf-keys", body, Ct);
        var text = await response.Content.ReadAsStringAsync(Ct);
        return (response.StatusCode, text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone());
    }

    private static byte[] RandOf(string bTid) => Convert.FromBase64String(bTid[..bTid.IndexOf('@', StringComparison.Ordinal)]);

    /// <summary>GBA_ME: Ks in the TRE; the TRE's Ks_NAF, the BSF's over Zn and Annex B by hand are one key; the answer carries IMPI and lifetime.</summary>
    [Fact]
    public async Task GbaMe_TreDevice_DeviceAndBsfOverZn_EqualTheHandWrittenAnnexBKey_IndependentKdfThreat()
    {
        var device = await fixture.TreDeviceAsync(Ct);
        using var bsf = fixture.BsfDevice();
        var keys = await GbaBootstrapClient.BootstrapAsync(bsf, device.Authenticator, Ct);
        Assert.EndsWith("@bsf.m2msec.test", keys.BTid, StringComparison.Ordinal);
        Assert.Equal("gba_me", keys.GbaType);
        Assert.InRange(keys.Expires - DateTimeOffset.UtcNow, TimeSpan.FromHours(11), TimeSpan.FromHours(13));

        var nafId = GbaFleet.NafId();
        var expected = device.HandWrittenNafKey("gba-me", RandOf(keys.BTid), nafId);
        Assert.Equal(expected, keys.NafKey(nafId));
        using var naf = await fixture.NafAsync(Ct);
        var (status, body) = await ZnAsync(naf, new { b_tid = keys.BTid, naf_id = Convert.ToHexStringLower(nafId) });
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(Convert.ToHexStringLower(expected), body.GetProperty("ks_naf").GetString());
        Assert.Equal(("gba_me", device.Impi, keys.BTid), (body.GetProperty("gba_type").GetString(), body.GetProperty("impi").GetString(), body.GetProperty("b_tid").GetString()));
        Assert.Equal(keys.Expires, DateTimeOffset.Parse(body.GetProperty("key_lifetime").GetString()!, System.Globalization.CultureInfo.InvariantCulture));
        Assert.EndsWith("Z", body.GetProperty("bootstrapping_time").GetString(), StringComparison.Ordinal);
    }

    /// <summary>GBA_U: AUTN* accepted by the UICC only; the ME gets Ks_ext_NAF (= the BSF's over Zn = Annex B "gba-me" by hand); Ks_int_NAF ("gba-u") stays in the card.</summary>
    [Fact]
    public async Task GbaU_UiccDevice_KsExtNafEqualsZnAndHandWritten_KsIntNafKeptInCard_IndependentKdfThreat()
    {
        var device = await fixture.UiccDeviceAsync(Ct);
        using var bsf = fixture.BsfDevice();
        var keys = await GbaBootstrapClient.BootstrapAsync(bsf, device.Authenticator, Ct);
        Assert.Equal("gba_u", keys.GbaType);
        Assert.Equal(keys.BTid, device.Usim!.GbaBootstrappingParameters!.Value.BTid);

        var nafId = GbaFleet.NafId();
        var rand = RandOf(keys.BTid);
        var ext = device.HandWrittenNafKey("gba-me", rand, nafId);
        var intNaf = device.HandWrittenNafKey("gba-u", rand, nafId);
        Assert.NotEqual(ext, intNaf);
        Assert.Equal(ext, keys.NafKey(nafId));
        Assert.True(device.Usim.HoldsKsIntNaf(nafId, intNaf));
        using var naf = await fixture.NafAsync(Ct);
        var (status, body) = await ZnAsync(naf, new { b_tid = keys.BTid, naf_id = Convert.ToHexStringLower(nafId) });
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(Convert.ToHexStringLower(ext), body.GetProperty("ks_naf").GetString());
        Assert.Equal("gba_u", body.GetProperty("gba_type").GetString());
    }

    /// <summary>The BSF's challenge for a GBA_U subscriber carries AUTN*: a device running plain AKA (GBA_ME in a TRE) fails MAC and refuses the network.</summary>
    [Fact]
    public async Task GbaU_AutnStar_FailsMacInAPlainUsim_DeviceRefuses()
    {
        var (imsi, k, opc) = await fixture.SubscriberAsync("gba_u", Ct);
        var usim = new M2MSec.Device.Uicc.SimulatedUsim(imsi, k, opc);
        using var bsf = fixture.BsfDevice();
        var e = await Assert.ThrowsAsync<GbaBootstrapException>(() => GbaBootstrapClient.BootstrapAsync(bsf, new PlainAka(usim), Ct));
        Assert.Equal(GbaBootstrapFailure.NetworkAuthenticationFailed, e.Failure);
    }

    /// <summary>A replayed Digest AKA response (the same Authorization again) is refused: each nonce is answered once; no B-TID, no rspauth.</summary>
    [Fact]
    public async Task ReplayedDigestAkaResponse_IsRefused_NonceUsedOnce_ReplayThreat()
    {
        var device = await fixture.TreDeviceAsync(Ct);
        using var bsf = fixture.BsfDevice();
        using var first = await GetAsync(bsf, $"Digest username=\"{device.Impi}\", realm=\"bsf.m2msec.test\", nonce=\"\", uri=\"/\", response=\"\"");
        Assert.Equal(HttpStatusCode.Unauthorized, first.StatusCode);
        Assert.True(DigestHeaders.TryParseChallenge("Digest " + first.Headers.WwwAuthenticate.Single().Parameter, out var challenge, out _));
        Assert.True(AkaNonce.TryDecode(challenge.Nonce, out var rand, out var autn, out _, out _));
        var res = device.Authenticator.Authenticate(rand, autn).Res!;
        var credentials = new DigestCredentials(device.Impi, challenge.Realm, challenge.Nonce, "/", "auth-int", "00000001", "abc", "");
        credentials = credentials with { Response = DigestAka.Response(credentials, res, "GET", []) };
        using var ok = await GetAsync(bsf, DigestHeaders.Format(credentials));
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        Assert.True(ok.Headers.Contains("Authentication-Info"));

        using var replay = await GetAsync(bsf, DigestHeaders.Format(credentials));
        Assert.Equal(HttpStatusCode.Forbidden, replay.StatusCode);
        Assert.Contains("nonce-not-valid", await replay.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
        Assert.False(replay.Headers.Contains("Authentication-Info"));

        // A wrong response uses the nonce up too: the right one after it is refused.
        using var again = await GetAsync(bsf, $"Digest username=\"{device.Impi}\", realm=\"x\", nonce=\"\", uri=\"/\", response=\"\"");
        Assert.True(DigestHeaders.TryParseChallenge("Digest " + again.Headers.WwwAuthenticate.Single().Parameter, out var c2, out _));
        Assert.True(AkaNonce.TryDecode(c2.Nonce, out var rand2, out var autn2, out _, out _));
        var res2 = device.Authenticator.Authenticate(rand2, autn2).Res!;
        var wrong = new DigestCredentials(device.Impi, c2.Realm, c2.Nonce, "/", "auth-int", "00000001", "abc", new string('0', 32));
        using (var refused = await GetAsync(bsf, DigestHeaders.Format(wrong)))
            Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        var right = wrong with { Response = DigestAka.Response(wrong, res2, "GET", []) };
        using var late = await GetAsync(bsf, DigestHeaders.Format(right));
        Assert.Equal(HttpStatusCode.Forbidden, late.StatusCode);
    }

    /// <summary>A BSF whose rspauth does not verify (forged, or the body altered: another B-TID) is refused by the device.</summary>
    [Fact]
    public async Task ForgedRspAuth_OrAlteredBody_DeviceRefusesTheBsf_ForgedBsfThreat()
    {
        foreach (var forge in new Func<HttpResponseMessage, Task>[]
        {
            r =>
            {
                r.Headers.Remove("Authentication-Info");
                r.Headers.TryAddWithoutValidation("Authentication-Info", $"qop=auth-int, rspauth=\"{new string('a', 32)}\", cnonce=\"x\", nc=00000001");
                return Task.CompletedTask;
            },
            r =>
            {
                r.Headers.Remove("Authentication-Info");
                return Task.CompletedTask;
            },
            async r =>
            {
                var body = await r.Content.ReadAsStringAsync(Ct);
                var at = body.IndexOf("<btid>", StringComparison.Ordinal) + 6;
                r.Content = new ByteArrayContent(System.Text.Encoding.UTF8.GetBytes(body[..at] + (body[at] == 'A' ? 'B' : 'A') + body[(at + 1)..]));
            },
        })
        {
            var device = await fixture.TreDeviceAsync(Ct);
            using var handler = new ForgingHandler(fixture.BsfDevice(), forge);
            using var bsf = new HttpClient(handler) { BaseAddress = fixture.Fleet["bsf"].DeviceAddress };
            var e = await Assert.ThrowsAsync<GbaBootstrapException>(() => GbaBootstrapClient.BootstrapAsync(bsf, device.Authenticator, Ct));
            Assert.Equal(GbaBootstrapFailure.ForgedRspAuth, e.Failure);
        }
    }

    /// <summary>A USIM whose SQN is ahead answers AUTS: the BSF resynchronises through the HSS and challenges again; the bootstrapping completes.</summary>
    [Fact]
    public async Task SynchronisationFailure_AutsResynchronisesThroughTheHss_BootstrappingCompletes()
    {
        var (imsi, k, opc) = await fixture.SubscriberAsync("gba_me", Ct);
        var ahead = new M2MSec.Aka.UsimSqnState(M2MSec.Aka.SqnScheme.Default);
        // The USIM has seen SEQ 1000 in every IND slot: the HSS's first vectors are stale for it.
        for (var ind = 0; ind < M2MSec.Aka.SqnScheme.Default.IndCount; ind++)
            ahead.Accept(M2MSec.Aka.SqnScheme.Default.Compose(1000, ind));
        var usim = new M2MSec.Device.Uicc.SimulatedUsim(imsi, k, opc, ahead);
        var counting = new PlainAka(usim);
        using var bsf = fixture.BsfDevice();
        var keys = await GbaBootstrapClient.BootstrapAsync(bsf, counting, Ct);
        Assert.Equal(2, counting.Runs);
        Assert.True(BTid.IsWellFormed(keys.BTid));
    }

    private static async Task<HttpResponseMessage> GetAsync(HttpClient bsf, string authorization)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/");
        request.Headers.TryAddWithoutValidation("Authorization", authorization);
        return await bsf.SendAsync(request, Ct);
    }

    /// <summary>Plain USIM AKA (no GBA_U context), counting its runs; the keys kept in the test.</summary>
    private sealed class PlainAka(M2MSec.Device.Uicc.SimulatedUsim usim) : IGbaAuthenticator
    {
        public int Runs { get; private set; }

        public string Impi { get; } = M2MSec.Aka.Gba.Impi.FromImsi(usim.Imsi);

        public GbaAkaAnswer Authenticate(byte[] rand, byte[] autn)
        {
            Runs++;
            var r = usim.Authenticate(rand, autn);
            return new(r.Status != M2MSec.Aka.UsimAuthenticationStatus.MacFailure, r.Res, r.Auts);
        }

        public IGbaKeyHolder Bootstrapped(string bTid, DateTimeOffset lifetime) => new Keys(bTid, lifetime, Impi);

        private sealed record Keys(string BTid, DateTimeOffset Expires, string Impi) : IGbaKeyHolder
        {
            public string GbaType => "gba_me";

            public byte[] NafKey(ReadOnlySpan<byte> nafId) => throw new NotSupportedException();
        }
    }

    /// <summary>A man in the middle on Ub that alters the BSF's 200.</summary>
    private sealed class ForgingHandler(HttpClient inner, Func<HttpResponseMessage, Task> forge) : DelegatingHandler(new HttpClientHandler())
    {
        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            using var copy = new HttpRequestMessage(request.Method, request.RequestUri!.PathAndQuery);
            foreach (var h in request.Headers)
                copy.Headers.TryAddWithoutValidation(h.Key, h.Value);
            var response = await inner.SendAsync(copy, cancellationToken);
            if (response.StatusCode == HttpStatusCode.OK)
                await forge(response);
            return response;
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing)
                inner.Dispose();
            base.Dispose(disposing);
        }
    }
}
