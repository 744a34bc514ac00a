using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using M2MSec.Crypto.Metering;
using M2MSec.Device.Tre.Hardware;
using Microsoft.Data.Sqlite;

namespace M2MSec.Cli.Demo;

/// <summary>
/// Issue 19, the fleet bound (docs/decisions/034-fleet-bound.md): the bare operations the run performed — <see cref="OperationMeter"/>'s
/// counts and the TLS handshakes Kestrel's meter reports — each one's rate calibrated in the same process right after the run, and the
/// bound Σ count × cost: the seconds this machine needs for those operations alone, hence the devices per second it could reach.
/// </summary>
internal sealed record DemoFleetBound(IReadOnlyDictionary<string, long> Operations, IReadOnlyDictionary<string, double> Rates, double SecondsBound,
    double FleetBoundDevicesPerS)
{
    public const string TlsHandshake = "tls_handshake";

    public const string DurableCommit = "durable_commit";

    public const string DeviceDurableWrite = "device_durable_write";

    public const string DeviceFileReplacement = "device_file_replacement";

    /// <summary>The operation kinds' names in the report (snake_case).</summary>
    public static string Name(MeteredOperation operation) => operation switch
    {
        MeteredOperation.EcdsaSign => "ecdsa_sign",
        MeteredOperation.EcdsaVerify => "ecdsa_verify",
        MeteredOperation.Ecdh => "ecdh",
        MeteredOperation.RsaSign => "rsa_sign",
        MeteredOperation.RsaVerify => "rsa_verify",
        MeteredOperation.ChainBuild => "x509_chain_build",
        MeteredOperation.Milenage => "milenage",
        MeteredOperation.DeviceDurableWrite => DeviceDurableWrite,
        MeteredOperation.DeviceFileReplacement => DeviceFileReplacement,
        _ => DurableCommit,
    };

    /// <summary>The counts between two snapshots, with the TLS handshakes.</summary>
    public static Dictionary<string, long> Counts(IReadOnlyDictionary<MeteredOperation, long> before, IReadOnlyDictionary<MeteredOperation, long> after, long tlsHandshakes)
    {
        var counts = after.ToDictionary(a => Name(a.Key), a => a.Value - before.GetValueOrDefault(a.Key), StringComparer.Ordinal);
        counts[TlsHandshake] = tlsHandshakes;
        return counts;
    }

    /// <summary>The bound for <paramref name="devices"/> devices from the counts and the calibrated rates (operations per second).</summary>
    public static DemoFleetBound Of(int devices, IReadOnlyDictionary<string, long> operations, IReadOnlyDictionary<string, double> rates)
    {
        var seconds = operations.Where(o => o.Value > 0 && rates.GetValueOrDefault(o.Key) > 0).Sum(o => o.Value / rates[o.Key]);
        return new(operations, rates, Math.Round(seconds, 3), seconds > 0 ? Math.Round(devices / seconds, 2) : 0);
    }
}

/// <summary>Counts the TLS handshakes the process's Kestrel listeners complete (kestrel.tls_handshake.duration: one measurement each).</summary>
internal sealed class TlsHandshakeCounter() : MeasurementCounter("Microsoft.AspNetCore.Server.Kestrel", "kestrel.tls_handshake.duration");

/// <summary>Counts the HTTP requests the process's ASP.NET Core hosts (the functions) answered (http.server.request.duration: one measurement each).</summary>
internal sealed class ServedRequestCounter() : MeasurementCounter("Microsoft.AspNetCore.Hosting", "http.server.request.duration");

/// <summary>Counts one instrument's measurements in this process (a <see cref="MeterListener"/> on one meter's instrument).</summary>
internal abstract class MeasurementCounter : IDisposable
{
    private readonly MeterListener _listener = new();
    private long _count;

    protected MeasurementCounter(string meter, string instrument)
    {
        _listener.InstrumentPublished = (published, listener) =>
        {
            if (published.Meter.Name == meter && published.Name == instrument)
                listener.EnableMeasurementEvents(published);
        };
        _listener.SetMeasurementEventCallback<double>((_, _, _, _) => Interlocked.Increment(ref _count));
        _listener.Start();
    }

    public long Count => Interlocked.Read(ref _count);

    public void Dispose() => _listener.Dispose();
}

