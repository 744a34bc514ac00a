using System.Net.Http.Json;
using System.Text.Json;
using M2MSec.Device.Gba;
using M2MSec.Dm.Auth;
using M2MSec.Dm.Notification;
using M2MSec.Ota.SmsPp;
using M2MSec.Tests.Support;

namespace M2MSec.Tests.DeviceRun;

/// <summary>
/// Issue 20, "Devices that run on their own": `m2msec device run` as its own process against `serve all` (here in the test process) —
/// provisioned through the 21 steps and seen so by the SHO, a DM job queued at its DPF run after `dm notify` (package 0 over the SMSC's
/// device listener, long polled) and read back, a trigger from `trigger send` acted on, SIGTERM → exit 0, a restart that does not
/// provision again; `--count 3`; its exit codes 2 and 4; and a forged or replayed DM notification that opens no session.
/// </summary>
[LongRunning(55)]
public sealed partial class DeviceRunTests(DeviceRunFleet fleet) : IClassFixture<DeviceRunFleet>
{
    private string Dpf => Path.Combine(fleet.Directory, "dpf");

    private string NewDeviceDirectory() => Path.Combine(fleet.Directory, "devices", Guid.NewGuid().ToString("N")[..8]);

    /// <summary>Issue 20: one device, started in another process, provisioned, configured by DM, triggered, stopped and restarted.</summary>
    [Fact]
    public async Task DeviceRun_ProvisionsInAnotherProcess_RunsNotifiedDmJob_AnswersTriggers_SigtermExits0_RestartDoesNotProvisionAgain()
    {
        var dir = NewDeviceDirectory();
        string pcid, imsi;
        await using (var device = fleet.Run("--data", dir, "--dm-interval", "3600", "--paging-interval", "1"))
        {
            var provisioned = (await device.WaitForAsync("provisioned"))[0];
            pcid = provisioned.GetProperty("pcid").GetString()!;
            imsi = DeviceProcess.Detail(provisioned).Split(' ')[1];
            await device.WaitForAsync("attached");

            // The SHO holds the subscription as active with that IMSI (its API, as `sho subscription list` reads it).
            Assert.Equal(("active", imsi), await SubscriptionAsync(pcid));

            // A DM job queued at the device's DM server (its DPF) runs in the session the notification asks for; the read-back is equal.
            var job = await QueueNasJobAsync(pcid, "NAS_SignallingPriority=1");
            var (code, stdout, stderr) = await NotifyAsync(pcid);
            Assert.True(code == 0, stdout + stderr);
            await device.WaitForAsync("dm-session", d => d.StartsWith("notified: completed", StringComparison.Ordinal));
            Assert.Equal("done", await JobStateAsync(pcid, job));

            // Triggers from the MTC server: application data, and a DM session that runs a second job.
            Assert.Equal(0, (await fleet.CliAsync("group", "features", "--endpoints", fleet.Endpoints, "--identity", imsi, "--set", "triggering")).ExitCode);
            var external = $"meter-{pcid[^6..]}@mtc.example";
            Assert.Equal(0, (await fleet.CliAsync("trigger", "grant", "--endpoints", fleet.Endpoints, "--mtc-server", "mtc-server", "--device", external, "--imsi", imsi)).ExitCode);
            (code, stdout, stderr) = await fleet.CliAsync("trigger", "send", "--endpoints", fleet.Endpoints, "--device", external, "--payload", "cafe01");
            Assert.True(code == 0, stdout + stderr);
            await device.WaitForAsync("application-data", d => d.EndsWith("cafe01", StringComparison.Ordinal));
            var second = await QueueNasJobAsync(pcid, "MinimumPeriodicSearchTimer=30");
            (code, stdout, stderr) = await fleet.CliAsync("trigger", "send", "--endpoints", fleet.Endpoints, "--device", external, "--dm-session");
            Assert.True(code == 0, stdout + stderr);
            await device.WaitForAsync("dm-session", d => d.StartsWith("triggered: completed", StringComparison.Ordinal));
            Assert.Equal("done", await JobStateAsync(pcid, second));

            // GBA: bootstrapped with the BSF once attached (Ks in the TRE, the B-TID kept in the directory).
            await device.WaitForAsync("gba-bootstrapped");

            // SIGTERM: a clean stop, exit 0.
            Assert.Equal(0, await device.StopAsync());
            await device.WaitForAsync("stopped");
            Assert.DoesNotContain(device.Events, e => DeviceProcess.Detail(e).Contains("password", StringComparison.OrdinalIgnoreCase));
        }

        // A restart continues from the device directory: no provisioning, the same MCIM, and it still answers its DM server. Its GBA key
        // now near its end (one minute left), it bootstraps again before using it.
        var gba = GbaBootstrapRecord.Load(dir)!;
        (gba with { Expires = DateTimeOffset.UtcNow.AddMinutes(1) }).Save(dir);
        await using (var again = fleet.Run("--data", dir, "--dm-interval", "3600", "--paging-interval", "1"))
        {
            var resumed = (await again.WaitForAsync("resumed"))[0];
            Assert.Contains(imsi, DeviceProcess.Detail(resumed), StringComparison.Ordinal);
            await again.WaitForAsync("attached");
            var renewed = (await again.WaitForAsync("gba-renewed"))[0];
            Assert.DoesNotContain(gba.BTid, DeviceProcess.Detail(renewed), StringComparison.Ordinal);
            Assert.True(GbaBootstrapRecord.Load(dir)!.Expires > DateTimeOffset.UtcNow.AddHours(1));
            var job = await QueueNasJobAsync(pcid, "ExtendedAccessBarring=1");
            Assert.Equal(0, (await NotifyAsync(pcid)).ExitCode);
            await again.WaitForAsync("dm-session", d => d.StartsWith("notified: completed", StringComparison.Ordinal));
            Assert.Equal("done", await JobStateAsync(pcid, job));
            Assert.Equal(0, await again.StopAsync());
            Assert.DoesNotContain(again.Events, e => DeviceProcess.Event(e) is "provisioning" or "provisioned");
        }
        Assert.Equal(("active", imsi), await SubscriptionAsync(pcid));
    }

