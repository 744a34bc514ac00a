using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using M2MSec.NetworkFunctions.Hosting;
using M2MSec.NetworkFunctions.Ota;
using M2MSec.NetworkFunctions.Smsc;
using M2MSec.Ota.Scp80;
using M2MSec.Ota.SmsPp;
using M2MSec.Storage;
using M2MSec.Storage.InMemory;
using Microsoft.Extensions.DependencyInjection;

namespace M2MSec.Tests.Ota;

/// <summary>The OTA server and the SMSC as real services on loopback: jobs, PoR acceptance, bad input.</summary>
public sealed class OtaServerTests : IAsyncLifetime
{
    private const string Iccid = "8988211000000000501";
    private readonly string _dir = Directory.CreateTempSubdirectory("m2msec-ota-").FullName;
    private readonly byte[] _kic = RandomNumberGenerator.GetBytes(16);
    private readonly byte[] _kid = RandomNumberGenerator.GetBytes(16);
    private NetworkFunctionHost _smsc = null!;
    private NetworkFunctionHost _ota = null!;
    private HttpClient _api = null!;
    private SmscClient _sms = null!;

    public async ValueTask InitializeAsync()
    {
        _smsc = await NetworkFunctionHost.StartAsync(new SmscFunction(), Path.Combine(_dir, "smsc"), new InMemoryStateStore());
        _ota = await NetworkFunctionHost.StartAsync(new OtaServerFunction(new OtaServerOptions(_smsc.Address)), Path.Combine(_dir, "ota"), new InMemoryStateStore());
        _api = new HttpClient { BaseAddress = _ota.Address };
        _sms = new SmscClient(new HttpClient { BaseAddress = _smsc.Address });
        using var r = await _api.PostAsJsonAsync("cards", new AddCardRequest(Iccid, "12", "12", Convert.ToHexStringLower(_kic), Convert.ToHexStringLower(_kid)), NetworkFunctionHost.JsonOptions);
        Assert.Equal(HttpStatusCode.Created, r.StatusCode);
    }

    public async ValueTask DisposeAsync()
    {
        _api.Dispose();
        await _ota.DisposeAsync();
        await _smsc.DisposeAsync();
        Directory.Delete(_dir, true);
    }

    private async Task<OtaJob> SubmitAsync(string apdus)
    {
        using var r = await _api.PostAsJsonAsync("jobs", new OtaJobRequest(Iccid, "b00001", 1, null, apdus, null, null), NetworkFunctionHost.JsonOptions);
        Assert.Equal(HttpStatusCode.Accepted, r.StatusCode);
        return (await r.Content.ReadFromJsonAsync<OtaJob>(NetworkFunctionHost.JsonOptions))!;
    }

    private async Task<OtaJob> WaitAsync(string id, string notState = "sent")
    {
        for (var i = 0; i < 100; i++)
        {
            var job = (await _api.GetFromJsonAsync<OtaJob>($"jobs/{id}", NetworkFunctionHost.JsonOptions))!;
            if (job.State != notState)
                return job;
            await Task.Delay(30);
        }
        return (await _api.GetFromJsonAsync<OtaJob>($"jobs/{id}", NetworkFunctionHost.JsonOptions))!;
    }

