using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using M2MSec.Aka;
using M2MSec.Device.Power;
using M2MSec.Device.Tre;
using M2MSec.Device.Triggering;
using M2MSec.Device.Uicc;
using M2MSec.Nas.Trigger;
using M2MSec.NetworkFunctions.Hosting;
using M2MSec.NetworkFunctions.Ota;
using M2MSec.Ota.RemoteApdu;
using M2MSec.Ota.Scp81;
using Microsoft.Extensions.DependencyInjection;

namespace M2MSec.Tests.Triggering;

/// <summary>
/// Issue 17: an OTA-job trigger really runs the OTA job on the device (<see cref="OtaTriggerActions"/>) — the device opens the SCP81
/// admin session (PSK-TLS, GlobalPlatform Amendment B) to the OTA role, whose queued job for this card the UICC executes; the OTA
/// role's API then shows the job verified. A job id not queued for this card changes nothing (a typed outcome); a forged or replayed
/// trigger never opens the session.
/// </summary>
public sealed class OtaTriggerTests(TriggerFleet fixture) : IClassFixture<TriggerFleet>
{
    private const string Plmn = "00102";
    private static int _next;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private sealed record Card(string Iccid, string PskIdentity, byte[] Psk, UiccFileSystem Files, UiccOtaCard Ota);

    private static Card NewCard(string imsi)
    {
        var iccid = $"89882110{Interlocked.Increment(ref _next) + 5_000_000:D11}";
        var files = UiccProfile.Create(iccid, imsi);
        return new Card(iccid, "card-" + iccid[^8..], RandomNumberGenerator.GetBytes(16), files, new UiccOtaCard(files));
    }

    private static byte[] NasFile(UiccFileSystem files) => ((TransparentEf)files.Find(UiccProfile.AdfUsimFid, UiccProfile.EfNasConfig)!).Content;

    private IPEndPoint Scp81 => fixture.Fleet["ota"].Services.GetRequiredService<Scp81AdminServer>().EndPoint;