    /// <summary>Issue 20: `--count 3` runs three devices in one process — three distinct PCIDs, TREs and IMSIs, each active at the SHO.</summary>
    [Fact]
    public async Task DeviceRun_Count3_ThreeDistinctDevicesProvisionedInOneProcess()
    {
        var dir = NewDeviceDirectory();
        Directory.CreateDirectory(dir);
        await using var devices = fleet.Run("--data", dir, "--count", "3", "--dm-interval", "3600");
        var attached = await devices.WaitForAsync("attached", count: 3);
        var pcids = attached.Select(e => e.GetProperty("pcid").GetString()!).ToHashSet();
        var tres = attached.Select(e => e.GetProperty("tre_id").GetString()!).ToHashSet();
        var imsis = attached.Select(e => DeviceProcess.Detail(e).Split(' ')[1].TrimEnd(',')).ToHashSet();
        Assert.Equal((3, 3, 3), (pcids.Count, tres.Count, imsis.Count));
        foreach (var pcid in pcids)
            Assert.Equal("active", (await SubscriptionAsync(pcid)).State);
        Assert.Equal(["device-1", "device-2", "device-3"], Directory.GetDirectories(dir).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        Assert.Equal(0, await devices.StopAsync());
    }

    /// <summary>Issue 20: bad arguments exit 2 naming the option; an unreachable peer, or a device another process runs, exit 4.</summary>
    [Fact]
    public async Task DeviceRun_BadArgumentsExit2_UnreachablePeerOrDeviceInUseExit4()
    {
        var dir = NewDeviceDirectory();
        var (code, _, stderr) = await fleet.CliAsync("device", "run", "--data", dir, "--endpoints", fleet.Endpoints, "--count", "0");
        Assert.Equal(2, code);
        Assert.Contains("--count", stderr, StringComparison.Ordinal);
        (code, _, stderr) = await fleet.CliAsync("device", "run", "--data", dir, "--endpoints", Path.Combine(dir, "no-such.json"));
        Assert.Equal(2, code);
        Assert.Contains("--endpoints", stderr, StringComparison.Ordinal);
        (code, _, stderr) = await fleet.CliAsync("device", "run", "--data", dir);
        Assert.Equal(2, code);
        Assert.Contains("--endpoints", stderr, StringComparison.Ordinal);
        Assert.False(Directory.Exists(dir));

        // A VNO that accepts no connection: exit 4 before anything is made.
        var down = Path.Combine(fleet.Directory, "endpoints-down.json");
        var map = JsonSerializer.Deserialize<Dictionary<string, string>>(await File.ReadAllTextAsync(fleet.Endpoints, TestContext.Current.CancellationToken))!;
        map["vno-device"] = $"https://127.0.0.1:{LoopbackPort.Free()}/";
        await File.WriteAllTextAsync(down, JsonSerializer.Serialize(map), TestContext.Current.CancellationToken);
        (code, _, stderr) = await fleet.CliAsync("device", "run", "--data", dir, "--endpoints", down, "--fuse-dir", fleet.Fuses);
        Assert.Equal(4, code);
        Assert.Contains("vno-device", stderr, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(dir, "tre")));

        // A device directory with one device and --count 3: 2. A device another process runs (its lock held): 4.
        Assert.Equal(0, (await fleet.CliAsync("device", "create", "--data", dir, "--fuse-dir", fleet.Fuses, "--pcid", "001900000000777")).ExitCode);
        (code, _, stderr) = await fleet.CliAsync("device", "run", "--data", dir, "--endpoints", fleet.Endpoints, "--fuse-dir", fleet.Fuses, "--count", "3");
        Assert.Equal(2, code);
        Assert.Contains("--count", stderr, StringComparison.Ordinal);
        using (new FileStream(Path.Combine(dir, "run.lock"), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None))
        {
            (code, _, stderr) = await fleet.CliAsync("device", "run", "--data", dir, "--endpoints", fleet.Endpoints, "--fuse-dir", fleet.Fuses);
            Assert.Equal(4, code);
            Assert.Contains("another process", stderr, StringComparison.Ordinal);
        }
    }