    /// <summary>
    /// Issue 20: a card registered with its USIM's IMSI keeps the link in the OTA server's device registry (what the console's fleet page
    /// lists a UICC-based device without a DM account by); an IMSI that is not 6 to 15 digits is a 400 naming it, and nothing is added.
    /// </summary>
    [Fact]
    public async Task AddCard_WithImsi_KeepsTheLinkForTheConsole_BadImsiRefusedNamingIt_NothingAdded()
    {
        const string card = "8988211000000000502";
        var store = _ota.Services.GetRequiredService<IStateStore>();
        foreach (var bad in new[] { "0010112345678901", "00101abc", "" })
        {
            using var refused = await _api.PostAsJsonAsync("cards", new AddCardRequest(card, "12", "12", Convert.ToHexStringLower(_kic), Convert.ToHexStringLower(_kid),
                Imsi: bad), NetworkFunctionHost.JsonOptions, TestContext.Current.CancellationToken);
            Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
            Assert.Contains("imsi: ", await refused.Content.ReadAsStringAsync(TestContext.Current.CancellationToken), StringComparison.Ordinal);
        }
        Assert.Null(await store.OtaKeySets.FindAsync(card, 1, TestContext.Current.CancellationToken));
        Assert.Null(await store.Devices.FindAsync(card, TestContext.Current.CancellationToken));

        using (var added = await _api.PostAsJsonAsync("cards", new AddCardRequest(card, "12", "12", Convert.ToHexStringLower(_kic), Convert.ToHexStringLower(_kid),
            Imsi: "001011234567890"), NetworkFunctionHost.JsonOptions, TestContext.Current.CancellationToken))
            Assert.Equal(HttpStatusCode.Created, added.StatusCode);
        var device = await store.Devices.FindAsync(card, TestContext.Current.CancellationToken);
        Assert.Equal(("001011234567890", OtaServerFunction.UiccDeviceKind), (device?.Pcid, device?.Kind));
        Assert.Equal([card], (await store.Devices.ListAsync(OtaServerFunction.UiccDeviceKind, "1234567", null, 10, TestContext.Current.CancellationToken)).Select(d => d.DeviceId));
        // The card registered at start without an IMSI is no device of the registry.
        Assert.Null(await store.Devices.FindAsync(Iccid, TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task Jobs_UseIncreasingCounters_AndOnlyAVerifyingPorForTheJobIsAccepted()
    {
        var first = await SubmitAsync("00a4000c022fe2");
        Assert.Equal("sent", first.State);
        var second = await SubmitAsync("00a4000c022fe2");
        Assert.True(second.Counter > first.Counter);

        var delivered = await _sms.DeliverAsync(Iccid, 5);
        Assert.Equal(2, delivered.Count);
        var packet = OtaSms.CommandPacketFrom(delivered[0].Tpdus!.Select(Convert.FromHexString));
        var opened = CommandPacketCodec.Open(packet, new Scp80Keys(_kic, _kid));
        Assert.True(opened.IsOk);
        Assert.Equal(first.Counter, opened.Packet!.Counter);

        // A PoR under the wrong key (a forger) is ignored; the job stays "sent".
        var spi = opened.Packet.Spi;
        var forged = ResponsePacketCodec.Encode(new ResponsePacket(opened.Packet.Tar, first.Counter, PorStatus.PorOk, [0x01, 0x90, 0x00]), spi, opened.Packet.Kic, opened.Packet.Kid,
            new Scp80Keys(RandomNumberGenerator.GetBytes(16), RandomNumberGenerator.GetBytes(16)), ResponsePacketCodec.SmsPorHeader);
        await _sms.SubmitAsync(new SmsMessage("ota", Iccid, null, Convert.ToHexStringLower([.. ResponsePacketCodec.SmsPorHeader, .. forged])));
        await Task.Delay(300);
        Assert.Equal("sent", (await WaitAsync(first.Id)).State);

        // The card's PoR (right keys, TAR and counter) completes the job.
        var por = ResponsePacketCodec.Encode(new ResponsePacket(opened.Packet.Tar, first.Counter, PorStatus.PorOk, [0x01, 0x90, 0x00]), spi, opened.Packet.Kic, opened.Packet.Kid,
            new Scp80Keys(_kic, _kid), ResponsePacketCodec.SmsPorHeader);
        await _sms.SubmitAsync(new SmsMessage("ota", Iccid, null, Convert.ToHexStringLower([.. ResponsePacketCodec.SmsPorHeader, .. por])));
        var done = await WaitAsync(first.Id);
        Assert.Equal(("done", "00", "019000"), (done.State, done.PorStatus, done.Data));
        Assert.Equal("sent", (await WaitAsync(second.Id, "x")).State);
    }

    [Theory]
    [InlineData("""{"iccid":"8988211000000000501","tar":"b000","apdus":"00"}""", HttpStatusCode.BadRequest)]
    [InlineData("""{"iccid":"8988211000000000501","tar":"b00001"}""", HttpStatusCode.BadRequest)]
    [InlineData("""{"iccid":"8988211000000000501","tar":"b00001","apdus":"0z"}""", HttpStatusCode.BadRequest)]
    [InlineData("""{"iccid":"8988211000000000501","tar":"b00001","nas":{"MinimumPeriodicSearchTimer":"999"}}""", HttpStatusCode.BadRequest)]
    [InlineData("""{"iccid":"8988211000000000999","tar":"b00001","apdus":"00a4000c022fe2"}""", HttpStatusCode.NotFound)]
    [InlineData("""{"iccid":"8988211000000000501","tar":"b00001","apdus":"00a4000c022fe2","transport":"scp81"}""", HttpStatusCode.BadRequest)]
    [InlineData("""{"iccid":"8988211000000000501","tar":"b00001","apdus":"00a4000c022fe2","transport":"sms"}""", HttpStatusCode.BadRequest)]
    [InlineData("""{"iccid":"8988211000000000501","tar":"b00001","apdus":"00a4000c022fe2","transport":"scp81","psk_identity":"nobody"}""", HttpStatusCode.NotFound)]
    [InlineData("""{"iccid":"8988211000000000501","tar":"b00001","apdus":"00a4000c022fe2","key_version":2}""", HttpStatusCode.NotFound)]
    public async Task BadJobs_AreRefused_AndUseNoCounter(string json, HttpStatusCode expected)
    {
        using var r = await _api.PostAsync("jobs", new StringContent(json, System.Text.Encoding.UTF8, "application/json"));
        Assert.Equal(expected, r.StatusCode);
        var next = await SubmitAsync("00a4000c022fe2");
        Assert.Equal(1UL, next.Counter);
    }

    private const string Nas = "'nas':{'AttachWithIMSI':'1'}";

    /// <summary>
    /// Issue 13 item 13: every field of POST /jobs is checked — strict JSON types, ranges from the
    /// specs — before a counter is reserved or anything stored: 400 with an RFC 9457 body naming the
    /// field, the key set's CNTR unchanged, no job row, nothing at the SMSC. Before, these gave 500
    /// (Overflow/Argument/OutOfMemory) after taking a counter, 202, or 404. (Fields in ' quotes.)
    /// </summary>
    [Theory]
    [InlineData(Nas + ",'nas_file_size':-1", "nas_file_size")]
    [InlineData(Nas + ",'nas_file_size':0", "nas_file_size")]
    [InlineData(Nas + ",'nas_file_size':2147483647", "nas_file_size")]
    [InlineData(Nas + ",'nas_file_size':256", "nas_file_size")]
    [InlineData(Nas + ",'nas_file_size':400000000", "nas_file_size")]
    [InlineData(Nas + ",'nas_file_size':4.5", "nas_file_size")]
    [InlineData(Nas + ",'nas_file_size':'48'", "nas_file_size")]
    [InlineData("'apdus':''", "apdus")]
    [InlineData("'apdus':'00'", "apdus")]
    [InlineData("'apdus':'00d6000005010203'", "apdus")]
    [InlineData("'apdus':7", "apdus")]
    [InlineData("'apdus':'00a4000c022fe2','key_version':0", "key_version")]
    [InlineData("'apdus':'00a4000c022fe2','key_version':-1", "key_version")]
    [InlineData("'apdus':'00a4000c022fe2','key_version':16", "key_version")]
    [InlineData("'apdus':'00a4000c022fe2','key_version':'1'", "key_version")]
    [InlineData("'apdus':'00a4000c022fe2','spi':1639", "spi")]
    [InlineData("'apdus':'00a4000c022fe2','priority':1", "priority")]
    [InlineData("'apdus':'00a4000c022fe2','apdus':'00a4000c022fe2'", "apdus")]
    public async Task Refused_job_names_its_field_and_takes_no_counter_UnvalidatedJobThreat(string fields, string field)
    {
        await AssertRefusedAsync($$"""{"iccid":"8988211000000000501","tar":"b00001",{{fields.Replace('\'', '"')}}}""", HttpStatusCode.BadRequest, field);
    }

    /// <summary>Issue 13 item 13: a 1 MB script is a 400 naming apdus (it no longer uses up a counter); a body past the bound is refused unread.</summary>
    [Fact]
    public async Task Oversized_script_and_body_are_refused_before_any_counter_UnvalidatedJobThreat()
    {
        var megabyte = new string('0', 2_000_000);
        await AssertRefusedAsync($$"""{"iccid":"8988211000000000501","tar":"b00001","apdus":"{{megabyte}}"}""", HttpStatusCode.BadRequest, "apdus");
        var tooBig = new string('0', OtaJobRequestReader.MaxBodyOctets);
        await AssertRefusedAsync($$"""{"iccid":"8988211000000000501","tar":"b00001","apdus":"{{tooBig}}"}""", HttpStatusCode.RequestEntityTooLarge, "body");
        var iccidAsNumber = """{"iccid":8988211000000000501,"tar":"b00001","apdus":"00a4000c022fe2"}""";
        await AssertRefusedAsync(iccidAsNumber, HttpStatusCode.BadRequest, "iccid");
    }

    private async Task AssertRefusedAsync(string json, HttpStatusCode status, string field)
    {
        var store = _ota.Services.GetRequiredService<IStateStore>();
        var before = await store.OtaKeySets.GetCounterAsync(Iccid, 1);
        using var r = await _api.PostAsync("jobs", new StringContent(json, System.Text.Encoding.UTF8, "application/json"));
        Assert.Equal(status, r.StatusCode);
        Assert.Equal("application/problem+json", r.Content.Headers.ContentType?.MediaType);
        var problem = await r.Content.ReadFromJsonAsync<System.Text.Json.JsonElement>();
        Assert.StartsWith(field + ":", problem.GetProperty("detail").GetString());
        Assert.StartsWith("urn:m2msec:error:", problem.GetProperty("type").GetString());
        Assert.Equal(before, await store.OtaKeySets.GetCounterAsync(Iccid, 1));
        Assert.Empty(await store.OtaJobs.PendingAsync(Iccid));
        Assert.Empty(await _sms.DeliverAsync(Iccid, 0));
    }
}
