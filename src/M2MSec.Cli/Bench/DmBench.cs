using System.Diagnostics;
using System.Net.Security;
using System.Net.Sockets;
using M2MSec.Device.Dm;
using M2MSec.Device.M2me;
using M2MSec.Device.Tre;
using M2MSec.Device.Tre.Hardware;
using M2MSec.Dm.Auth;
using M2MSec.Pki.Tls;
using M2MSec.Pki.Validation;

namespace M2MSec.Cli.Bench;

/// <summary>
/// `bench dm`: complete DM configuration sessions per second over HTTPS on loopback (4 NAS
/// Replace + 4 read-back Get, both sides authenticated, device state sealed in its TRE): with a new
/// TCP+TLS connection and a full handshake per session, with a new connection and a resumed TLS
/// session per session, and with one kept-alive connection; CPU time per session; and the bounds —
/// the same server's bare full and bare resumed TLS handshake rates, same run. Whether each
/// handshake really resumed is asked of OpenSSL (<see cref="TlsResumptionProbe"/>): the run fails if
/// a "full" handshake resumed or no "resumed" one did.
/// Issue 19: the server runs in a process of its own (<see cref="DmBenchServer"/>), so each
/// measurement reports the server's CPU per session (its process alone) and the devices' apart
/// (this process: TLS client, SyncML client, sealed TRE writes), with the device's durable writes
/// and their fsync time on their own — a real device pays them, the server does not.
/// </summary>
/// <remarks>
/// The server is the DM listener with resumption on (<see cref="M2MSec.NetworkFunctions.Hosting.NetworkFunctionTls.ServerOnly"/>): .NET
/// resumes only without a suite policy, so it enforces the profile on the negotiated suite. Full
/// handshakes use the device's strict profile client (suite policy set: .NET never resumes it);
/// resumed ones the resumable client, to "localhost" (.NET's client cache is keyed by DNS name, never
/// an IP address). Both kinds of session connect by that name.
/// </remarks>
internal static class DmBench
{
    private enum Mode
    {
        Full,
        Resumed,
        KeptAlive,
    }

    /// <summary>A measurement: rate, the devices' CPU per unit (this process), the server's (its process), and the methods the server's JIT compiled meanwhile (≈ 0 in the steady state).</summary>
    private sealed record Run(long Done, double Seconds, double CpuMs, double ServerCpuMs, long Handshakes, long? Resumed, long DurableWrites = 0, double FsyncMs = 0)
    {
        public long ServerMethodsJitted { get; init; }

        public double PerSecond => Done / Seconds;

        public double CpuMsPerUnit => CpuMs / Math.Max(1, Done);

        public double ServerCpuMsPerUnit => ServerCpuMs / Math.Max(1, Done);

        public double DurableWritesPerUnit => (double)DurableWrites / Math.Max(1, Done);

        public double FsyncMsPerUnit => FsyncMs / Math.Max(1, Done);

        public double? ResumedShare => Resumed is { } r && Handshakes > 0 ? Math.Round((double)r / Handshakes, 3) : null;

        /// <summary>Slices of one measurement add up.</summary>
        public static Run operator +(Run? a, Run b) => a is null ? b : new(a.Done + b.Done, a.Seconds + b.Seconds, a.CpuMs + b.CpuMs, a.ServerCpuMs + b.ServerCpuMs,
            a.Handshakes + b.Handshakes, a.Resumed is { } x && b.Resumed is { } y ? x + y : null, a.DurableWrites + b.DurableWrites, a.FsyncMs + b.FsyncMs)
        {
            ServerMethodsJitted = a.ServerMethodsJitted + b.ServerMethodsJitted,
        };
    }

