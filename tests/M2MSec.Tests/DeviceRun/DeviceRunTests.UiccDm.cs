using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using M2MSec.Dm.Auth;
using M2MSec.Dm.Notification;

namespace M2MSec.Tests.DeviceRun;

/// <summary>
/// Issue 20, `device run --kind uicc` with OMA DM: the device gets a DM account at creation by a MAC-checked bootstrap from the DM server
/// (its admin API making the account), answers `dm notify` (package 0 at its ICCID) with a session in which a NAS job queued at the DM
/// server is done, runs scheduled sessions, and keeps its account across a restart; a forged package 0 opens no session.
/// </summary>
public sealed partial class DeviceRunTests
{
    private string DmStore => Path.Combine(fleet.Directory, "dm");

    /// <summary>
    /// Issue 20: a NAS job done in the session `dm notify` asks for, another in the session a DM-session trigger asks for; after a restart
    /// the same account runs a scheduled session.
    /// </summary>
    [Fact]
    public async Task DeviceRunUicc_DmAccountByBootstrap_NotifiedAndTriggeredNasJobsDone_RestartKeepsAccount_ScheduledSession_UnauthorisedDmAccountThreat()
    {
        var dir = NewDeviceDirectory();
        string iccid, imsi;
        using var dm = Admin("dm-admin");
        await using (var device = fleet.Run("--data", dir, "--kind", "uicc", "--paging-interval", "5", "--dm-interval", "3600"))
        {
            var created = (await device.WaitForAsync("created"))[0];
            (imsi, iccid) = Identities(DeviceProcess.Detail(created));
            Assert.Contains("DM account m2msec-dm", DeviceProcess.Detail(created), StringComparison.Ordinal);
            await device.WaitForAsync("attached");

            // Queued at the DM server (as `dm job add` does), asked for by package 0 over the SMSC at the device's ICCID.
            var job = await QueueDmJobAsync(iccid, "NAS_SignallingPriority=1");
            Assert.Equal("queued", await DmJobStateAsync(dm, iccid, job, "queued"));
            var (code, stdout, stderr) = await DmNotifyAsync(iccid, iccid);
            Assert.True(code == 0, stdout + stderr);
            await device.WaitForAsync("dm-session", d => d.StartsWith("notified: completed", StringComparison.Ordinal));
            Assert.Equal("done", await DmJobStateAsync(dm, iccid, job, "done"));
            Assert.DoesNotContain(device.Events, e => DeviceProcess.Event(e) is "ota-refused" or "sms-ignored");

            // A DM-session trigger from the MTC server (checked against the NAS context first): a session that runs the next job.
            Assert.Equal(0, (await fleet.CliAsync("group", "features", "--endpoints", fleet.Endpoints, "--identity", imsi, "--set", "triggering")).ExitCode);
            var external = $"dm-{imsi[^6..]}@mtc.example";
            Assert.Equal(0, (await fleet.CliAsync("trigger", "grant", "--endpoints", fleet.Endpoints, "--mtc-server", "mtc-server", "--device", external, "--imsi", imsi)).ExitCode);
            var second = await QueueDmJobAsync(iccid, "ExtendedAccessBarring=1");
            (code, stdout, stderr) = await fleet.CliAsync("trigger", "send", "--endpoints", fleet.Endpoints, "--device", external, "--dm-session");
            Assert.True(code == 0, stdout + stderr);
            await device.WaitForAsync("dm-session", d => d.StartsWith("triggered: completed", StringComparison.Ordinal));
            Assert.Equal("done", await DmJobStateAsync(dm, iccid, second, "done"));
            Assert.Equal(0, await device.StopAsync());
            Assert.DoesNotContain(device.Events, e => DeviceProcess.Detail(e).Contains("password", StringComparison.OrdinalIgnoreCase));
        }
        // Sealed: no file of the device directory holds the account in the clear.
        foreach (var file in Directory.EnumerateFiles(dir, "*", SearchOption.AllDirectories))
            Assert.DoesNotContain("m2msec-dmacc", File.ReadAllText(file), StringComparison.Ordinal);

        // Restarted: the same account (no new one at the DM server) opened from the TRE; a session every 2 s, and the next job done
        // without a notification.
        await using (var again = fleet.Run("--data", dir, "--kind", "uicc", "--paging-interval", "5", "--dm-interval", "2"))
        {
            var resumed = (await again.WaitForAsync("resumed"))[0];
            Assert.Contains("DM account for m2msec-dm kept", DeviceProcess.Detail(resumed), StringComparison.Ordinal);
            await again.WaitForAsync("dm-session", d => d.StartsWith("scheduled: completed", StringComparison.Ordinal));
            var job = await QueueDmJobAsync(iccid, "MinimumPeriodicSearchTimer=30");
            Assert.Equal("done", await DmJobStateAsync(dm, iccid, job, "done"));
            Assert.Contains(again.Events, e => DeviceProcess.Event(e) == "dm-session" && DeviceProcess.Detail(e).StartsWith("scheduled: completed", StringComparison.Ordinal));
            Assert.Equal(0, await again.StopAsync());
            Assert.DoesNotContain(again.Events, e => DeviceProcess.Event(e) == "created");
        }
        var (listed, accounts, _) = await fleet.CliAsync("dm", "account", "list", "--data", DmStore, "--kek-file", fleet.KekFile, "--json");
        Assert.Equal(0, listed);
        Assert.Single(JsonDocument.Parse(accounts).RootElement.GetProperty("accounts").EnumerateArray(), a => a.GetProperty("dev_id").GetString() == iccid);

        // The DM server's admin API: each bad field an RFC 9457 problem naming it and nothing made, a second account for the device
        // refused (409); not on the device listener.
        var key = new string('0', 64);
        foreach (var (body, field) in new (object Body, string Field)[]
        {
            (new { dev_id = "", server_uri = fleet.Address("dm"), bootstrap_key = key }, "dev_id"),
            (new { dev_id = "bad-uri-device", server_uri = "ftp://x", bootstrap_key = key }, "server_uri"),
            (new { dev_id = "bad-key-device", server_uri = fleet.Address("dm"), bootstrap_key = "00" }, "bootstrap_key"),
        })
        {
            using var bad = await dm.PostAsJsonAsync("accounts", body, Ct);
            Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
            Assert.Equal("application/problem+json", bad.Content.Headers.ContentType?.MediaType);
            Assert.Contains($"{field}:", await bad.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
        }
        foreach (var none in new[] { "bad-uri-device", "bad-key-device" })
        {
            using var absent = await dm.GetAsync($"accounts/{none}/jobs", Ct);
            Assert.Equal(HttpStatusCode.NotFound, absent.StatusCode);
        }
        // Another role's certificate (an MTC server's, which serve all writes beside endpoints.json) gets 403 on all three, and makes nothing.
        var mtcServer = M2MSec.NetworkFunctions.Hosting.NetworkFunctionTls.Load(Path.Combine(fleet.Directory, "mtc-server.crt"),
            Path.Combine(fleet.Directory, "mtc-server.key"), Path.Combine(fleet.Directory, "chain.pem"), Path.Combine(fleet.Directory, "root.pem"));
        using (var other = mtcServer.CreateClient(new Uri(fleet.Address("dm-admin")), TimeSpan.FromSeconds(30)))
        {
            using var add = await other.PostAsJsonAsync("accounts", new { dev_id = "wrong-role-device", server_uri = fleet.Address("dm"), bootstrap_key = key }, Ct);
            using var remove = await other.DeleteAsync($"accounts/{iccid}", Ct);
            using var jobs = await other.GetAsync($"accounts/{iccid}/jobs", Ct);
            Assert.Equal((HttpStatusCode.Forbidden, HttpStatusCode.Forbidden, HttpStatusCode.Forbidden), (add.StatusCode, remove.StatusCode, jobs.StatusCode));
        }
        using (var absent = await dm.GetAsync("accounts/wrong-role-device/jobs", Ct))
            Assert.Equal(HttpStatusCode.NotFound, absent.StatusCode);
        using (var twice = await dm.PostAsJsonAsync("accounts", new { dev_id = iccid, server_uri = fleet.Address("dm"), bootstrap_key = new string('0', 64) }, Ct))
            Assert.Equal(HttpStatusCode.Conflict, twice.StatusCode);
        using var deviceSide = M2MSec.Device.Provisioning.RoProvisioningClient.Client(new Uri(fleet.Address("dm")),
            System.Security.Cryptography.X509Certificates.X509CertificateLoader.LoadCertificateFromFile(Path.Combine(fleet.Directory, "root.pem")));
        using (var hidden = await deviceSide.GetAsync(new Uri(new Uri(fleet.Address("dm")), $"/accounts/{iccid}/jobs"), Ct))
            Assert.Equal(HttpStatusCode.NotFound, hidden.StatusCode);
    }

    /// <summary>
    /// Issue 20, threat: anyone can submit a short message to the device's ICCID on the SMSC's device listener. A package 0 with the DM
    /// server's ServerID and a digest under a guessed password (a wrong digest) is refused and no session opens — the job stays queued at
    /// the DM server — until the server's own notification.
    /// </summary>
    [Fact]
    public async Task DeviceRunUicc_WrongDigestPackage0_Refused_NoSessionOpens_ForgedDmNotificationThreat()
    {
        using var dm = Admin("dm-admin");
        await using var device = fleet.Run("--data", NewDeviceDirectory(), "--kind", "uicc", "--paging-interval", "5", "--dm-interval", "3600");
        var created = (await device.WaitForAsync("created"))[0];
        var iccid = Identities(DeviceProcess.Detail(created)).Iccid;
        await device.WaitForAsync("attached");
        var job = await QueueDmJobAsync(iccid, "AttachWithIMSI=1");

        var forged = DmNotificationCodec.Encode(new DmNotification("m2msec-dm", 4242, DmUiMode.Background),
            new DmCredentials("m2msec-dm", "guessed-password"u8.ToArray()), DmNonce.New());
        using var smsc = M2MSec.Device.Provisioning.RoProvisioningClient.Client(new Uri(fleet.Address("smsc-device")),
            System.Security.Cryptography.X509Certificates.X509CertificateLoader.LoadCertificateFromFile(Path.Combine(fleet.Directory, "root.pem")));
        await SubmitAsync(smsc, iccid, Tpdus(forged));
        await device.WaitForAsync("notification-refused", d => d.Contains("digest", StringComparison.OrdinalIgnoreCase));
        await Task.Delay(500, Ct);
        Assert.DoesNotContain(device.Events, e => DeviceProcess.Event(e) is "dm-session" or "ota-refused");
        Assert.Equal("queued", await DmJobStateAsync(dm, iccid, job, "queued"));

        var (code, stdout, stderr) = await DmNotifyAsync(iccid, iccid);
        Assert.True(code == 0, stdout + stderr);
        await device.WaitForAsync("dm-session", d => d.StartsWith("notified: completed", StringComparison.Ordinal));
        Assert.Equal("done", await DmJobStateAsync(dm, iccid, job, "done"));
        Assert.Equal(0, await device.StopAsync());
    }

    private Task<(int ExitCode, string Stdout, string Stderr)> DmNotifyAsync(string devId, string to) => fleet.CliAsync(
        "dm", "notify", "--data", DmStore, "--kek-file", fleet.KekFile, "--dev-id", devId, "--to", to, "--smsc", fleet.Address("smsc"),
        "--cert", Path.Combine(fleet.Directory, "admin.crt"), "--key", Path.Combine(fleet.Directory, "admin.key"), "--trust-root", Path.Combine(fleet.Directory, "root.pem"));

    private async Task<string> QueueDmJobAsync(string devId, string nas)
    {
        var (code, stdout, stderr) = await fleet.CliAsync("dm", "job", "add", "--data", DmStore, "--kek-file", fleet.KekFile, "--dev-id", devId, "--nas", nas, "--json");
        Assert.True(code == 0, stdout + stderr);
        return JsonDocument.Parse(stdout).RootElement.GetProperty("jobs")[0].GetProperty("id").GetString()!;
    }

    /// <summary>The job's state as the DM server's admin API reports it, once it is <paramref name="awaited"/> (or after 20 s).</summary>
    private static async Task<string> DmJobStateAsync(HttpClient dm, string devId, string job, string awaited)
    {
        var state = "";
        for (var i = 0; i < 200 && state != awaited; i++)
        {
            if (i > 0)
                await Task.Delay(100, Ct);
            var list = await dm.GetFromJsonAsync<JsonElement>($"accounts/{Uri.EscapeDataString(devId)}/jobs", Ct);
            state = list.GetProperty("jobs").EnumerateArray().Single(j => j.GetProperty("id").GetString() == job).GetProperty("state").GetString()!;
        }
        return state;
    }
}
