using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using M2MSec.Aka;
using M2MSec.Device.Uicc;
using M2MSec.NetworkFunctions.Hosting;
using M2MSec.NetworkFunctions.Hss;
using M2MSec.Storage;
using Microsoft.Extensions.DependencyInjection;

namespace M2MSec.Tests.Hss;

/// <summary>The HSS as a real Kestrel service on loopback: API contract, typed errors, resync.</summary>
public sealed class HssHttpApiTests : IAsyncLifetime
{
    private NetworkFunctionHost _host = null!;
    private HttpClient _http = null!;
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "m2msec-test-" + Guid.NewGuid().ToString("N"));

    public async ValueTask InitializeAsync()
    {
        _host = await NetworkFunctionHost.StartAsync(new HssFunction(), _dir, new M2MSec.Storage.InMemory.InMemoryStateStore());
        _http = new HttpClient { BaseAddress = _host.Address };
    }

    public async ValueTask DisposeAsync()
    {
        _http.Dispose();
        await _host.DisposeAsync();
        Directory.Delete(_dir, recursive: true);
    }

    [Fact]
    public async Task Host_ListensOnLoopback_EphemeralPort()
    {
        Assert.Equal("127.0.0.1", _host.Address.Host);
        Assert.NotEqual(0, _host.Address.Port);
        var health = await _http.GetFromJsonAsync<JsonElement>("health", TestContext.Current.CancellationToken);
        Assert.Equal("hss", health.GetProperty("role").GetString());
    }

    [Fact]
    public async Task FullAka_OverHttp_WithResync()
    {
        var ct = TestContext.Current.CancellationToken;
        var client = new HssClient(_http);
        var seqMs = new ulong[SqnScheme.Default.IndCount];
        seqMs[2] = 1 << 22;
        var usim = SimulatedUsim.Manufacture("001010000000077", out var k, out var opc, new UsimSqnState(SqnScheme.Default, seqMs));
        await client.AddSubscriberAsync(usim.Imsi, k, opc, new byte[] { 0x80, 0 }, ct);

        var first = (await client.GetVectorsAsync(usim.Imsi, ct: ct)).Vectors[0];
        var failure = usim.Authenticate(Convert.FromHexString(first.Rand), Convert.FromHexString(first.Autn));
        Assert.Equal(UsimAuthenticationStatus.SynchronisationFailure, failure.Status);

        var answer = await client.GetVectorsAsync(usim.Imsi, 2, new ResyncInfo(first.Rand, Convert.ToHexStringLower(failure.Auts!)), ct: ct);
        Assert.True(answer.Resynchronised);
        Assert.Equal(2, answer.Vectors.Count);
        foreach (var v in answer.Vectors)
        {
            var ok = usim.Authenticate(Convert.FromHexString(v.Rand), Convert.FromHexString(v.Autn));
            Assert.True(ok.IsSuccess);
            Assert.Equal(v.Xres, Convert.ToHexStringLower(ok.Res!));
        }
        var state = await _http.GetFromJsonAsync<JsonElement>($"subscribers/{usim.Imsi}", ct);
        // Issue 19 (decision 035): seq_he is the durable high-water mark — SEQ_MS, then one block of 32 reserved past it, of
        // which the two vectors took the first two (the USIM accepted SEQ_MS + 1 and + 2 above).
        Assert.Equal((1UL << 22) + 32, state.GetProperty("seq_he").GetUInt64());
        Assert.Equal((1UL << 22) + 2, usim.SqnState.HighestSeq);
        Assert.False(state.TryGetProperty("k", out _));
        Assert.False(state.TryGetProperty("opc", out _));

        var audit = await _host.Services.GetRequiredService<IStateStore>().Audit.ReadAsync(cancellationToken: ct);
        Assert.Contains(audit, a => a.Action == "subscriber.add" && a.Subject == usim.Imsi);
        Assert.Contains(audit, a => a.Action == "sqn.resync" && a.Subject == usim.Imsi);
        Assert.DoesNotContain(audit, a => $"{a.Detail}{a.Subject}".Contains(Convert.ToHexStringLower(k), StringComparison.OrdinalIgnoreCase));
    }

    [Fact]
    public async Task ForgedAuts_Is403_Typed_AndNoVectors()
    {
        var ct = TestContext.Current.CancellationToken;
        await AddAsync("001010000000078");
        var body = new { imsi = "001010000000078", resync = new { rand = Hex(16), auts = Hex(14) } };
        using var r = await _http.PostAsJsonAsync("auth-vectors", body, ct);
        Assert.Equal(HttpStatusCode.Forbidden, r.StatusCode);
        Assert.Equal("urn:m2msec:error:auts-mac-failure", (await r.Content.ReadFromJsonAsync<JsonElement>(ct)).GetProperty("type").GetString());
        var state = await _http.GetFromJsonAsync<JsonElement>("subscribers/001010000000078", ct);
        Assert.Equal(0UL, state.GetProperty("seq_he").GetUInt64());
    }

    [Theory]
    [InlineData("""{"imsi":"0010","k":"00112233445566778899aabbccddeeff","opc":"00112233445566778899aabbccddeeff"}""", "bad-imsi")]
    [InlineData("""{"imsi":"001010000000001","k":"0011","opc":"00112233445566778899aabbccddeeff"}""", "bad-k")]
    [InlineData("""{"imsi":"001010000000001","k":"00112233445566778899aabbccddeeff"}""", "bad-op")]
    [InlineData("""{"imsi":"001010000000001","k":"00112233445566778899aabbccddeeff","op":"00112233445566778899aabbccddeeff","opc":"00112233445566778899aabbccddeeff"}""", "bad-op")]
    [InlineData("""{"imsi":"001010000000001","k":"00112233445566778899aabbccddeeff","opc":"zz112233445566778899aabbccddeeff"}""", "bad-opc")]
    [InlineData("""{"imsi":"001010000000001","k":"00112233445566778899aabbccddeeff","opc":"00112233445566778899aabbccddeeff","amf":"800"}""", "bad-amf")]
    public async Task AddSubscriber_BadInput_Is400_WithTypedError_AndStoresNothing(string json, string type)
    {
        var ct = TestContext.Current.CancellationToken;
        using var r = await _http.PostAsync("subscribers", new StringContent(json, Encoding.UTF8, "application/json"), ct);
        Assert.Equal(HttpStatusCode.BadRequest, r.StatusCode);
        var problem = await r.Content.ReadFromJsonAsync<JsonElement>(ct);
        Assert.Equal("urn:m2msec:error:" + type, problem.GetProperty("type").GetString());
        Assert.DoesNotContain("00112233445566778899aabbccddeeff", problem.GetRawText());
        using var state = await _http.GetAsync("subscribers/001010000000001", ct);
        Assert.Equal(HttpStatusCode.NotFound, state.StatusCode);
    }

    [Theory]
    [InlineData("""{"imsi":"00101000000x"}""", HttpStatusCode.BadRequest)]
    [InlineData("""{"imsi":"001010000000079","count":0}""", HttpStatusCode.BadRequest)]
    [InlineData("""{"imsi":"001010000000079","count":33}""", HttpStatusCode.BadRequest)]
    [InlineData("""{"imsi":"001010000000079","serving_network_id":"00f1"}""", HttpStatusCode.BadRequest)]
    [InlineData("""{"imsi":"001010000000079","resync":{"rand":"00"}}""", HttpStatusCode.BadRequest)]
    [InlineData("""{"imsi":"001019999999999"}""", HttpStatusCode.NotFound)]
    [InlineData("""{"imsi":""", HttpStatusCode.BadRequest)]
    [InlineData("""[1,2,3]""", HttpStatusCode.BadRequest)]
    public async Task AuthVectors_MalformedRequests_AreRefusedWithoutServerError(string json, HttpStatusCode expected)
    {
        var ct = TestContext.Current.CancellationToken;
        await AddAsync("001010000000079");
        using var r = await _http.PostAsync("auth-vectors", new StringContent(json, Encoding.UTF8, "application/json"), ct);
        Assert.Equal(expected, r.StatusCode);
        var state = await _http.GetFromJsonAsync<JsonElement>("subscribers/001010000000079", ct);
        Assert.Equal(0UL, state.GetProperty("seq_he").GetUInt64());
    }

    [Fact]
    public async Task AddSubscriber_Twice_Is409()
    {
        await AddAsync("001010000000080");
        using var r = await _http.PostAsJsonAsync("subscribers", new { imsi = "001010000000080", k = Hex(16), opc = Hex(16) }, TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.Conflict, r.StatusCode);
    }

    [Fact]
    public async Task EpsRequest_ReturnsKasme_NoCkIk()
    {
        var ct = TestContext.Current.CancellationToken;
        await AddAsync("001010000000081");
        var answer = await new HssClient(_http).GetVectorsAsync("001010000000081", servingNetworkId: "00f110", ct: ct);
        var v = answer.Vectors[0];
        Assert.Null(v.Ck);
        Assert.Null(v.Ik);
        Assert.Equal(64, v.Kasme!.Length);
    }

    private async Task AddAsync(string imsi)
    {
        using var r = await _http.PostAsJsonAsync("subscribers", new { imsi, k = Hex(16), op = Hex(16) }, TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.Created, r.StatusCode);
    }

    private static string Hex(int octets) => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(octets));
}