    public static async Task<IReadOnlyList<KeyValuePair<string, object?>>> RunAsync(int devices, TimeSpan duration, TimeSpan maxWarmUp, TextWriter progress, CancellationToken ct)
    {
        var dir = Directory.CreateTempSubdirectory("m2msec-bench-dm-").FullName;
        string? shm = null;
        try
        {
            await using var server = await ServerProcess.StartAsync(ct);
            var address = server.Address;
            var root = server.Root;
            var issuing = server.Issuing;
            var uri = new UriBuilder(address) { Host = "localhost", Path = "/dm" }.Uri;

            progress.WriteLine($"bench dm: {devices} devices (TRE-sealed trees), secure-clock certificate check, {duration.TotalSeconds:F0} s per measurement; the server in process {server.Id}");
            async Task<List<(M2meDevice Device, DmClientAccount Account)>> FleetAsync(string under, int first)
            {
                var list = new List<(M2meDevice Device, DmClientAccount Account)>();
                for (var i = first; i < first + devices; i++)
                {
                    var device = M2meDevice.Create(Path.Combine(under, $"dev{i}"), Path.Combine(under, $"fuse{i}"), $"00101000000{i:D4}", M2meKind.Tre);
                    device.Tre.ProvisionTrustAnchor(TreCaller.Manufacturer, "dm", root);
                    var password = System.Security.Cryptography.RandomNumberGenerator.GetBytes(16);
                    await server.AccountAsync(device.Info.TreId, password, ct);
                    await server.StandingAsync(device.Info.TreId, ct);
                    list.Add((device, new DmClientAccount(DmBenchServer.ServerId, uri, device.Info.TreId, password, password, DmAuthScheme.Md5)));
                }
                return list;
            }
            var fleet = await FleetAsync(dir, 0);
            // The same devices' TRE files on tmpfs (/dev/shm): what the device's fsync costs is the difference (issue 19 target 3).
            shm = Directory.Exists("/dev/shm") ? Path.Combine("/dev/shm", "m2msec-bench-dm-" + Guid.NewGuid().ToString("N")) : null;
            List<(M2meDevice Device, DmClientAccount Account)>? shmFleet = null;
            if (shm is not null)
            {
                Directory.CreateDirectory(shm);
                shmFleet = await FleetAsync(shm, devices);
            }

            // Issue 19: with 0.5 s the server's tiered-compilation worker was still compiling through the measurements —
            // 40 % of the server's CPU samples in the kept-connection run (perf); a server runs in its steady state.
            var slices = await BenchWarmUp.UntilJitQuietAsync(async d =>
            {
                await SessionsAsync(fleet, server, root, uri, Mode.Full, d / 3, ct);
                await SessionsAsync(fleet, server, root, uri, Mode.Resumed, d / 3, ct);
                await SessionsAsync(fleet, server, root, uri, Mode.KeptAlive, d / 3, ct);
                await HandshakesAsync(server, address, root, issuing, devices, resumable: false, d / 10, ct);
            }, () => server.CompiledMethodsAsync(ct), maxWarmUp);
            progress.WriteLine($"bench dm: warm-up {slices} s (until the server's JIT was quiet)");
            // The measurements that make the ratios (sessions against bare handshakes, full and resumed) interleaved in slices of a
            // second each: a drift of the machine over the run then weighs on both sides of a ratio alike (issue 19; run to run, the
            // ratio moved 0.53–0.62 when the bare handshakes ran half a minute after the sessions).
            var rounds = Math.Max(1, (int)Math.Round(duration.TotalSeconds));
            var slice = duration / rounds;
            progress.WriteLine($"bench dm: {rounds} round{(rounds == 1 ? "" : "s")} of {slice.TotalSeconds:F1} s each: sessions on a new TLS connection (full handshake; on tmpfs too; resumed), " +
                "bare TLS handshakes against the same server (the bounds, full and resumed)");
            Run? fullSum = null, fullShm = null, resumedSum = null, bareFullSum = null, bareResumedSum = null;
            for (var round = 0; round < rounds; round++)
            {
                fullSum += await SessionsAsync(fleet, server, root, uri, Mode.Full, slice, ct);
                bareFullSum += await HandshakesAsync(server, address, root, issuing, devices, resumable: false, slice, ct);
                // The full-handshake rate with the devices' fsync out of the way: the ratio the server can reach (issue 19 target 3).
                if (shmFleet is not null)
                    fullShm += await SessionsAsync(shmFleet, server, root, uri, Mode.Full, slice, ct);
                resumedSum += await SessionsAsync(fleet, server, root, uri, Mode.Resumed, slice, ct);
                bareResumedSum += await HandshakesAsync(server, address, root, issuing, devices, resumable: true, slice, ct);
            }
            var (full, bareFull, resumed, bareResumed) = (fullSum!, bareFullSum!, resumedSum!, bareResumedSum!);
            progress.WriteLine("bench dm: one kept-alive connection per device");
            var kept = await SessionsAsync(fleet, server, root, uri, Mode.KeptAlive, duration, ct);
            Run? keptShm = null;
            if (shmFleet is not null)
            {
                progress.WriteLine("bench dm: one kept-alive connection per device, the devices' TRE files on tmpfs (/dev/shm)");
                keptShm = await SessionsAsync(shmFleet, server, root, uri, Mode.KeptAlive, duration, ct);
            }

            var check = TlsResumptionProbe.Unavailable is { } why ? $"unavailable: {why}" : "openssl SSL_session_reused per handshake";
            if (TlsResumptionProbe.Unavailable is null)
            {
                if (full.Resumed > 0 || bareFull.Resumed > 0 || fullShm?.Resumed > 0)
                    throw new InvalidOperationException($"bench dm: {full.Resumed + bareFull.Resumed + (fullShm?.Resumed ?? 0)} handshakes of the full-handshake measurements resumed a session");
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
                new("cpu_ms_per_session_new_connection", Math.Round(full.CpuMsPerUnit + full.ServerCpuMsPerUnit, 2)),
                new("server_cpu_ms_per_session_new_connection", Math.Round(full.ServerCpuMsPerUnit, 3)),
                new("device_cpu_ms_per_session_new_connection", Math.Round(full.CpuMsPerUnit, 3)),
                new("sessions_per_s_resumed", Math.Round(resumed.PerSecond, 1)),
                new("cpu_ms_per_session_resumed", Math.Round(resumed.CpuMsPerUnit + resumed.ServerCpuMsPerUnit, 2)),
                new("server_cpu_ms_per_session_resumed", Math.Round(resumed.ServerCpuMsPerUnit, 3)),
                new("device_cpu_ms_per_session_resumed", Math.Round(resumed.CpuMsPerUnit, 3)),
                new("sessions_per_s_kept_connection", Math.Round(kept.PerSecond, 1)),
                new("cpu_ms_per_session_kept_connection", Math.Round(kept.CpuMsPerUnit + kept.ServerCpuMsPerUnit, 2)),
                new("server_cpu_ms_per_session_kept_connection", Math.Round(kept.ServerCpuMsPerUnit, 3)),
                new("server_bound_ms_per_session_kept_connection", 1.0),
                new("server_ratio_to_bound_kept_connection", Math.Round(1.0 / kept.ServerCpuMsPerUnit, 3)),
                new("device_cpu_ms_per_session_kept_connection", Math.Round(kept.CpuMsPerUnit, 3)),
                new("device_durable_writes_per_session", Math.Round(kept.DurableWritesPerUnit, 2)),
                new("device_fsync_ms_per_session", Math.Round(kept.FsyncMsPerUnit, 3)),
                new("device_fs", "disk (" + Path.GetTempPath() + ")"),
                new("sessions_per_s_kept_connection_tmpfs", keptShm is null ? null : Math.Round(keptShm.PerSecond, 1)),
                new("device_cpu_ms_per_session_kept_connection_tmpfs", keptShm is null ? null : Math.Round(keptShm.CpuMsPerUnit, 3)),
                new("device_durable_writes_per_session_tmpfs", keptShm is null ? null : Math.Round(keptShm.DurableWritesPerUnit, 2)),
                new("device_fsync_ms_per_session_tmpfs", keptShm is null ? null : Math.Round(keptShm.FsyncMsPerUnit, 3)),
                new("server_cpu_ms_per_session_kept_connection_tmpfs", keptShm is null ? null : Math.Round(keptShm.ServerCpuMsPerUnit, 3)),
                new("sessions_per_s_new_connection_tmpfs", fullShm is null ? null : Math.Round(fullShm.PerSecond, 1)),
                new("server_cpu_ms_per_session_new_connection_tmpfs", fullShm is null ? null : Math.Round(fullShm.ServerCpuMsPerUnit, 3)),
                new("device_cpu_ms_per_session_new_connection_tmpfs", fullShm is null ? null : Math.Round(fullShm.CpuMsPerUnit, 3)),
                new("device_fsync_ms_per_session_new_connection_tmpfs", fullShm is null ? null : Math.Round(fullShm.FsyncMsPerUnit, 3)),
                new("tls_handshakes_per_s", Math.Round(bareFull.PerSecond)),
                new("cpu_ms_per_tls_handshake", Math.Round(bareFull.CpuMsPerUnit + bareFull.ServerCpuMsPerUnit, 2)),
                new("server_cpu_ms_per_tls_handshake", Math.Round(bareFull.ServerCpuMsPerUnit, 3)),
                new("tls_resumed_handshakes_per_s", Math.Round(bareResumed.PerSecond)),
                new("cpu_ms_per_tls_resumed_handshake", Math.Round(bareResumed.CpuMsPerUnit + bareResumed.ServerCpuMsPerUnit, 2)),
                new("server_cpu_ms_per_tls_resumed_handshake", Math.Round(bareResumed.ServerCpuMsPerUnit, 3)),
                // What the server's CPU alone allows: sessions/s against bare handshakes/s, were the devices elsewhere.
                new("server_capacity_ratio_to_bound", Math.Round(bareFull.ServerCpuMsPerUnit / full.ServerCpuMsPerUnit, 3)),
                new("server_capacity_ratio_to_bound_tmpfs", fullShm is null ? null : Math.Round(bareFull.ServerCpuMsPerUnit / fullShm.ServerCpuMsPerUnit, 3)),
                new("server_methods_jitted_during_measurements", full.ServerMethodsJitted + resumed.ServerMethodsJitted + kept.ServerMethodsJitted
                    + bareFull.ServerMethodsJitted + bareResumed.ServerMethodsJitted + (keptShm?.ServerMethodsJitted ?? 0) + (fullShm?.ServerMethodsJitted ?? 0)),
                new("bound_ratio", 0.6),
                new("ratio_to_bound", Math.Round(full.PerSecond / bareFull.PerSecond, 3)),
                new("ratio_to_bound_tmpfs", fullShm is null ? null : Math.Round(fullShm.PerSecond / bareFull.PerSecond, 3)),
                new("ratio_resumed_to_bound", Math.Round(resumed.PerSecond / bareResumed.PerSecond, 3)),
                new("resumed_share_sessions", resumed.ResumedShare),
                new("resumed_share_bare", bareResumed.ResumedShare),
                new("resumed_share_full", full.ResumedShare),
                new("resumption_check", check),
                new("devices", devices),
                new("cores", Environment.ProcessorCount),
                new("load_average_1m", LoadAverage()),
            ];
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
            if (shm is not null && Directory.Exists(shm))
                Directory.Delete(shm, recursive: true);
        }
    }

