using System.Diagnostics;
using System.Globalization;
using M2MSec.NetworkFunctions.Console;
using M2MSec.NetworkFunctions.Hosting;
using M2MSec.Storage;
using M2MSec.Storage.Ccif;
using M2MSec.Storage.Dm;
using M2MSec.Storage.Dpf;
using M2MSec.Storage.Drf;
using M2MSec.Storage.Sho;
using M2MSec.Tests.Support;

namespace M2MSec.Tests.Console;

/// <summary>
/// Issue 20, the console at scale (docs/console.md): N TRE-based devices seeded straight into the CCIF's, DRF's, DPF's, SHO's and DM
/// server's SQLite stores (a quarter at each of steps 0, 12, 21 and failed at the DPF), N/10 UICC-based devices (DM accounts), and
/// the queries behind the fleet, funnel and device pages timed. Asserts counts and paging, not time. N is 300, or
/// M2MSEC_CONSOLE_DEVICES for the measured run.
/// </summary>
public sealed class ConsoleScaleTests(ITestOutputHelper output)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static int Devices => int.TryParse(Environment.GetEnvironmentVariable("M2MSEC_CONSOLE_DEVICES"), CultureInfo.InvariantCulture, out var n) && n >= 8 ? n : 300;

    private static string Pcid(int i) => "00190" + i.ToString("D10", CultureInfo.InvariantCulture);

    private static string TreId(int i) => "TRE-" + i.ToString("X16", CultureInfo.InvariantCulture);

    [Fact]
    public async Task Fleet_Funnel_Device_OverSeededStores_OneRowPerDevice_PagedAndFilteredInTheQueries()
    {
        var dir = TestKeyRing.TempDirectory("m2msec-console-scale-");
        try
        {
            var fleet = new StoreOptions(Path.Combine(dir, "nf"), Path.Combine(dir, "kek.json"));
            var n = Devices;
            var uicc = n / 10;
            await SeedAsync(fleet, n, uicc);
            await using var stores = new ConsoleStores(fleet);
            var views = new ConsoleViews(stores);
            int Residue(int r) => (n - r + 3) / 4; // how many i < n have i % 4 == r

            var watch = Stopwatch.StartNew();
            var first = await views.FleetAsync(new FleetFilter(), 1, Ct);
            var fleetMs = watch.Elapsed.TotalMilliseconds;
            Assert.Equal(n + uicc, first.Total);
            Assert.Equal(ConsoleViews.PageSize, first.Rows.Count);
            Assert.All(first.Rows, r => Assert.Equal("tre", r.Kind));
            var lastPage = (n + uicc + ConsoleViews.PageSize - 1) / ConsoleViews.PageSize;
            watch.Restart();
            var last = await views.FleetAsync(new FleetFilter(), lastPage, Ct);
            var lastMs = watch.Elapsed.TotalMilliseconds;
            Assert.Equal(n + uicc - ((lastPage - 1) * ConsoleViews.PageSize), last.Rows.Count);
            // The DM accounts of TRE-based devices joined to their rows, not listed again: the UICC-based ones come after every TRE-based one.
            Assert.Equal(last.Rows.Count - Math.Max(0, n - ((lastPage - 1) * ConsoleViews.PageSize)), last.Rows.Count(r => r.Kind == "uicc"));
            Assert.Equal(uicc, (await views.FleetAsync(new FleetFilter(Kind: "uicc"), 1, Ct)).Total);
            watch.Restart();
            var provisioned = await views.FleetAsync(new FleetFilter(Kind: "tre", Stage: "provisioned"), 1, Ct);
            var stageMs = watch.Elapsed.TotalMilliseconds;
            Assert.Equal(Residue(3), provisioned.Total);
            Assert.All(provisioned.Rows, r => Assert.Equal(21, r.Step));
            var one = await views.FleetAsync(new FleetFilter(Text: Pcid(7)), 1, Ct);
            Assert.Equal(Pcid(7), Assert.Single(one.Rows).Id);

            watch.Restart();
            var (devices, atStep, failures) = await views.FunnelAsync(Ct);
            var funnelMs = watch.Elapsed.TotalMilliseconds;
            Assert.Equal(n, devices);
            Assert.Equal(Residue(3), atStep[21]);
            Assert.Equal(Residue(1), atStep[12]);
            Assert.Equal(Residue(2), atStep[11]); // failed at the DPF: counted at its first step
            Assert.Equal(Residue(0), atStep[0]);
            Assert.Equal(Residue(2), Assert.Single(failures, f => f.Key == "failed: pva-unreachable").Value);

            watch.Restart();
            var device = (await views.DeviceAsync(TreId(3), Ct))!;
            var audit = await views.AuditOfAsync(device.DevIds.ToHashSet(StringComparer.Ordinal), 200, Ct);
            var jobs = await views.DmJobsAsync(device.DevIds, Ct);
            var deviceMs = watch.Elapsed.TotalMilliseconds;
            Assert.Equal(Pcid(3), device.Id);
            Assert.Contains(TreId(3), device.DevIds);
            Assert.Equal(21, device.Step);
            Assert.Contains(audit, e => e.Entry.Subject == Pcid(3) && e.Entry.Action == "ccif.manufacture");
            Assert.Single(jobs);

            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"devices {n} TRE + {uicc} UICC: fleet page 1 {fleetMs:F0} ms, last page {lastMs:F0} ms, stage filter {stageMs:F0} ms, funnel {funnelMs:F0} ms, device {deviceMs:F0} ms"));
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    /// <summary>The stores as the roles leave them, written directly (no service): a quarter of the devices at each of steps 0, 12, 21 and failed.</summary>
    private static async Task SeedAsync(StoreOptions fleet, int n, int uicc)
    {
        async Task<IStateStore> OpenAsync(string role) => await (fleet with { DataDirectory = Path.Combine(fleet.DataDirectory, role) }).OpenAsync(createKeyRing: true, cancellationToken: Ct);
        await using var ccif = await OpenAsync("ccif");
        await using var drf = await OpenAsync("drf");
        await using var dpf = await OpenAsync("dpf");
        await using var sho = await OpenAsync("sho");
        await using var dm = await OpenAsync("dm");
        var now = DateTimeOffset.UtcNow;
        for (var i = 0; i < n; i++)
        {
            var (pcid, tre) = (Pcid(i), TreId(i));
            Assert.True(await ccif.Ccif.AddDeviceAsync(new CcifDevice(pcid, tre, "ec-p256", new byte[16], new byte[16], "01", "02", [1], [2], null, now), Ct));
            await ccif.Audit.AppendAsync("ccif", "ccif.manufacture", pcid, null, Ct);
            await dm.Dm.AddAccountAsync(new DmAccount(tre, "m2msec", tre, "client-secret"u8.ToArray(), "server-secret"u8.ToArray(), "md5", "md5", now), Ct);
            switch (i % 4)
            {
                case 1:
                    await drf.Drf.PutRegistrationAsync(new DrfRegistration(pcid, "sho", "https://dpf.example/dm", tre, "registered", now), Ct);
                    break;
                case 2:
                    await dpf.Dpf.AddAsync(new DpfProvisioning(pcid, "sho", DpfProvisioning.Failed, now, now, Reason: "pva-unreachable"), Ct);
                    break;
                case 3:
                    await sho.Sho.AddAsync(new ShoSubscription(pcid, tre, [], [], [], [], null, ShoSubscription.Active, "00101" + i.ToString("D10", CultureInfo.InvariantCulture),
                        new byte[16], new byte[16], null, now, now), Ct);
                    await dm.Dm.AddJobAsync(new DmJobRecord("job-" + tre, tre, "done", now, now, [new DmCommandRecord("job-" + tre, 1, "get", "./DevInfo/Mod", null, 200, "M2ME-TRE")]), Ct);
                    break;
            }
        }
        for (var i = 0; i < uicc; i++)
            await dm.Dm.AddAccountAsync(new DmAccount("UICC-" + i.ToString("D6", CultureInfo.InvariantCulture), "m2msec", "u", "client-secret"u8.ToArray(), "server-secret"u8.ToArray(),
                "md5", "md5", now), Ct);
    }
}