/// <summary>
/// The calibration: each counted kind's rate on this machine, now, in this process (the demo's functions stopped) — CPU-bound kinds on
/// every core at once, per CPU-second (<see cref="PerCpuSecond"/>: the machine's capacity), the durable commit with one writer per store
/// (SQLite's WAL, synchronous=FULL: the store's settings), the TLS handshake over loopback (ECDSA P-256 server certificate like the
/// functions', both sides in this process, as in the demo; per CPU-second too). A kind the run did not perform is not measured. Each
/// kind's rate is the best of <see cref="Rounds"/> measurements.
/// </summary>
internal static class FleetCalibration
{
    /// <summary>
    /// How many times each kind is measured; its rate is the best of them. The rounds go over all kinds in turn, so a burst of other load on a
    /// shared machine lowers one round of a kind, not all of them (the bound is what the machine can do, not what it did during a spike).
    /// </summary>
    public const int Rounds = 3;

    public static async Task<Dictionary<string, double>> MeasureAsync(IEnumerable<string> kinds, string directory, TimeSpan each, CancellationToken ct)
    {
        var measured = kinds.ToArray();
        var rates = measured.ToDictionary(k => k, _ => 0.0, StringComparer.Ordinal);
        for (var round = 0; round < Rounds; round++)
        {
            foreach (var kind in measured)
                rates[kind] = Math.Max(rates[kind], Math.Round(await MeasureOnceAsync(kind, directory, each, ct), 1));
        }
        return rates;
    }

    private static async Task<double> MeasureOnceAsync(string kind, string directory, TimeSpan each, CancellationToken ct) => kind switch
    {
        "ecdsa_sign" => EcdsaSign(each),
        "ecdsa_verify" => EcdsaVerify(each),
        "ecdh" => Ecdh(each),
        "rsa_sign" => RsaSign(each),
        "rsa_verify" => RsaVerify(each),
        "x509_chain_build" => ChainBuild(each),
        "milenage" => Milenage(each),
        "durable_commit" => await DurableCommitAsync(directory, each, ct),
        DemoFleetBound.DeviceDurableWrite => await DeviceDurableWritesAsync(directory, each, ct),
        DemoFleetBound.DeviceFileReplacement => await DeviceFileReplacementsAsync(directory, each, ct),
        DemoFleetBound.TlsHandshake => TlsHandshakes(each, ct),
        _ => 0,
    };

    /// <summary>
    /// Operations per second with one loop per core, each running <paramref name="make"/>'s operation until <paramref name="each"/> has
    /// passed: the operations per CPU-second of the loops' own threads, times the cores (<see cref="PerCpuSecond"/>).
    /// </summary>
    private static double OnEveryCore(TimeSpan each, Func<Action> make)
    {
        var cores = Environment.ProcessorCount;
        var ops = make();
        ops(); // JIT and first-use costs outside the clock
        var total = 0L;
        var cpu = new CpuTally();
        var clock = Stopwatch.StartNew();
        Parallel.For(0, cores, new ParallelOptions { MaxDegreeOfParallelism = cores }, _ =>
        {
            var op = make();
            var n = 0L;
            var started = ThreadCpuClock.Now();
            do // at least once: a loop started after its time (a loaded machine) still measures, and no kind's rate is 0
            {
                op();
                n++;
            }
            while (clock.Elapsed < each);
            cpu.Add(started);
            Interlocked.Add(ref total, n);
        });
        return PerCpuSecond(total, clock.Elapsed, cpu.Total);
    }

    /// <summary>
    /// The rate of a CPU-bound kind: <paramref name="operations"/> per CPU-second its threads spent, times the cores — what the machine's
    /// cores do when the operation has them. A rate per wall second fell with whatever else ran meanwhile: after a 1,000-device demo the
    /// JIT's tiered-compilation thread still drains the run's backlog through the whole calibration (100–250 ms of JIT in each 250 ms
    /// round), and the shared VM has other tenants — the same build's TLS handshakes calibrated at 361 and 748 per second after two
    /// 10,000-device runs (docs/BENCHMARKS.md, 2026-12-06). A CPU time that cannot be right (none, or more than every core for the whole
    /// time) gives the wall rate.
    /// </summary>
    internal static double PerCpuSecond(long operations, TimeSpan wall, TimeSpan cpu)
    {
        var cores = Environment.ProcessorCount;
        return cpu <= TimeSpan.Zero || cpu > wall * cores
            ? operations / wall.TotalSeconds
            : operations / cpu.TotalSeconds * cores;
    }

    /// <summary>
    /// The CPU time of the threads doing a measurement, each adding its own (<see cref="ThreadCpuClock"/>); where that clock is missing,
    /// the process's CPU time since the tally began.
    /// </summary>
    private sealed class CpuTally
    {
        private TimeSpan _process = Environment.CpuUsage.TotalTime;
        private long _ticks;

