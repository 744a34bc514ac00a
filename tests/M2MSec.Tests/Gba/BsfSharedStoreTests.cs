using System.Net;
using M2MSec.Aka.Gba;
using M2MSec.Device.Gba;
using M2MSec.Device.Uicc;
using M2MSec.NetworkFunctions.Bsf;
using M2MSec.NetworkFunctions.Hosting;
using M2MSec.NetworkFunctions.Hss;
using M2MSec.Storage.InMemory;
using M2MSec.Storage.PostgreSql;
using M2MSec.Storage.Security;
using M2MSec.Tests.Support;

namespace M2MSec.Tests.Gba;

/// <summary>
/// Issue 18: two BSF instances on one PostgreSQL serve the same B-TIDs — a challenge one sent is answered at the other, the context
/// one made is used over Zn at the other (same key), and a response replayed at the other instance is refused too.
/// </summary>
public sealed class BsfSharedStoreTests(PostgresServer server) : IDisposable
{
    private readonly string _dir = TestKeyRing.TempDirectory("m2msec-bsf-pg-");

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose() => Directory.Delete(_dir, true);

    [Fact]
    public async Task TwoBsfsOnOnePostgres_ServeTheSameBTids_ChallengeAnsweredAtEither_ReplayRefusedAtTheOther()
    {
        var connection = await server.CreateDatabaseAsync();
        var ring = KeyRing.CreateEphemeral();
        await using var hss = await NetworkFunctionHost.StartAsync(new HssFunction(), Path.Combine(_dir, "hss"), new InMemoryStateStore(), cancellationToken: Ct);
        var peers = new NetworkFunctionPeers([new("hss", hss.Address)]);
        await using var a = await NetworkFunctionHost.StartAsync(new BsfFunction(), Path.Combine(_dir, "a"), await PostgresStateStore.OpenAsync(connection, ring), peers: peers,
            cancellationToken: Ct);
        await using var b = await NetworkFunctionHost.StartAsync(new BsfFunction(), Path.Combine(_dir, "b"), await PostgresStateStore.OpenAsync(connection, ring), peers: peers,
            cancellationToken: Ct);

        const string imsi = "001010000000777";
        var (k, opc) = (System.Security.Cryptography.RandomNumberGenerator.GetBytes(16), System.Security.Cryptography.RandomNumberGenerator.GetBytes(16));
        using (var admin = new HttpClient { BaseAddress = hss.Address })
            await new HssClient(admin).AddSubscriberAsync(imsi, k, opc, new byte[] { 0x80, 0x00 }, Ct);
        var device = new TreLessDevice(new SimulatedUsim(imsi, k, opc));

        // The device's first request goes to A, its answer to B (a load balancer in between).
        using var toA = new HttpClient { BaseAddress = a.DeviceAddress };
        using var toB = new HttpClient { BaseAddress = b.DeviceAddress };
        using var first = await GetAsync(toA, $"Digest username=\"{device.Impi}\", realm=\"x\", nonce=\"\", uri=\"/\", response=\"\"");
        Assert.True(DigestHeaders.TryParseChallenge("Digest " + first.Headers.WwwAuthenticate.Single().Parameter, out var challenge, out _));
        Assert.True(AkaNonce.TryDecode(challenge.Nonce, out var rand, out var autn, out _, out _));
        var res = device.Authenticate(rand, autn).Res!;
        var credentials = new DigestCredentials(device.Impi, challenge.Realm, challenge.Nonce, "/", "auth-int", "00000001", "c", "");
        credentials = credentials with { Response = DigestAka.Response(credentials, res, "GET", []) };
        using var ok = await GetAsync(toB, DigestHeaders.Format(credentials));
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        Assert.True(BootstrappingInfo.TryParse(await ok.Content.ReadAsByteArrayAsync(Ct), out var info, out _));
        using (var replay = await GetAsync(toA, DigestHeaders.Format(credentials)))
            Assert.Equal(HttpStatusCode.Forbidden, replay.StatusCode);

        // A context made through the device client at B, used over Zn at A and at B: the same key.
        var keys = await GbaBootstrapClient.BootstrapAsync(toB, device, Ct);
        var nafId = GbaFleet.NafId();
        using var znA = new HttpClient { BaseAddress = a.Address };
        using var znB = new HttpClient { BaseAddress = b.Address };
        foreach (var bTid in new[] { info.BTid, keys.BTid })
        {
            var fromA = await new BsfZnClient(znA).GetNafKeyAsync(bTid, nafId, Ct);
            var fromB = await new BsfZnClient(znB).GetNafKeyAsync(bTid, nafId, Ct);
            Assert.Equal((ZnStatus.Ok, ZnStatus.Ok), (fromA.Status, fromB.Status));
            Assert.Equal(fromA.Key!.KsNaf, fromB.Key!.KsNaf);
        }
        Assert.Equal(Convert.ToHexStringLower(device.KsNaf(keys.BTid, nafId)), (await new BsfZnClient(znA).GetNafKeyAsync(keys.BTid, nafId, Ct)).Key!.KsNaf);
    }

    private static async Task<HttpResponseMessage> GetAsync(HttpClient bsf, string authorization)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/");
        request.Headers.TryAddWithoutValidation("Authorization", authorization);
        return await bsf.SendAsync(request, Ct);
    }

    /// <summary>GBA_ME with a plain USIM whose CK/IK the test keeps (a test device, not a TRE): RAND → Ks.</summary>
    private sealed class TreLessDevice(SimulatedUsim usim) : IGbaAuthenticator
    {
        private readonly Dictionary<string, (byte[] Ck, byte[] Ik, byte[] Rand)> _ks = [];
        private (byte[] Ck, byte[] Ik, byte[] Rand) _last;

        public string Impi { get; } = M2MSec.Aka.Gba.Impi.FromImsi(usim.Imsi);

        public GbaAkaAnswer Authenticate(byte[] rand, byte[] autn)
        {
            var r = usim.Authenticate(rand, autn);
            if (r.IsSuccess)
                _last = (r.Ck!, r.Ik!, rand);
            return new(r.Status != M2MSec.Aka.UsimAuthenticationStatus.MacFailure, r.Res, r.Auts);
        }

        public IGbaKeyHolder Bootstrapped(string bTid, DateTimeOffset lifetime)
        {
            _ks[bTid] = _last;
            return new Keys(bTid, lifetime, Impi);
        }

        public byte[] KsNaf(string bTid, byte[] nafId) => M2MSec.Aka.GbaKeys.KsNaf(_ks[bTid].Ck, _ks[bTid].Ik, _ks[bTid].Rand, Impi, nafId);

        private sealed record Keys(string BTid, DateTimeOffset Expires, string Impi) : IGbaKeyHolder
        {
            public string GbaType => "gba_me";

            public byte[] NafKey(ReadOnlySpan<byte> nafId) => throw new NotSupportedException();
        }
    }
}
