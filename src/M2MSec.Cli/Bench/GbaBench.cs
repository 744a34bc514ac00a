using System.Diagnostics;
using System.Net.Http.Json;
using System.Security.Cryptography;
using M2MSec.Aka;
using M2MSec.Aka.Gba;
using M2MSec.Device.Gba;
using M2MSec.Device.Uicc;
using M2MSec.NetworkFunctions.Hosting;
using M2MSec.NetworkFunctions.Hss;

namespace M2MSec.Cli.Bench;

/// <summary>
/// `m2msec bench gba` (issue 18): GBA_U bootstrappings per second over HTTP on loopback (device ↔ BSF's device listener, TLS;
/// BSF ↔ HSS over mutual TLS), the CPU per bootstrapping and the share of it MILENAGE takes (two runs each: HSS and USIM), and
/// NAF key requests per second over Zn (mutual TLS, a naf certificate). Every role in this process, as `serve all`.
/// </summary>
internal static class GbaBench
{
    public static async Task<List<KeyValuePair<string, object?>>> RunAsync(TimeSpan duration, int parallel, TextWriter err, CancellationToken ct)
    {
        err.WriteLine($"bench gba: {duration.TotalSeconds:F0} s per measurement, {parallel} in parallel, every role in this process on loopback (mutual TLS)");
        var dir = Directory.CreateTempSubdirectory("m2msec-bench-gba-").FullName;
        try
        {
            var kek = Path.Combine(dir, "kek.json");
            await using var fleet = await NetworkFunctionCatalog.StartAllAsync(new StoreOptions(Path.Combine(dir, "nf"), kek), createKeyRing: true, cancellationToken: ct);
            using var hssHttp = fleet.AdminClient("hss", TimeSpan.FromSeconds(30));
            var hss = new HssClient(hssHttp);
            var devices = new List<UiccGbaAuthenticator>();
            for (var i = 0; i < parallel; i++)
            {
                var imsi = $"00101{900_000_000 + i:D10}";
                var (k, opc) = (RandomNumberGenerator.GetBytes(16), RandomNumberGenerator.GetBytes(16));
                await hss.AddSubscriberAsync(imsi, k, opc, new byte[] { 0x80, 0x00 }, ct);
                await hss.SetGbaTypeAsync(imsi, "gba_u", ct);
                devices.Add(new UiccGbaAuthenticator(new SimulatedUsim(imsi, k, opc)));
            }
            using var bsf = Device.Provisioning.RoProvisioningClient.Client(fleet["bsf"].DeviceAddress!, fleet.Hierarchy!.Root);
            var bTids = new System.Collections.Concurrent.ConcurrentBag<string>();
            async Task Bootstrap(int i) => bTids.Add((await GbaBootstrapClient.BootstrapAsync(bsf, devices[i], ct)).BTid);
            for (var i = 0; i < parallel; i++)
                await Bootstrap(i); // warm: connections, JIT
            var (bootstraps, bootstrapSeconds, bootstrapCpu) = await MeasureAsync(duration, parallel, Bootstrap, ct);

            // MILENAGE alone, one core: the cost of one f1…f5 run.
            var mk = RandomNumberGenerator.GetBytes(16);
            var rand = RandomNumberGenerator.GetBytes(16);
            var watch = Stopwatch.StartNew();
            var runs = 0;
            while (watch.Elapsed < TimeSpan.FromMilliseconds(500))
            {
                Milenage.Default.Compute(mk, mk, rand, new byte[6], new byte[2], out var o);
                o.Clear();
                runs++;
            }
            var milenageSeconds = watch.Elapsed.TotalSeconds / runs;
            var cpuPerBootstrap = bootstrapCpu / bootstraps;

            using var naf = await fleet.ClientAsAsync("naf", "bsf", TimeSpan.FromSeconds(30), ct, "naf", [NetworkFunctionCatalog.DefaultNafFqdn]);
            var ids = bTids.ToArray();
            var nafId = Convert.ToHexStringLower(UaPskTls.NafId(NetworkFunctionCatalog.DefaultNafFqdn));
            async Task Zn(int i)
            {
                using var response = await naf.PostAsJsonAsync("zn/naf-keys", new { b_tid = ids[Random.Shared.Next(ids.Length)], naf_id = nafId }, ct);
                response.EnsureSuccessStatusCode();
            }
            await Zn(0);
            var (requests, znSeconds, znCpu) = await MeasureAsync(duration, parallel, Zn, ct);
            return
            [
                new("parallel", parallel),
                new("bootstraps_per_s", Math.Round(bootstraps / bootstrapSeconds, 1)),
                new("cpu_ms_per_bootstrap", Math.Round(cpuPerBootstrap * 1000, 2)),
                new("milenage_us", Math.Round(milenageSeconds * 1e6, 2)),
                new("milenage_share", Math.Round(2 * milenageSeconds / cpuPerBootstrap, 4)),
                new("zn_requests_per_s", Math.Round(requests / znSeconds, 1)),
                new("cpu_ms_per_zn_request", Math.Round(znCpu / requests * 1000, 3)),
            ];
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            try
            {
                Directory.Delete(dir, true);
            }
            catch (IOException)
            {
            }
        }
    }

    /// <summary><paramref name="parallel"/> loops of <paramref name="op"/> for <paramref name="duration"/>: operations, wall seconds, process CPU seconds.</summary>
    private static async Task<(long Ops, double Seconds, double Cpu)> MeasureAsync(TimeSpan duration, int parallel, Func<int, Task> op, CancellationToken ct)
    {
        long ops = 0;
        var cpu0 = Demo.DemoSummary.ProcessCpuSeconds();
        var watch = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, parallel).Select(async i =>
        {
            while (watch.Elapsed < duration)
            {
                await op(i);
                Interlocked.Increment(ref ops);
            }
        }));
        return (ops, watch.Elapsed.TotalSeconds, Demo.DemoSummary.ProcessCpuSeconds() - cpu0);
    }
}