        /// <summary>Adds the calling thread's CPU time since <paramref name="started"/> (its <see cref="ThreadCpuClock.Now"/> then).</summary>
        public void Add(TimeSpan? started)
        {
            if (ThreadCpuClock.Now() - started is { } used)
                Interlocked.Add(ref _ticks, used.Ticks);
        }

        /// <summary>Starts the tally now: the process clock's baseline after a warm-up (the threads add nothing before they measure).</summary>
        public void Reset()
        {
            Interlocked.Exchange(ref _ticks, 0);
            _process = Environment.CpuUsage.TotalTime;
        }

        public TimeSpan Total => ThreadCpuClock.IsSupported ? TimeSpan.FromTicks(Interlocked.Read(ref _ticks)) : Environment.CpuUsage.TotalTime - _process;
    }

    private static readonly byte[] Data = RandomNumberGenerator.GetBytes(256);

    private static double EcdsaSign(TimeSpan each) => OnEveryCore(each, () =>
    {
        var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        return () => key.SignData(Data, HashAlgorithmName.SHA256);
    });

    private static double EcdsaVerify(TimeSpan each) => OnEveryCore(each, () =>
    {
        var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var signature = key.SignData(Data, HashAlgorithmName.SHA256);
        return () => key.VerifyData(Data, signature, HashAlgorithmName.SHA256);
    });

    private static double Ecdh(TimeSpan each) => OnEveryCore(each, () =>
    {
        var own = ECDiffieHellman.Create(ECCurve.NamedCurves.nistP256);
        var other = ECDiffieHellman.Create(ECCurve.NamedCurves.nistP256).PublicKey;
        return () => own.DeriveRawSecretAgreement(other);
    });

    private static double RsaSign(TimeSpan each) => OnEveryCore(each, () =>
    {
        var key = RSA.Create(2048);
        return () => key.SignData(Data, HashAlgorithmName.SHA256, RSASignaturePadding.Pss);
    });

    private static double RsaVerify(TimeSpan each) => OnEveryCore(each, () =>
    {
        var key = RSA.Create(2048);
        var signature = key.SignData(Data, HashAlgorithmName.SHA256, RSASignaturePadding.Pss);
        return () => key.VerifyData(Data, signature, HashAlgorithmName.SHA256, RSASignaturePadding.Pss);
    });

    /// <summary>A leaf under an issuing CA under a root, all ECDSA P-256 like the operator hierarchy, built against the root as a custom trust anchor.</summary>
    private static double ChainBuild(TimeSpan each)
    {
        using var rootKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var caKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var leafKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var now = DateTimeOffset.UtcNow;
        using var root = Ca("CN=calibration root", rootKey, null, null, now);
        using var ca = Ca("CN=calibration issuing", caKey, root, rootKey, now);
        var leafRequest = new CertificateRequest("CN=calibration leaf", leafKey, HashAlgorithmName.SHA256);
        using var leaf = leafRequest.Create(ca.SubjectName, X509SignatureGenerator.CreateForECDsa(caKey), now.AddMinutes(-1), now.AddHours(1), [1, 2, 3]);
        return OnEveryCore(each, () => () =>
        {
            using var chain = new X509Chain();
            chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
            chain.ChainPolicy.CustomTrustStore.Add(root);
            chain.ChainPolicy.ExtraStore.Add(ca);
            chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
            chain.ChainPolicy.DisableCertificateDownloads = true;
            if (!chain.Build(leaf))
                throw new InvalidOperationException("calibration chain did not build");
        });
    }