    /// <summary>Registers the card (SCP80 key set and SCP81 PSK) and queues an SCP81 NAS-configuration job for it; the job's id.</summary>
    private async Task<string> QueueJobAsync(HttpClient ota, Card card)
    {
        using (var added = await ota.PostAsJsonAsync("cards", new AddCardRequest(card.Iccid, "12", "12", Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16)),
            Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16)), card.PskIdentity, Convert.ToHexStringLower(card.Psk)), NetworkFunctionHost.JsonOptions, Ct))
            Assert.Equal(HttpStatusCode.Created, added.StatusCode);
        using var submitted = await ota.PostAsJsonAsync("jobs", new Dictionary<string, object>
        {
            ["iccid"] = card.Iccid,
            ["tar"] = "000000",
            ["transport"] = "scp81",
            ["psk_identity"] = card.PskIdentity,
            ["nas"] = new Dictionary<string, string> { ["NAS_SignallingPriority"] = "1" },
        }, Ct);
        Assert.True(submitted.StatusCode == HttpStatusCode.Accepted, await submitted.Content.ReadAsStringAsync(Ct));
        return (await submitted.Content.ReadFromJsonAsync<OtaJob>(NetworkFunctionHost.JsonOptions, Ct))!.Id;
    }

    private static async Task<OtaJob> JobAsync(HttpClient ota, string id, string awaited)
    {
        OtaJob job = null!;
        for (var i = 0; i < 100; i++)
        {
            job = (await ota.GetFromJsonAsync<OtaJob>($"jobs/{id}", NetworkFunctionHost.JsonOptions, Ct))!;
            if (job.State == awaited)
                break;
            await Task.Delay(50, Ct); // the server records the exchange as the session ends
        }
        return job;
    }

    [Fact]
    public async Task OtaJobTrigger_MtcIwfToVnoToDevice_OpensScp81Session_UiccRunsTheQueuedJob_VerifiedThroughOtaApi()
    {
        var device = await fixture.UiccDeviceAsync(Ct);
        var card = NewCard(device.Imsi);
        using var ota = fixture.Fleet.AdminClient("ota", TimeSpan.FromSeconds(30));
        var jobId = await QueueJobAsync(ota, card);
        Assert.Equal("sent", (await JobAsync(ota, jobId, "sent")).State); // the SCP80 push went to the SMSC; nobody has read it

        var external = $"ota-{device.Imsi[^6..]}@mtc.example";
        await fixture.GrantAsync("mtc-ota", external, device.Imsi, Ct);
        using (var mtc = await fixture.MtcServerAsync("mtc-ota", Ct))
        using (var sent = await mtc.PostAsJsonAsync("triggers", new { device = external, action = "ota-job", ota_job = jobId }, Ct))
            Assert.True(sent.StatusCode == HttpStatusCode.Accepted, await sent.Content.ReadAsStringAsync(Ct));

        var actions = new OtaTriggerActions(card.Ota, card.Iccid, card.PskIdentity, card.Psk, Scp81, device.Battery, device.Actions);
        using (var vno = fixture.VnoDevice())
        {
            var outcome = Assert.Single(await ServingNetworkClient.ReceiveAsync(vno, device.Imsi, device.Receiver, actions, Ct));
            Assert.True(outcome.IsAccepted, outcome.Detail);
            Assert.Equal("ota-job", outcome.Action);
        }
        var session = Assert.Single(actions.Sessions);
        Assert.Equal((jobId, OtaSessionStatus.Completed, 1), (session.JobId, session.Status, session.ScriptsExecuted));
        // What the card sent in the session (its announcement and the script's responses) counts on the battery (decision 026).
        Assert.True(device.Battery.Reading.BytesSent > 200, $"{device.Battery.Reading.BytesSent} bytes");
        // The UICC wrote EF_NASCONFIG; the OTA role read it back in the session's responses and verified the job.
        var job = await JobAsync(ota, jobId, "verified");
        Assert.True(job.State == "verified", $"{job.State}: {job.Failure}");
        var (_, file) = OtaJobs.NasScript(M2MSec.Nas.NasConfigMo.FromLeaves(new Dictionary<string, string> { ["NAS_SignallingPriority"] = "1" }), 48,
            RemoteApduFormat.Expanded);
        Assert.Equal(file, NasFile(card.Files));
    }

    [Fact]
    public async Task OtaJobTrigger_JobNotQueuedForThisCard_NothingQueuedOutcome_NoStateChanged()
    {
        var device = await fixture.UiccDeviceAsync(Ct);
        var mine = NewCard(device.Imsi);
        var other = NewCard("001019999999999");
        using var ota = fixture.Fleet.AdminClient("ota", TimeSpan.FromSeconds(30));
        // This card is registered (its PSK) but has no job; another card's job is queued.
        using (var added = await ota.PostAsJsonAsync("cards", new AddCardRequest(mine.Iccid, "12", "12", Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16)),
            Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16)), mine.PskIdentity, Convert.ToHexStringLower(mine.Psk)), NetworkFunctionHost.JsonOptions, Ct))
            Assert.Equal(HttpStatusCode.Created, added.StatusCode);
        var othersJob = await QueueJobAsync(ota, other);
        var before = NasFile(mine.Files).ToArray();

        var external = $"nq-{device.Imsi[^6..]}@mtc.example";
        await fixture.GrantAsync("mtc-ota", external, device.Imsi, Ct);
        using (var mtc = await fixture.MtcServerAsync("mtc-ota", Ct))
        using (var sent = await mtc.PostAsJsonAsync("triggers", new { device = external, action = "ota-job", ota_job = othersJob }, Ct))
            Assert.True(sent.StatusCode == HttpStatusCode.Accepted, await sent.Content.ReadAsStringAsync(Ct));
        var actions = new OtaTriggerActions(mine.Ota, mine.Iccid, mine.PskIdentity, mine.Psk, Scp81, device.Battery, device.Actions);
        using (var vno = fixture.VnoDevice())
            Assert.True(Assert.Single(await ServingNetworkClient.ReceiveAsync(vno, device.Imsi, device.Receiver, actions, Ct)).IsAccepted);

        var session = Assert.Single(actions.Sessions);
        Assert.Equal((othersJob, OtaSessionStatus.NothingQueued, 0), (session.JobId, session.Status, session.ScriptsExecuted));
        Assert.Equal(before, NasFile(mine.Files));
        // The other card's job is untouched: still waiting for that card's own session.
        Assert.Equal("sent", (await JobAsync(ota, othersJob, "sent")).State);
    }

    [Fact]
    public async Task ForgedOrReplayedOtaJobTrigger_NeverOpensTheScp81Session_ForgedOtaTriggerThreat()
    {
        var kasme = RandomNumberGenerator.GetBytes(32);
        var device = M2MSec.Device.M2me.M2meDevice.Create(Path.Combine(fixture.Directory, "ota-threat-" + Guid.NewGuid().ToString("N")[..8]), fixture.Fuses,
            $"0019{Interlocked.Increment(ref _next) + 90_000_000:D11}", M2MSec.Device.M2me.M2meKind.Tre);
        device.Tre.StoreNasContext(TreCaller.Network, Plmn, kasme);
        var card = NewCard("001010000000001");
        await using var server = new Scp81AdminServer(id => id == card.PskIdentity ? card.Psk : null);
        server.Enqueue(card.PskIdentity, OtaJobs.NasScript(M2MSec.Nas.NasConfigMo.FromLeaves(new Dictionary<string, string> { ["NAS_SignallingPriority"] = "1" }),
            48, RemoteApduFormat.Expanded).Script);
        var battery = new BatteryMeter();
        var receiver = new TriggerReceiver(new TreNasContextHolder(device.Tre), battery);
        var actions = new OtaTriggerActions(card.Ota, card.Iccid, card.PskIdentity, card.Psk, server.EndPoint, battery);
        var before = NasFile(card.Files).ToArray();
        ReadOnlyMemory<byte> job = "job-1"u8.ToArray();

        // A fake network's trigger (a key it guessed), and one without any MAC key the device holds: dropped, no connection at all.
        var forged = ProtectedTrigger.Protect(RandomNumberGenerator.GetBytes(16), 0, new TriggerIndication(Plmn, 1, TriggerAction.OtaJob, job));
        Assert.False((await ServingNetworkClient.HandleAsync(receiver, actions, forged, "paging", Ct)).Outcome.IsAccepted);
        var tampered = ProtectedTrigger.Protect(NasKeys.KnasInt(kasme), 0, new TriggerIndication(Plmn, 1, TriggerAction.OtaJob, job));
        tampered[^1] ^= 0x01;
        Assert.False((await ServingNetworkClient.HandleAsync(receiver, actions, tampered, "paging", Ct)).Outcome.IsAccepted);
        Assert.Empty(actions.Sessions);
        Assert.Empty(server.Exchanges);
        Assert.Empty(server.Refusals);
        Assert.Equal(before, NasFile(card.Files));
        Assert.Equal((0L, 0L), (battery.Reading.BytesSent, battery.Reading.ConnectionSetups));

        // The genuine one opens the session and the card runs the script; replayed, it opens nothing more.
        var genuine = ProtectedTrigger.Protect(NasKeys.KnasInt(kasme), 0, new TriggerIndication(Plmn, 2, TriggerAction.OtaJob, job));
        Assert.True((await ServingNetworkClient.HandleAsync(receiver, actions, genuine, "paging", Ct)).Outcome.IsAccepted);
        Assert.Equal(OtaSessionStatus.Completed, Assert.Single(actions.Sessions).Status);
        Assert.Single(server.Exchanges);
        Assert.False((await ServingNetworkClient.HandleAsync(receiver, actions, genuine, "paging", Ct)).Outcome.IsAccepted);
        Assert.Single(actions.Sessions);
        Assert.Single(server.Exchanges);

        // A job id that is no job id (authentic trigger, bad payload): a typed outcome, no session.
        var bad = ProtectedTrigger.Protect(NasKeys.KnasInt(kasme), 1, new TriggerIndication(Plmn, 3, TriggerAction.OtaJob, new byte[] { 0x0A }));
        Assert.True((await ServingNetworkClient.HandleAsync(receiver, actions, bad, "paging", Ct)).Outcome.IsAccepted);
        Assert.Equal(OtaSessionStatus.BadJobId, actions.Sessions[^1].Status);
        Assert.Single(server.Exchanges);
    }
}