    /// <summary>
    /// Issue 20, threat: anyone can put a short message on the radio side (the SMSC's device listener takes mobile-originated messages for
    /// any address), so a running device must not open a DM session for a package 0 whose digest its server did not make, nor for a real
    /// one replayed — the job queued at the DPF stays queued until the DPF's own notification.
    /// </summary>
    [Fact]
    public async Task DeviceRun_ForgedOrReplayedDmNotification_OpensNoSession_ForgedNotificationThreat()
    {
        await using var device = fleet.Run("--data", NewDeviceDirectory(), "--dm-interval", "3600");
        var pcid = (await device.WaitForAsync("attached"))[0].GetProperty("pcid").GetString()!;
        using var smsc = M2MSec.Device.Provisioning.RoProvisioningClient.Client(new Uri(fleet.Address("smsc-device")),
            System.Security.Cryptography.X509Certificates.X509CertificateLoader.LoadCertificateFromFile(Path.Combine(fleet.Directory, "root.pem")));
        var job = await QueueNasJobAsync(pcid, "NAS_SignallingPriority=1");

        // Forged: the DPF's ServerID, a digest under a password the forger guessed.
        var forged = DmNotificationCodec.Encode(new DmNotification("m2msec-dpf", 4242, DmUiMode.Background),
            new DmCredentials("m2msec-dpf", "guessed-password"u8.ToArray()), DmNonce.New());
        await SubmitAsync(smsc, pcid, Tpdus(forged));
        await device.WaitForAsync("notification-refused", d => d.Contains("bad-digest", StringComparison.OrdinalIgnoreCase) || d.Contains("digest", StringComparison.OrdinalIgnoreCase));
        await Task.Delay(500, TestContext.Current.CancellationToken);
        Assert.DoesNotContain(device.Events, e => DeviceProcess.Event(e) == "dm-session");
        Assert.Equal("queued", await JobStateAsync(pcid, job));

        // The DPF's own notification opens the session; the same SMS replayed afterwards opens none.
        var (code, stdout, _) = await NotifyAsync(pcid, "--json");
        Assert.Equal(0, code);
        await device.WaitForAsync("dm-session", d => d.StartsWith("notified: completed", StringComparison.Ordinal));
        Assert.Equal("done", await JobStateAsync(pcid, job));
        var later = await QueueNasJobAsync(pcid, "AttachWithIMSI=1");
        var tpdus = JsonDocument.Parse(stdout).RootElement.GetProperty("tpdus").EnumerateArray().Select(t => t.GetString()!).ToList();
        await SubmitAsync(smsc, pcid, tpdus);
        await device.WaitForAsync("notification-refused", count: 2);
        await Task.Delay(500, TestContext.Current.CancellationToken);
        Assert.Single(device.Events, e => DeviceProcess.Event(e) == "dm-session");
        Assert.Equal("queued", await JobStateAsync(pcid, later));
        Assert.Equal(0, await device.StopAsync());
    }

