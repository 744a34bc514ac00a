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
/// Replace + 4 read-back Get, both sides authenticated, device state sealed in its TRE): with a new
/// TCP+TLS connection and a full handshake per session, with a new connection and a resumed TLS
/// session per session, and with one kept-alive connection; CPU time per session; and the bounds —
/// the same server's bare full and bare resumed TLS handshake rates, same run. Whether each
/// handshake really resumed is asked of OpenSSL (<see cref="TlsResumptionProbe"/>): the run fails if
/// a "full" handshake resumed or no "resumed" one did.
/// </summary>
/// <remarks>
/// The server is the DM listener with resumption on (<see cref="NetworkFunctionTls.ServerOnly"/>): .NET
/// resumes only without a suite policy, so it enforces the profile on the negotiated suite. Full
/// handshakes use the device's strict profile client (suite policy set: .NET never resumes it);
/// resumed ones the resumable client, to "localhost" (.NET's client cache is keyed by DNS name, never
/// an IP address). Both kinds of session connect by that name.
/// </remarks>
internal static class DmBench
{
    private const string ServerId = "m2msec-dm";

    private enum Mode
    {
        Full,
        Resumed,
        KeptAlive,
    }

    private sealed record Run(double PerSecond, double CpuMsPerUnit, long Handshakes, long? Resumed)
    {
        public double? ResumedShare => Resumed is { } r && Handshakes > 0 ? Math.Round((double)r / Handshakes, 3) : null;
    }