    private static X509Certificate2 Ca(string name, ECDsa key, X509Certificate2? issuer, ECDsa? issuerKey, DateTimeOffset now)
    {
        var request = new CertificateRequest(name, key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        return issuer is null
            ? request.CreateSelfSigned(now.AddMinutes(-1), now.AddHours(1))
            : request.Create(issuer.SubjectName, X509SignatureGenerator.CreateForECDsa(issuerKey!), now.AddMinutes(-1), now.AddHours(1), [9, 9]);
    }

    private static double Milenage(TimeSpan each) => OnEveryCore(each, () =>
    {
        var (k, opc, rand) = (RandomNumberGenerator.GetBytes(16), RandomNumberGenerator.GetBytes(16), RandomNumberGenerator.GetBytes(16));
        var sqn = new byte[6];
        var amf = new byte[] { 0x80, 0x00 };
        return () => M2MSec.Aka.Milenage.Default.Compute(k, opc, rand, sqn, amf, out _);
    });

    /// <summary>
    /// Durable one-row UPDATEs with the store's settings (WAL, synchronous=FULL), one writer per file on <see cref="CommitWriters"/> files at once —
    /// the demo's layout: each function commits to a store of its own, so their fsyncs overlap.
    /// </summary>
    private static Task<double> DurableCommitAsync(string directory, TimeSpan each, CancellationToken ct) =>
        OnEveryWriterAsync(i => OneWriterAsync(directory, i, each, ct), ct);

    /// <summary>Writes per second of <see cref="CommitWriters"/> writers at once, writer <c>i</c> returning how many it made.</summary>
    private static async Task<double> OnEveryWriterAsync(Func<int, Task<long>> writer, CancellationToken ct)
    {
        var clock = Stopwatch.StartNew();
        var counts = await Task.WhenAll(Enumerable.Range(0, CommitWriters).Select(i => Task.Run(() => writer(i), ct)));
        return counts.Sum() / clock.Elapsed.TotalSeconds;
    }

    /// <summary>
    /// Durable writes with the devices' own <see cref="DurableRecord"/> (the older of two slots overwritten in place and fsync'd),
    /// 4 KiB each (a sealed TRE store's size), on <see cref="CommitWriters"/> records at once — the devices write in parallel, each its own files.
    /// </summary>
    private static Task<double> DeviceDurableWritesAsync(string directory, TimeSpan each, CancellationToken ct) =>
        OnEveryWriterAsync(i =>
        {
            var record = new DurableRecord(Path.Combine(directory, $"calibration-{i}.sealed"));
            return Task.FromResult(WriteRepeatedly(content => record.Write(content), record.SlotFiles, each));
        }, ct);

    /// <summary>
    /// Durable file replacements with the devices' own <see cref="AtomicFile"/> (a temporary file written, fsync'd, renamed over the old),
    /// 4 KiB each, on <see cref="CommitWriters"/> files at once.
    /// </summary>
    private static Task<double> DeviceFileReplacementsAsync(string directory, TimeSpan each, CancellationToken ct) =>
        OnEveryWriterAsync(i =>
        {
            var path = Path.Combine(directory, $"calibration-{i}.image");
            return Task.FromResult(WriteRepeatedly(content => AtomicFile.Write(path, content), [path], each));
        }, ct);

    /// <summary>Writes 4 KiB with <paramref name="write"/> until <paramref name="each"/> has passed; the count, the files then deleted.</summary>
    private static long WriteRepeatedly(Action<byte[]> write, IReadOnlyList<string> files, TimeSpan each)
    {
        var content = RandomNumberGenerator.GetBytes(4096);
        try
        {
            var n = 0L;
            var clock = Stopwatch.StartNew();
            do // at least once, as on every core
            {
                write(content);
                n++;
            }
            while (clock.Elapsed < each);
            return n;
        }
        finally
        {
            foreach (var file in files)
                File.Delete(file);
        }
    }

    /// <summary>The stores of the functions the demo runs (`serve all`'s and the DM server's), each with its own file and writer.</summary>
    public const int CommitWriters = 16;

    private static async Task<long> OneWriterAsync(string directory, int index, TimeSpan each, CancellationToken ct)
    {
        var file = Path.Combine(directory, $"calibration-{index}.db");
        var cs = $"Data Source={file};Pooling=False";
        try
        {
            await using var c = new SqliteConnection(cs);
            await c.OpenAsync(ct);
            await using (var setup = c.CreateCommand())
            {
                setup.CommandText = "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; CREATE TABLE IF NOT EXISTS r (id INTEGER PRIMARY KEY, v INTEGER); INSERT OR IGNORE INTO r VALUES (1, 0);";
                await setup.ExecuteNonQueryAsync(ct);
            }
            await using var update = c.CreateCommand();
            update.CommandText = "UPDATE r SET v = v + 1 WHERE id = 1";
            await update.ExecuteNonQueryAsync(ct);
            var n = 0L;
            var clock = Stopwatch.StartNew();
            do // at least once, as on every core
            {
                await update.ExecuteNonQueryAsync(ct);
                n++;
            }
            while (clock.Elapsed < each);
            return n;
        }
        finally
        {
            foreach (var f in new[] { file, file + "-wal", file + "-shm" })
                File.Delete(f);
        }
    }

    /// <summary>
    /// Full TLS handshakes (a new TCP connection each, no resumption) over loopback, one client and one server thread per core, both ends
    /// in this process, with the product's TLS profile options on both ends (its cached server context, its client chain policy): with
    /// .NET's defaults the client built a chain against the system's trust store per handshake, which the product does not (593–661 →
    /// 701–736 handshakes/s on two cores, docs/BENCHMARKS.md), and the bound was that much looser. Synchronous on threads of their own,
    /// so that each end's CPU time is its thread's: the rate per CPU-second (<see cref="PerCpuSecond"/>), as for the other CPU-bound kinds.
    /// </summary>
    private static double TlsHandshakes(TimeSpan each, CancellationToken ct)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=localhost", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-1), DateTimeOffset.UtcNow.AddHours(1));
        var cores = Environment.ProcessorCount;
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start(4 * cores);
        var endpoint = (IPEndPoint)listener.LocalEndpoint;
        var cpu = new CpuTally();
        var (measuring, stopping) = (false, false);
        Exception? failed = null;
        void Serve()
        {
            while (true)
            {
                Socket socket;
                try
                {
                    socket = listener.AcceptSocket();
                }
                catch (SocketException)
                {
                    return; // the listener is gone: the clients time out and report it
                }
                if (Volatile.Read(ref stopping))
                {
                    socket.Dispose();
                    return;
                }
                var started = Volatile.Read(ref measuring) ? ThreadCpuClock.Now() : null; // the warm-up's handshake not counted
                try
                {
                    using var ssl = new SslStream(new NetworkStream(socket, ownsSocket: true));
                    ssl.AuthenticateAsServer(M2MSec.Pki.Tls.TlsProfile.CreateServerOptions(certificate));
                    ssl.Write([1]);
                }
                catch (Exception)
                {
                    // Whatever failed, the client's side reports it; a thread of its own must not end the process with it.
                }
                finally
                {
                    socket.Dispose();
                    cpu.Add(started);
                }
            }
        }
        void Handshake()
        {
            using var tcp = new TcpClient { ReceiveTimeout = 10_000, SendTimeout = 10_000 };
            tcp.Connect(endpoint);
            using var ssl = new SslStream(tcp.GetStream());
            ssl.AuthenticateAsClient(M2MSec.Pki.Tls.TlsProfile.CreateClientOptions("localhost", (_, _, _, _) => true));
            ssl.ReadExactly(new byte[1]);
        }
        var servers = Enumerable.Range(0, cores).Select(_ => new Thread(Serve) { IsBackground = true, Name = "calibration TLS server" }).ToArray();
        foreach (var server in servers)
            server.Start();
        try
        {
            Handshake(); // JIT and first-use costs outside the clock
            Volatile.Write(ref measuring, true);
            cpu.Reset();
            var total = 0L;
            var clock = Stopwatch.StartNew();
            void Connect()
            {
                var started = ThreadCpuClock.Now();
                var n = 0L;
                try
                {
                    do // at least once, as on every core above
                    {
                        Handshake();
                        n++;
                    }
                    while (clock.Elapsed < each && !ct.IsCancellationRequested);
                }
                catch (Exception e)
                {
                    Interlocked.CompareExchange(ref failed, e, null); // rethrown on the calibration's thread, after the join
                }
                cpu.Add(started);
                Interlocked.Add(ref total, n);
            }
            var clients = Enumerable.Range(0, cores).Select(_ => new Thread(Connect) { IsBackground = true, Name = "calibration TLS client" }).ToArray();
            foreach (var client in clients)
                client.Start();
            foreach (var client in clients)
                client.Join();
            var wall = clock.Elapsed;
            ct.ThrowIfCancellationRequested();
            if (failed is not null)
                throw new IOException("calibration: a loopback TLS handshake failed", failed);
            // The servers' last disposals may still be adding: each server thread is joined first.
            StopServers();
            return PerCpuSecond(total, wall, cpu.Total);
        }
        finally
        {
            StopServers();
        }

        void StopServers()
        {
            if (Volatile.Read(ref stopping))
                return;
            // Each server thread takes one more connection, sees the flag and ends.
            Volatile.Write(ref stopping, true);
            foreach (var _ in servers)
            {
                using var wake = new TcpClient();
                try
                {
                    wake.Connect(endpoint);
                }
                catch (SocketException)
                {
                    break; // the listener is broken: the server threads' accepts fail and they end
                }
            }
            foreach (var server in servers)
                server.Join();
            listener.Stop();
        }
    }
}