    private static List<string> Tpdus(byte[] package0)
    {
        var push = new WspPush(WspPush.SyncMlNotification, WspPush.SyncMlDmApplication, package0).Encode();
        return [.. PortAddressedSms.Tpdus(push, WspPush.PushPort, WspPush.OriginatorPort, new AddressField("4930000000", AddressField.TonInternational, AddressField.NpiIsdn),
            [0x62, 0x21, 0x30, 0x22, 0x00, 0x00, 0x00], 7).Select(Convert.ToHexStringLower)];
    }

    /// <summary>A mobile-originated submission on the SMSC's device listener, addressed to the device: what a forger on the radio side can do.</summary>
    private static async Task SubmitAsync(HttpClient smsc, string to, List<string> tpdus)
    {
        using var r = await smsc.PostAsJsonAsync("sms/submit", new { to, from = "4930000000", tpdus }, TestContext.Current.CancellationToken);
        Assert.True(r.IsSuccessStatusCode, $"submit: {(int)r.StatusCode}");
    }

    private Task<(int ExitCode, string Stdout, string Stderr)> NotifyAsync(string pcid, params string[] more) => fleet.CliAsync(
        ["dm", "notify", "--data", Dpf, "--kek-file", fleet.KekFile, "--dev-id", pcid, "--smsc", fleet.Address("smsc"),
        "--cert", Path.Combine(fleet.Directory, "admin.crt"), "--key", Path.Combine(fleet.Directory, "admin.key"), "--trust-root", Path.Combine(fleet.Directory, "root.pem"), .. more]);

    private async Task<string> QueueNasJobAsync(string pcid, string nas)
    {
        var (code, stdout, stderr) = await fleet.CliAsync("dm", "job", "add", "--data", Dpf, "--kek-file", fleet.KekFile, "--dev-id", pcid, "--nas", nas, "--json");
        Assert.True(code == 0, stdout + stderr);
        return JsonDocument.Parse(stdout).RootElement.GetProperty("jobs")[0].GetProperty("id").GetString()!;
    }

    private async Task<string> JobStateAsync(string pcid, string job)
    {
        var (code, stdout, stderr) = await fleet.CliAsync("dm", "job", "show", "--data", Dpf, "--kek-file", fleet.KekFile, "--dev-id", pcid, "--json");
        Assert.True(code == 0, stdout + stderr);
        return JsonDocument.Parse(stdout).RootElement.GetProperty("jobs").EnumerateArray().Single(j => j.GetProperty("id").GetString() == job).GetProperty("state").GetString()!;
    }

    private async Task<(string State, string Imsi)> SubscriptionAsync(string pcid)
    {
        var (code, stdout, stderr) = await fleet.CliAsync("sho", "subscription", "list", "--endpoints", fleet.Endpoints, "--json");
        Assert.True(code == 0, stdout + stderr);
        var s = JsonDocument.Parse(stdout).RootElement.GetProperty("subscriptions").EnumerateArray().Single(s => s.GetProperty("pcid").GetString() == pcid);
        return (s.GetProperty("state").GetString()!, s.GetProperty("imsi").GetString()!);
    }
}
