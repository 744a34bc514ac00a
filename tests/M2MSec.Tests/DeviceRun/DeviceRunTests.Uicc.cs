using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using M2MSec.Cli.Internal;
using M2MSec.Device.Uicc;
using M2MSec.NetworkFunctions.Hosting;
using M2MSec.NetworkFunctions.Ota;

namespace M2MSec.Tests.DeviceRun;

/// <summary>
/// Issue 20, `device run --kind uicc`: a UICC-based device in another process — made on an empty directory (its subscriber at the HSS, its
/// card at the OTA server), attached with its USIM through the VNO, configured over the air: an OTA job by SMS (SCP80, PoR by SMS MO) and
/// one by an OTA-job trigger (SCP81 PSK-TLS); forged or replayed OTA SMS change nothing on the card; a card the OTA server refuses leaves
/// no subscriber at the HSS.
/// </summary>
public sealed partial class DeviceRunTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static readonly Dictionary<string, string> Nas = new() { ["NAS_SignallingPriority"] = "1" };

    /// <summary>Issue 20: made, attached, an OTA job by SMS verified; stopped, restarted (resumed), an OTA-job trigger runs its SCP81 job.</summary>
    [Fact]
    public async Task DeviceRunUicc_AttachesInAnotherProcess_OtaJobBySmsVerified_OtaJobTriggerRunsScp81()
    {
        var dir = NewDeviceDirectory();
        string imsi, iccid;
        using var ota = Admin("ota");
        await using (var device = fleet.Run("--data", dir, "--kind", "uicc", "--paging-interval", "1"))
        {
            var created = (await device.WaitForAsync("created"))[0];
            (imsi, iccid) = Identities(DeviceProcess.Detail(created));
            await device.WaitForAsync("attached");
            Assert.Equal("created", DeviceProcess.Event(device.Events[0])); // a fresh device does not "resume"

            // Its battery figure, reported to the VNO once attached, is what the VNO (and the console's fleet row) holds for its IMSI.
            await device.WaitForAsync("battery-reported");
            using (var vno = Admin("vno"))
            {
                var figure = await vno.GetFromJsonAsync<JsonElement>($"battery/{imsi}", Ct);
                Assert.InRange(figure.GetProperty("level_permille").GetInt32(), 1, 1000);
            }

            // An OTA job for the card (RFM, NAS configuration): SCP80 by SMS, the PoR back by SMS MO, verified with the read-back.
            var job = await QueueOtaJobAsync(ota, iccid, "b00001");
            await device.WaitForAsync("ota-sms");
            await device.WaitForAsync("por-sent");
            Assert.Equal("verified", await OtaJobStateAsync(ota, job, "verified"));
            Assert.Equal(0, await device.StopAsync());
            await device.WaitForAsync("stopped");
        }

        // Stopped: an SCP81 job is queued (its SCP80 push waits at the SMSC and is taken away here, as if lost), then an OTA-job trigger.
        var scp81 = await QueueOtaJobAsync(ota, iccid, "000000", "card-" + iccid);
        Assert.NotEmpty(await DrainAsync(iccid));
        await using (var again = fleet.Run("--data", dir, "--kind", "uicc", "--paging-interval", "1"))
        {
            await again.WaitForAsync("resumed");
            await again.WaitForAsync("attached");
            Assert.Equal(0, (await fleet.CliAsync("group", "features", "--endpoints", fleet.Endpoints, "--identity", imsi, "--set", "triggering")).ExitCode);
            var external = $"card-{imsi[^6..]}@mtc.example";
            Assert.Equal(0, (await fleet.CliAsync("trigger", "grant", "--endpoints", fleet.Endpoints, "--mtc-server", "mtc-server", "--device", external, "--imsi", imsi)).ExitCode);
            var (code, stdout, stderr) = await fleet.CliAsync("trigger", "send", "--endpoints", fleet.Endpoints, "--device", external, "--ota-job", scp81);
            Assert.True(code == 0, stdout + stderr);
            await again.WaitForAsync("ota-job", d => d.StartsWith(scp81, StringComparison.Ordinal) && d.Contains("completed", StringComparison.Ordinal));
            Assert.Equal("verified", await OtaJobStateAsync(ota, scp81, "verified"));
            Assert.Equal(0, await again.StopAsync());

            // `device paging` on the stopped device: an OTA-job trigger opens the card's SCP81 session there too.
            var third = await QueueOtaJobAsync(ota, iccid, "000000", "card-" + iccid);
            Assert.NotEmpty(await DrainAsync(iccid));
            (code, stdout, stderr) = await fleet.CliAsync("trigger", "send", "--endpoints", fleet.Endpoints, "--device", external, "--ota-job", third);
            Assert.True(code == 0, stdout + stderr);
            (code, stdout, stderr) = await fleet.CliAsync("device", "paging", "--data", dir, "--fuse-dir", fleet.Fuses, "--endpoints", fleet.Endpoints, "--json");
            Assert.True(code == 0, stdout + stderr);
            Assert.Contains($"ota-job:{third}: completed", stdout, StringComparison.Ordinal);
            Assert.Equal("verified", await OtaJobStateAsync(ota, third, "verified"));
        }
        Assert.DoesNotContain(File.ReadAllText(Path.Combine(dir, "uicc", "card.bin")), "card-", StringComparison.Ordinal); // sealed, not plain JSON
    }

    /// <summary>
    /// Issue 20, threat: anyone can submit a short message to the device's address on the SMSC's device listener. An altered OTA SMS (its
    /// cryptographic checksum no longer verifies) and a genuine one replayed (CNTR not higher) change nothing on the card and are events.
    /// </summary>
    [Fact]
    public async Task DeviceRunUicc_ForgedOrReplayedOtaSms_ChangesNothingOnTheCard_ForgedOtaSmsThreat()
    {
        var dir = NewDeviceDirectory();
        string iccid;
        using var ota = Admin("ota");
        await using (var device = fleet.Run("--data", dir, "--kind", "uicc", "--paging-interval", "5"))
        {
            iccid = Identities(DeviceProcess.Detail((await device.WaitForAsync("created"))[0])).Iccid;
            await device.WaitForAsync("attached");
            Assert.Equal(0, await device.StopAsync());
        }
        // A genuine command packet, taken from the SMSC while the device is stopped.
        var job = await QueueOtaJobAsync(ota, iccid, "b00001");
        var genuine = Assert.Single(await DrainAsync(iccid));
        var altered = genuine.Select(t => t[..^2] + (t[^2..] == "00" ? "01" : "00")).ToList();
        using var smsc = M2MSec.Device.Provisioning.RoProvisioningClient.Client(new Uri(fleet.Address("smsc-device")),
            System.Security.Cryptography.X509Certificates.X509CertificateLoader.LoadCertificateFromFile(Path.Combine(fleet.Directory, "root.pem")));
        await using (var device = fleet.Run("--data", dir, "--kind", "uicc", "--paging-interval", "5"))
        {
            await device.WaitForAsync("attached");
            var before = Counters(dir);

            await SubmitAsync(smsc, iccid, altered);
            await device.WaitForAsync("ota-refused");
            Assert.Equal(before, Counters(dir));
            Assert.DoesNotContain(device.Events, e => DeviceProcess.Event(e) is "ota-sms" or "por-sent");

            await SubmitAsync(smsc, iccid, genuine);
            await device.WaitForAsync("ota-sms");
            Assert.Equal("verified", await OtaJobStateAsync(ota, job, "verified"));
            var after = Counters(dir);
            Assert.NotEqual(before, after);

            await SubmitAsync(smsc, iccid, genuine);
            await device.WaitForAsync("ota-refused", d => d.Contains("counter-low", StringComparison.Ordinal), count: 1);
            await Task.Delay(500, Ct);
            Assert.Single(device.Events, e => DeviceProcess.Event(e) == "ota-sms");
            Assert.Equal(after, Counters(dir));
            Assert.Equal(0, await device.StopAsync());
        }
    }

    /// <summary>Issue 20: the OTA server refusing the card (here: no OTA server where FILE says) leaves no subscriber at the HSS, and no device.</summary>
    [Fact]
    public async Task DeviceRunUicc_CardRegistrationFails_NoHssSubscriberLeft_NoDevice()
    {
        var map = JsonSerializer.Deserialize<Dictionary<string, string>>(await File.ReadAllTextAsync(fleet.Endpoints, Ct))!;
        map["ota"] = map["hss"]; // an administrator API that has no /cards: 404
        var broken = Path.Combine(fleet.Directory, "endpoints-no-ota.json");
        await File.WriteAllTextAsync(broken, JsonSerializer.Serialize(map), Ct);
        var dir = NewDeviceDirectory();
        var accounts = await DmAccountCountAsync();
        var (code, _, stderr) = await fleet.CliAsync("device", "run", "--kind", "uicc", "--data", dir, "--endpoints", broken, "--fuse-dir", fleet.Fuses);
        Assert.NotEqual(0, code);
        Assert.Contains("removed again", stderr, StringComparison.Ordinal);
        Assert.Equal(accounts, await DmAccountCountAsync()); // the DM account made before the card was refused: removed again too
        var imsi = stderr.Split("subscriber ")[1].Split(' ')[0];
        using var hss = Admin("hss");
        using (var answer = await hss.GetAsync($"subscribers/{imsi}", Ct))
            Assert.Equal(HttpStatusCode.NotFound, answer.StatusCode);
        Assert.False(File.Exists(Path.Combine(dir, "device.json")));
        Assert.False(Directory.Exists(Path.Combine(dir, "uicc")));

        // A bad --kind: exit 2 naming it.
        (code, _, stderr) = await fleet.CliAsync("device", "run", "--kind", "sim", "--data", dir, "--endpoints", fleet.Endpoints);
        Assert.Equal(2, code);
        Assert.Contains("--kind", stderr, StringComparison.Ordinal);
    }

    /// <summary>
    /// Issue 20, threat: a battery report the device did not make — a forged MAC, a genuine one replayed (its uplink COUNT not above the
    /// stored one), or one whose MAC covers another level — is refused (403) and nothing is stored; a bad field is a 400 naming it.
    /// </summary>
    [Fact]
    public async Task BatteryReport_ForgedOrReplayedRefused_NothingStored_ForgedBatteryReportThreat()
    {
        // A device of our own: a subscriber at the HSS, its USIM here, attached through the VNO's device listener.
        var imsi = "00101" + Random.Shared.NextInt64(1_000_000_000, 9_999_999_999).ToString(System.Globalization.CultureInfo.InvariantCulture);
        var (k, opc) = (System.Security.Cryptography.RandomNumberGenerator.GetBytes(16), System.Security.Cryptography.RandomNumberGenerator.GetBytes(16));
        using (var hssAdmin = Admin("hss"))
            await new M2MSec.NetworkFunctions.Hss.HssClient(hssAdmin).AddSubscriberAsync(imsi, k, opc, new byte[] { 0x80, 0x00 }, Ct);
        var usim = new SimulatedUsim(imsi, k, opc);
        var context = new M2MSec.Device.Triggering.MeNasContextHolder(null);
        using var device = M2MSec.Device.Provisioning.RoProvisioningClient.Client(new Uri(fleet.Address("vno-device")),
            System.Security.Cryptography.X509Certificates.X509CertificateLoader.LoadCertificateFromFile(Path.Combine(fleet.Directory, "root.pem")));
        await M2MSec.Device.Triggering.ServingNetworkClient.AttachAsync(device, imsi, (rand, autn) => usim.Authenticate(rand, autn, eUtran: true), context, Ct);
        using var vno = Admin("vno");

        // Genuine: stored.
        var genuine = Hex(context.ProtectReport(new M2MSec.Nas.Trigger.DeviceReport(M2MSec.Nas.Trigger.DeviceReportKind.Battery, 500)));
        Assert.Equal(HttpStatusCode.NoContent, await PostBatteryAsync(device, imsi, 500, genuine));
        var stored = await vno.GetStringAsync($"battery/{imsi}", Ct);
        Assert.Contains("\"level_permille\":500", stored, StringComparison.Ordinal);

        // Replayed, forged (a MAC bit flipped), or a MAC over another level: refused, the figure unchanged.
        Assert.Equal(HttpStatusCode.Forbidden, await PostBatteryAsync(device, imsi, 500, genuine));
        var forged = context.ProtectReport(new M2MSec.Nas.Trigger.DeviceReport(M2MSec.Nas.Trigger.DeviceReportKind.Battery, 10));
        forged[2] ^= 0x01;
        Assert.Equal(HttpStatusCode.Forbidden, await PostBatteryAsync(device, imsi, 10, Hex(forged)));
        var other = Hex(context.ProtectReport(new M2MSec.Nas.Trigger.DeviceReport(M2MSec.Nas.Trigger.DeviceReportKind.Battery, 900)));
        Assert.Equal(HttpStatusCode.Forbidden, await PostBatteryAsync(device, imsi, 10, other));
        Assert.Equal(stored, await vno.GetStringAsync($"battery/{imsi}", Ct));

        // Every field validated: a 400 naming it, nothing stored.
        foreach (var (body, field) in new (object Body, string Field)[]
        {
            (new { identity = "abc", level_permille = 10, nas = genuine }, "identity"),
            (new { identity = imsi, level_permille = 1001, nas = genuine }, "level_permille"),
            (new { identity = imsi, nas = genuine }, "level_permille"),
            (new { identity = imsi, level_permille = 10, nas = "zz" }, "nas"),
        })
        {
            using var answer = await device.PostAsJsonAsync("battery", body, Ct);
            Assert.Equal(HttpStatusCode.BadRequest, answer.StatusCode);
            Assert.Contains(field + ":", await answer.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
        }
        Assert.Equal(stored, await vno.GetStringAsync($"battery/{imsi}", Ct));
    }

    private static string Hex(byte[] b) => Convert.ToHexStringLower(b);

    private async Task<int> DmAccountCountAsync()
    {
        var (code, stdout, stderr) = await fleet.CliAsync("dm", "account", "list", "--data", Path.Combine(fleet.Directory, "dm"), "--kek-file", fleet.KekFile, "--json");
        Assert.True(code == 0, stdout + stderr);
        return JsonDocument.Parse(stdout).RootElement.GetProperty("accounts").GetArrayLength();
    }

    private static async Task<HttpStatusCode> PostBatteryAsync(HttpClient vno, string imsi, int level, string nas)
    {
        using var answer = await vno.PostAsJsonAsync("battery", new { identity = imsi, level_permille = level, nas }, Ct);
        return answer.StatusCode;
    }

    private HttpClient Admin(string role) => RunningServices.Load("--endpoints", fleet.Endpoints).AdminClient("--endpoints", role);

    private static (string Imsi, string Iccid) Identities(string created)
    {
        var words = created.Split(' ', ',', ':').Where(w => w.Length > 0).ToList();
        return (words[words.IndexOf("imsi") + 1], words[words.IndexOf("iccid") + 1]);
    }

    private static async Task<string> QueueOtaJobAsync(HttpClient ota, string iccid, string tar, string? pskIdentity = null)
    {
        using var submitted = await ota.PostAsJsonAsync("jobs", new OtaJobRequest(iccid, tar, 1, null, null, Nas, null, pskIdentity is null ? null : "scp81", pskIdentity),
            NetworkFunctionHost.JsonOptions, Ct);
        Assert.True(submitted.IsSuccessStatusCode, await submitted.Content.ReadAsStringAsync(Ct));
        return (await submitted.Content.ReadFromJsonAsync<OtaJob>(NetworkFunctionHost.JsonOptions, Ct))!.Id;
    }

    private static async Task<string> OtaJobStateAsync(HttpClient ota, string id, string awaited)
    {
        OtaJob job = null!;
        for (var i = 0; i < 200; i++)
        {
            job = (await ota.GetFromJsonAsync<OtaJob>($"jobs/{id}", NetworkFunctionHost.JsonOptions, Ct))!;
            if (job.State == awaited || job.State == "failed")
                break;
            await Task.Delay(100, Ct);
        }
        return job.State == awaited ? job.State : $"{job.State}: {job.Failure}";
    }

    /// <summary>What the SMSC holds for <paramref name="to"/>: each message's TPDUs (taken away, as a device's poll would).</summary>
    private async Task<List<List<string>>> DrainAsync(string to)
    {
        using var smsc = M2MSec.Device.Provisioning.RoProvisioningClient.Client(new Uri(fleet.Address("smsc-device")),
            System.Security.Cryptography.X509Certificates.X509CertificateLoader.LoadCertificateFromFile(Path.Combine(fleet.Directory, "root.pem")));
        var messages = await new M2MSec.NetworkFunctions.Smsc.SmscClient(smsc, "sms/").DeliverAsync(to, 5, Ct);
        return [.. messages.Where(m => m.Tpdus is not null).Select(m => m.Tpdus!.ToList())];
    }

    /// <summary>The card's CNTR per key set, read from its sealed image (the device's fuse opens it).</summary>
    private string Counters(string dir)
    {
        var info = M2MSec.Device.M2me.M2meDevice.ReadInfo(dir);
        var card = SimulatedUicc.Load(dir, fleet.Fuses, info.TreId);
        return string.Join(",", card.Card.KeySets.Select(k => $"{Convert.ToHexString(k.Tar)}:{k.KeySet.Counter}").Order(StringComparer.Ordinal));
    }
}