    /// <summary>The 1-minute load average (Linux), so a reader can tell a quiet run from a loaded one.</summary>
    internal static double? LoadAverage()
    {
        try
        {
            var first = File.ReadAllText("/proc/loadavg").Split(' ')[0];
            return double.Parse(first, System.Globalization.CultureInfo.InvariantCulture);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException)
        {
            return null;
        }
    }

    private static async Task<Run> SessionsAsync(List<(M2meDevice Device, DmClientAccount Account)> fleet, ServerProcess server,
        System.Security.Cryptography.X509Certificates.X509Certificate2 root, Uri uri, Mode mode, TimeSpan duration, CancellationToken ct)
    {
        long done = 0, handshakes = 0, resumedHandshakes = 0;
        void Observe(SslStream tls)
        {
            Interlocked.Increment(ref handshakes);
            if (TlsResumptionProbe.IsResumed(tls) == true)
                Interlocked.Increment(ref resumedHandshakes);
        }
        var writes = DeviceDurableWrites.Count;
        var fsync = DeviceDurableWrites.Fsync;
        var serverCpu = await server.CpuMsAsync(ct);
        var cpu = Process.GetCurrentProcess().TotalProcessorTime;
        var stopwatch = Stopwatch.StartNew();
        await Task.WhenAll(fleet.Select(f => Task.Run(async () =>
        {
            var checker = new ServerCertificateChecker(root, f.Device.Tre.TrustedClock(TreCaller.DeviceManagement));
            DmHttpTransport Transport() => new(uri, checker, CheckMode.SecureClock, tlsResumption: mode == Mode.Resumed, onHandshake: Observe);
            DmHttpTransport? kept = mode == Mode.KeptAlive ? Transport() : null;
            try
            {
                while (stopwatch.Elapsed < duration)
                {
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
        var serverAfter = await server.CpuMsAsync(ct);
        return new Run(done, seconds, cpuMs, serverAfter.Cpu - serverCpu.Cpu, handshakes, TlsResumptionProbe.Unavailable is null ? resumedHandshakes : null,
            DeviceDurableWrites.Count - writes, (DeviceDurableWrites.Fsync - fsync).TotalMilliseconds)
        {
            ServerMethodsJitted = serverAfter.Methods - serverCpu.Methods,
        };
    }

    /// <summary>
    /// Bare handshakes with the profile client (chain validated against the root), each followed by
    /// close_notify and the server's close — the same for both kinds, and it makes the client read the
    /// TLS 1.3 session tickets the next handshake resumes with.
    /// </summary>
    private static async Task<Run> HandshakesAsync(ServerProcess server, Uri address, System.Security.Cryptography.X509Certificates.X509Certificate2 root,
        System.Security.Cryptography.X509Certificates.X509Certificate2 issuing, int parallel, bool resumable, TimeSpan duration, CancellationToken ct)
    {
        long done = 0, resumedHandshakes = 0;
        var validate = ProfileChainValidator.ServerCallback(root, [issuing]);
        var serverCpu = await server.CpuMsAsync(ct);
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
        var serverAfter = await server.CpuMsAsync(ct);
        return new Run(done, seconds, cpuMs, serverAfter.Cpu - serverCpu.Cpu, done, TlsResumptionProbe.Unavailable is null ? resumedHandshakes : null)
        {
            ServerMethodsJitted = serverAfter.Methods - serverCpu.Methods,
        };
    }

    /// <summary>The child process running <see cref="DmBenchServer"/>: this CLI again, `bench dm-server`.</summary>
    private sealed class ServerProcess : IAsyncDisposable
    {
        private readonly Process _process;
        private readonly SemaphoreSlim _pipe = new(1, 1);

        private ServerProcess(Process process, Uri address, System.Security.Cryptography.X509Certificates.X509Certificate2 root,
            System.Security.Cryptography.X509Certificates.X509Certificate2 issuing)
        {
            _process = process;
            Address = address;
            Root = root;
            Issuing = issuing;
        }

        public Uri Address { get; }

        public System.Security.Cryptography.X509Certificates.X509Certificate2 Root { get; }

        public System.Security.Cryptography.X509Certificates.X509Certificate2 Issuing { get; }

        public int Id => _process.Id;

        public static async Task<ServerProcess> StartAsync(CancellationToken ct)
        {
            var apphost = Path.Combine(AppContext.BaseDirectory, OperatingSystem.IsWindows() ? "m2msec.exe" : "m2msec");
            var start = File.Exists(apphost)
                ? new ProcessStartInfo(apphost)
                : new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet") { ArgumentList = { Path.Combine(AppContext.BaseDirectory, "m2msec.dll") } };
            start.ArgumentList.Add("bench");
            start.ArgumentList.Add("dm-server");
            // The thread pool's workers spin before they sleep (70 rounds by default): 35-40 % of the server's CPU samples in
            // the kept-connection run on this 2-core machine were that spinning, not DM work (perf, issue 19). The server
            // runs with the spin off — the setting docs/decisions/035 recommends for `serve` on a small shared machine.
            start.Environment["DOTNET_ThreadPool_UnfairSemaphoreSpinLimit"] = "0";
            start.RedirectStandardInput = true;
            start.RedirectStandardOutput = true;
            start.RedirectStandardError = false;
            start.UseShellExecute = false;
            var process = Process.Start(start) ?? throw new InvalidOperationException("bench dm: could not start the server process");
            try
            {
                var ready = await process.StandardOutput.ReadLineAsync(ct).AsTask().WaitAsync(TimeSpan.FromSeconds(120), ct);
                var words = ready?.Split(' ');
                if (words is not { Length: 4 } || words[0] != "ready")
                    throw new InvalidOperationException($"bench dm: the server process did not start ({ready ?? "no output"})");
                return new ServerProcess(process, new Uri(words[1]),
                    System.Security.Cryptography.X509Certificates.X509CertificateLoader.LoadCertificate(Convert.FromBase64String(words[2])),
                    System.Security.Cryptography.X509Certificates.X509CertificateLoader.LoadCertificate(Convert.FromBase64String(words[3])));
            }
            catch
            {
                process.Kill();
                process.Dispose();
                throw;
            }
        }

        public Task AccountAsync(string user, byte[] password, CancellationToken ct) => AskAsync($"account {user} {Convert.ToBase64String(password)}", ct);

        /// <summary>A NAS job for the device, and its next each time one ends (the server queues it: no round trip per session).</summary>
        public Task StandingAsync(string user, CancellationToken ct) => AskAsync($"standing {user}", ct);

        /// <summary>The server's CPU time (ms) and the methods its JIT compiled so far.</summary>
        public async Task<(double Cpu, long Methods)> CpuMsAsync(CancellationToken ct)
        {
            var words = (await AskAsync("cpu", ct)).Split(' ');
            return (double.Parse(words[0], System.Globalization.CultureInfo.InvariantCulture), long.Parse(words[2], System.Globalization.CultureInfo.InvariantCulture));
        }

        /// <summary>Methods the server's JIT compiled so far.</summary>
        public async Task<long> CompiledMethodsAsync(CancellationToken ct) =>
            long.Parse((await AskAsync("cpu", ct)).Split(' ')[2], System.Globalization.CultureInfo.InvariantCulture);

        private async Task<string> AskAsync(string line, CancellationToken ct)
        {
            await _pipe.WaitAsync(ct);
            try
            {
                await _process.StandardInput.WriteLineAsync(line.AsMemory(), ct);
                await _process.StandardInput.FlushAsync(ct);
                var answer = await _process.StandardOutput.ReadLineAsync(ct) ?? throw new InvalidOperationException("bench dm: the server process ended");
                return answer == "error" ? throw new InvalidOperationException($"bench dm: the server process refused '{line.Split(' ')[0]}'") : answer;
            }
            finally
            {
                _pipe.Release();
            }
        }

        public async ValueTask DisposeAsync()
        {
            _process.StandardInput.Close();
            try
            {
                await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));
            }
            catch (TimeoutException)
            {
                _process.Kill();
            }
            _process.Dispose();
            _pipe.Dispose();
        }
    }
}