    public static async Task<IReadOnlyList<KeyValuePair<string, object?>>> RunAsync(int devices, TimeSpan duration, TextWriter progress, CancellationToken ct)
    {
        var dir = Directory.CreateTempSubdirectory("m2msec-bench-dm-").FullName;
        try
        {
            var hierarchy = await CertificateHierarchy.InitAsync(new InMemoryCertificateStore(TimeProvider.System), "operator", KeyAlgorithm.EcP256, null, TimeProvider.System, ct);
            var cert = await hierarchy.IssueAsync(CertificateProfile.DmServer, new CertificateSubject("localhost", ["127.0.0.1"]), cancellationToken: ct);
            var store = new InMemoryStateStore();
            await using var host = await NetworkFunctionHost.StartAsync(new DmFunction(new DmFunctionOptions()), Path.Combine(dir, "dm"), store,
                "https://127.0.0.1:0", tls: NetworkFunctionTls.ServerOnly(new RenewingCertificate(cert), [hierarchy.Issuing], resumption: true), cancellationToken: ct);
            var server = new UriBuilder(host.Address) { Host = "localhost", Path = "/dm" }.Uri;

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

            var warmUp = TimeSpan.FromMilliseconds(500);
            await SessionsAsync(fleet, store, hierarchy, server, Mode.Full, warmUp, ct);
            await SessionsAsync(fleet, store, hierarchy, server, Mode.Resumed, warmUp, ct);
            progress.WriteLine("bench dm: a new TLS connection per session, full handshake");
            var full = await SessionsAsync(fleet, store, hierarchy, server, Mode.Full, duration, ct);
            progress.WriteLine("bench dm: a new TLS connection per session, resumed TLS session");
            var resumed = await SessionsAsync(fleet, store, hierarchy, server, Mode.Resumed, duration, ct);
            progress.WriteLine("bench dm: one kept-alive connection per device");
            var kept = await SessionsAsync(fleet, store, hierarchy, server, Mode.KeptAlive, duration, ct);
            progress.WriteLine("bench dm: bare TLS handshakes against the same server (the bounds), full then resumed");
            var bareFull = await HandshakesAsync(host.Address, hierarchy, devices, resumable: false, duration, ct);
            var bareResumed = await HandshakesAsync(host.Address, hierarchy, devices, resumable: true, duration, ct);

            var check = TlsResumptionProbe.Unavailable is { } why ? $"unavailable: {why}" : "openssl SSL_session_reused per handshake";
            if (TlsResumptionProbe.Unavailable is null)
            {
                if (full.Resumed > 0 || bareFull.Resumed > 0)
                    throw new InvalidOperationException($"bench dm: {full.Resumed + bareFull.Resumed} handshakes of the full-handshake measurements resumed a session");
                if (resumed.Resumed == 0 || bareResumed.Resumed == 0)
                    throw new InvalidOperationException($"bench dm: no handshake resumed (sessions {resumed.Resumed}/{resumed.Handshakes}, bare {bareResumed.Resumed}/{bareResumed.Handshakes})");
            }
            else
            {
                progress.WriteLine($"bench dm: cannot tell resumed handshakes from full ones ({TlsResumptionProbe.Unavailable})");
            }
            return
            [
                new("sessions_per_s_new_connection", Math.Round(full.PerSecond, 1)),
                new("cpu_ms_per_session_new_connection", Math.Round(full.CpuMsPerUnit, 2)),
                new("sessions_per_s_resumed", Math.Round(resumed.PerSecond, 1)),
                new("cpu_ms_per_session_resumed", Math.Round(resumed.CpuMsPerUnit, 2)),
                new("sessions_per_s_kept_connection", Math.Round(kept.PerSecond, 1)),
                new("cpu_ms_per_session_kept_connection", Math.Round(kept.CpuMsPerUnit, 2)),
                new("tls_handshakes_per_s", Math.Round(bareFull.PerSecond)),
                new("cpu_ms_per_tls_handshake", Math.Round(bareFull.CpuMsPerUnit, 2)),
                new("tls_resumed_handshakes_per_s", Math.Round(bareResumed.PerSecond)),
                new("cpu_ms_per_tls_resumed_handshake", Math.Round(bareResumed.CpuMsPerUnit, 2)),
                new("ratio_to_bound", Math.Round(full.PerSecond / bareFull.PerSecond, 3)),
                new("ratio_resumed_to_bound", Math.Round(resumed.PerSecond / bareResumed.PerSecond, 3)),
                new("resumed_share_sessions", resumed.ResumedShare),
                new("resumed_share_bare", bareResumed.ResumedShare),
                new("resumed_share_full", full.ResumedShare),
                new("resumption_check", check),
                new("devices", devices),
                new("cores", Environment.ProcessorCount),
            ];
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private static async Task<Run> SessionsAsync(List<(M2meDevice Device, DmClientAccount Account)> fleet, InMemoryStateStore store,
        CertificateHierarchy hierarchy, Uri server, Mode mode, TimeSpan duration, CancellationToken ct)
    {
        long done = 0, handshakes = 0, resumedHandshakes = 0;
        void Observe(SslStream tls)
        {
            Interlocked.Increment(ref handshakes);
            if (TlsResumptionProbe.IsResumed(tls) == true)
                Interlocked.Increment(ref resumedHandshakes);
        }
        var cpu = Process.GetCurrentProcess().TotalProcessorTime;
        var stopwatch = Stopwatch.StartNew();
        await Task.WhenAll(fleet.Select(f => Task.Run(async () =>
        {
            var checker = new ServerCertificateChecker(hierarchy.Root, f.Device.Tre.TrustedClock(TreCaller.DeviceManagement));
            DmHttpTransport Transport() => new(server, checker, CheckMode.SecureClock, tlsResumption: mode == Mode.Resumed, onHandshake: Observe);
            DmHttpTransport? kept = mode == Mode.KeptAlive ? Transport() : null;
            try
            {
                while (stopwatch.Elapsed < duration)
                {
                    await store.Dm.AddJobAsync(Demo.Stages.DmNasConfigurationStage.NasJob(Guid.NewGuid().ToString("N"), f.Account.ClientUser), ct);
                    using var fresh = kept is null ? Transport() : null;
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
        return new Run(done / seconds, done == 0 ? 0 : cpuMs / done, handshakes, TlsResumptionProbe.Unavailable is null ? resumedHandshakes : null);
    }

    /// <summary>
    /// Bare handshakes with the profile client (chain validated against the root), each followed by
    /// close_notify and the server's close — the same for both kinds, and it makes the client read the
    /// TLS 1.3 session tickets the next handshake resumes with.
    /// </summary>
    private static async Task<Run> HandshakesAsync(Uri address, CertificateHierarchy hierarchy, int parallel, bool resumable, TimeSpan duration, CancellationToken ct)
    {
        long done = 0, resumedHandshakes = 0;
        var validate = ProfileChainValidator.ServerCallback(hierarchy.Root, [hierarchy.Issuing]);
        var cpu = Process.GetCurrentProcess().TotalProcessorTime;
        var stopwatch = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, parallel).Select(_ => Task.Run(async () =>
        {
            var buffer = new byte[256];
            while (stopwatch.Elapsed < duration)
            {
                using var tcp = new TcpClient();
                await tcp.ConnectAsync(address.Host, address.Port, ct);
                await using var tls = new SslStream(tcp.GetStream());
                await tls.AuthenticateAsClientAsync(TlsProfile.CreateClientOptions("localhost", validate, resumable: resumable), ct);
                if (TlsResumptionProbe.IsResumed(tls) == true)
                    Interlocked.Increment(ref resumedHandshakes);
                await tls.ShutdownAsync();
                try
                {
                    while (await tls.ReadAsync(buffer, ct) > 0)
                    {
                    }
                }
                catch (IOException)
                {
                    // The server reset the connection rather than closing it: the handshake is done either way.
                }
                Interlocked.Increment(ref done);
            }
        }, ct)));
        var seconds = stopwatch.Elapsed.TotalSeconds;
        var cpuMs = (Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalMilliseconds;
        return new Run(done / seconds, done == 0 ? 0 : cpuMs / done, done, TlsResumptionProbe.Unavailable is null ? resumedHandshakes : null);
    }
}
