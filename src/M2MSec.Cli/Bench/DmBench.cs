using System.Diagnostics;
using System.Net.Security;
using System.Net.Sockets;
using M2MSec.Device.Dm;
using M2MSec.Device.M2me;
using M2MSec.Device.Tre;
using M2MSec.Dm.Auth;
using M2MSec.NetworkFunctions.Dm;
using M2MSec.NetworkFunctions.Hosting;
using M2MSec.Pki.Authority;
using M2MSec.Pki.Tls;
using M2MSec.Pki.Validation;
using M2MSec.Storage.Dm;
using M2MSec.Storage.InMemory;

namespace M2MSec.Cli.Bench;

/// <summary>
/// `bench dm`: complete DM configuration sessions per second over HTTPS on loopback (4 NAS
/// Replace + 4 read-back Get, both sides authenticated, device state sealed in its TRE), with a new
/// TLS connection per session and with one kept-alive connection; CPU time per session; and the
/// bound — the same server's bare TLS handshake rate, same run.
/// </summary>
internal static class DmBench
{
    private const string ServerId = "m2msec-dm";

    public static async Task<IReadOnlyList<KeyValuePair<string, object?>>> RunAsync(int devices, TimeSpan duration, TextWriter progress, CancellationToken ct)
    {
        var dir = Directory.CreateTempSubdirectory("m2msec-bench-dm-").FullName;
        try
        {
            var hierarchy = await CertificateHierarchy.InitAsync(new InMemoryCertificateStore(TimeProvider.System), "operator", KeyAlgorithm.EcP256, null, TimeProvider.System, ct);
            var cert = await hierarchy.IssueAsync(CertificateProfile.DmServer, new CertificateSubject("localhost", ["127.0.0.1"]), cancellationToken: ct);
            var store = new InMemoryStateStore();
            await using var host = await NetworkFunctionHost.StartAsync(new DmFunction(new DmFunctionOptions()), Path.Combine(dir, "dm"), store,
                "https://127.0.0.1:0", tls: NetworkFunctionTls.ServerOnly(new RenewingCertificate(cert), [hierarchy.Issuing]), cancellationToken: ct);
            var server = new Uri(host.Address, "/dm");

            progress.WriteLine($"bench dm: {devices} devices (TRE-sealed trees), secure-clock certificate check, {duration.TotalSeconds:F0} s per measurement");
            var fleet = new List<(M2meDevice Device, DmClientAccount Account)>();
            for (var i = 0; i < devices; i++)
            {
                var device = M2meDevice.Create(Path.Combine(dir, $"dev{i}"), Path.Combine(dir, $"fuse{i}"), $"00101000000{i:D4}", M2meKind.Tre);
                device.Tre.ProvisionTrustAnchor(TreCaller.Manufacturer, "dm", hierarchy.Root);
                var password = System.Security.Cryptography.RandomNumberGenerator.GetBytes(16);
                await store.Dm.AddAccountAsync(new DmAccount(device.Info.TreId, ServerId, device.Info.TreId, password, password, "md5", "md5", DateTimeOffset.UtcNow), ct);
                fleet.Add((device, new DmClientAccount(ServerId, server, device.Info.TreId, password, password, DmAuthScheme.Md5)));
            }

            await SessionsAsync(fleet, store, hierarchy, server, reuse: false, TimeSpan.FromMilliseconds(500), ct); // warm-up
            progress.WriteLine("bench dm: a new TLS connection per session");
            var (fresh, freshCpu) = await SessionsAsync(fleet, store, hierarchy, server, reuse: false, duration, ct);
            progress.WriteLine("bench dm: one kept-alive connection per device");
            var (kept, keptCpu) = await SessionsAsync(fleet, store, hierarchy, server, reuse: true, duration, ct);
            progress.WriteLine("bench dm: bare TLS handshakes against the same server (the bound)");
            var handshakes = await HandshakesAsync(host.Address, hierarchy, devices, duration, ct);
            return
            [
                new("sessions_per_s_new_connection", Math.Round(fresh, 1)),
                new("cpu_ms_per_session_new_connection", Math.Round(freshCpu, 2)),
                new("sessions_per_s_kept_connection", Math.Round(kept, 1)),
                new("cpu_ms_per_session_kept_connection", Math.Round(keptCpu, 2)),
                new("tls_handshakes_per_s", Math.Round(handshakes)),
                new("ratio_to_bound", Math.Round(fresh / handshakes, 3)),
                new("devices", devices),
                new("cores", Environment.ProcessorCount),
            ];
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private static async Task<(double PerSecond, double CpuMsPerSession)> SessionsAsync(List<(M2meDevice Device, DmClientAccount Account)> fleet, InMemoryStateStore store,
        CertificateHierarchy hierarchy, Uri server, bool reuse, TimeSpan duration, CancellationToken ct)
    {
        long done = 0;
        var cpu = Process.GetCurrentProcess().TotalProcessorTime;
        var stopwatch = Stopwatch.StartNew();
        await Task.WhenAll(fleet.Select(f => Task.Run(async () =>
        {
            var checker = new ServerCertificateChecker(hierarchy.Root, f.Device.Tre.TrustedClock(TreCaller.DeviceManagement));
            DmHttpTransport? kept = reuse ? new DmHttpTransport(server, checker, CheckMode.SecureClock) : null;
            try
            {
                while (stopwatch.Elapsed < duration)
                {
                    await store.Dm.AddJobAsync(Demo.Stages.DmNasConfigurationStage.NasJob(Guid.NewGuid().ToString("N"), f.Account.ClientUser), ct);
                    using var fresh = kept is null ? new DmHttpTransport(server, checker, CheckMode.SecureClock) : null;
                    var transport = kept ?? fresh!;
                    var outcome = await new DmClient(f.Device, f.Account).RunSessionAsync(transport.ExchangeAsync, ct);
                    if (!outcome.Completed)
                        throw new InvalidOperationException($"DM session failed: {outcome.Detail}");
                    Interlocked.Increment(ref done);
                }
            }
            finally
            {
                kept?.Dispose();
            }
        }, ct)));
        var seconds = stopwatch.Elapsed.TotalSeconds;
        var cpuMs = (Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalMilliseconds;
        return (done / seconds, done == 0 ? 0 : cpuMs / done);
    }

    private static async Task<double> HandshakesAsync(Uri address, CertificateHierarchy hierarchy, int parallel, TimeSpan duration, CancellationToken ct)
    {
        long done = 0;
        var stopwatch = Stopwatch.StartNew();
        var validate = ProfileChainValidator.ServerCallback(hierarchy.Root, [hierarchy.Issuing]);
        await Task.WhenAll(Enumerable.Range(0, parallel).Select(_ => Task.Run(async () =>
        {
            while (stopwatch.Elapsed < duration)
            {
                using var tcp = new TcpClient();
                await tcp.ConnectAsync(address.Host, address.Port, ct);
                await using var tls = new SslStream(tcp.GetStream());
                await tls.AuthenticateAsClientAsync(TlsProfile.CreateClientOptions(address.Host, validate), ct);
                Interlocked.Increment(ref done);
            }
        }, ct)));
        return done / stopwatch.Elapsed.TotalSeconds;
    }
}
