using System.CommandLine;
using M2MSec.Aka;
using M2MSec.Aka.Performance;
using M2MSec.Cli.Internal;

namespace M2MSec.Cli.Commands;

/// <summary>
/// `m2msec bench aka [--seconds N] [--json]`: vectors/s on one core and on all cores over
/// 1,000,000 distinct subscribers, against the AES-NI bound measured in the same run.
/// </summary>
internal static class BenchCommand
{
    public const int Subscribers = 1_000_000;

    /// <summary>`bench trigger` (issue 17): protected triggers built and verified per second on one core, against the bare 128-EIA2 MAC.</summary>
    private static Command Trigger()
    {
        var trigger = new Command("trigger", "Protected triggers built and verified per second on one core, against the bare 128-EIA2 MAC");
        var seconds = CliArgs.Int("--seconds", "seconds per measurement", 1, 600, 2);
        var payload = CliArgs.Int("--payload-octets", "the trigger's application payload", 0, 1024, 16);
        var json = CliArgs.Flag("--json", "print one JSON object");
        trigger.Options.Add(seconds);
        trigger.Options.Add(payload);
        trigger.Options.Add(json);
        trigger.SetAction(r =>
        {
            CliOutput.Write(r, r.GetValue(json), Bench.TriggerBench.Run(TimeSpan.FromSeconds(r.GetValue(seconds)), r.GetValue(payload), r.InvocationConfiguration.Error));
            return ExitCodes.Success;
        });
        return trigger;
    }

    private static Command Ota()
    {
        var ota = new Command("ota", "SCP80 command packets wrapped/unwrapped per second against the AES-NI bound");
        var seconds = CliArgs.Int("--seconds", "seconds per measurement", 1, 600, 1);
        var json = CliArgs.Flag("--json", "print one JSON object");
        ota.Options.Add(seconds);
        ota.Options.Add(json);
        ota.SetAction(r =>
        {
            var duration = TimeSpan.FromSeconds(r.GetValue(seconds));
            r.InvocationConfiguration.Error.WriteLine($"bench ota: 10,000 cards with their own keys, {duration.TotalSeconds:F0} s per measurement, one core");
            var fields = new List<KeyValuePair<string, object?>>();
            foreach (var suite in new[] { M2MSec.Ota.Performance.OtaThroughput.Aes128, M2MSec.Ota.Performance.OtaThroughput.TripleDes })
            {
                var cards = M2MSec.Ota.Performance.OtaThroughput.Cards(10_000, suite.KeyLength);
                M2MSec.Ota.Performance.OtaThroughput.Wrap(suite, cards, 30, TimeSpan.FromMilliseconds(200)); // warm-up
                foreach (var size in new[] { 30, 200 })
                {
                    var wrap = M2MSec.Ota.Performance.OtaThroughput.Wrap(suite, cards, size, duration).PerSecond;
                    var unwrap = M2MSec.Ota.Performance.OtaThroughput.Unwrap(suite, cards, size, duration).PerSecond;
                    var entry = new Dictionary<string, object?> { ["wrap_per_s"] = Math.Round(wrap), ["unwrap_per_s"] = Math.Round(unwrap) };
                    if (suite == M2MSec.Ota.Performance.OtaThroughput.Aes128 && M2MSec.Crypto.Aes128Ni.IsSupported)
                    {
                        var bound = M2MSec.Ota.Performance.OtaThroughput.AesBound(cards, size, duration).PerSecond;
                        var overlapped = M2MSec.Ota.Performance.OtaThroughput.AesBound(cards, size, duration, interleaved: true).PerSecond;
                        entry["aes_bound_per_s"] = Math.Round(bound);
                        entry["ratio_to_bound"] = Math.Round(wrap / bound, 3);
                        entry["aes_bound_interleaved_per_s"] = Math.Round(overlapped);
                        entry["ratio_to_interleaved_bound"] = Math.Round(wrap / overlapped, 3);
                    }
                    fields.Add(new($"{suite.Name}_{size}", entry));
                }
            }
            CliOutput.Write(r, r.GetValue(json), fields);
            return ExitCodes.Success;
        });
        return ota;
    }

    /// <summary>`m2msec bench group [--members N] [--seconds N] [--json]` (issue 17): rekey time for N members, group message rates.</summary>
    private static Command Group()
    {
        var group = new Command("group", "Rekey time of a membership change for N members (one wrap each) and group messages protected/opened per second, one core");
        var members = CliArgs.Int("--members", "group size", 1, 1_000_000, 10_000);
        var seconds = CliArgs.Int("--seconds", "seconds per measurement", 1, 600, 2);
        var json = CliArgs.Flag("--json", "print one JSON object");
        group.Options.Add(members);
        group.Options.Add(seconds);
        group.Options.Add(json);
        group.SetAction(r =>
        {
            var fields = Bench.GroupBench.Run(r.GetValue(members), 100, TimeSpan.FromSeconds(r.GetValue(seconds)), r.InvocationConfiguration.Error);
            CliOutput.Write(r, r.GetValue(json), fields);
            return ExitCodes.Success;
        });
        return group;
    }

    /// <summary>`bench gba` (issue 18): bootstrappings/s over HTTP on loopback with MILENAGE's share, NAF key requests/s over Zn.</summary>
    private static Command Gba()
    {
        var gba = new Command("gba", "GBA bootstrappings/s over HTTP on loopback (MILENAGE's share of the CPU shown) and NAF key requests/s over Zn");
        var seconds = CliArgs.Int("--seconds", "seconds per measurement", 1, 600, 3);
        var parallel = CliArgs.Int("--parallel", "devices (and NAF requests) in parallel", 1, 64, 4);
        var json = CliArgs.Flag("--json", "print one JSON object");
        foreach (var o in new Option[] { seconds, parallel, json })
            gba.Options.Add(o);
        gba.SetAction((r, ct) => CliSignals.RunAsync("bench gba", r.InvocationConfiguration.Error, ct, async ct =>
        {
            var fields = await Bench.GbaBench.RunAsync(TimeSpan.FromSeconds(r.GetValue(seconds)), r.GetValue(parallel), r.InvocationConfiguration.Error, ct);
            CliOutput.Write(r, r.GetValue(json), fields);
            return ExitCodes.Success;
        }));
        return gba;
    }

    private static Command Dm()
    {
        var dm = new Command("dm", "Complete DM configuration sessions/s over TLS on loopback, CPU per session, against the bare TLS handshake rate");
        var seconds = CliArgs.Int("--seconds", "seconds per measurement", 1, 600, 3);
        var devices = CliArgs.Int("--devices", "devices running sessions in parallel", 1, 64, 4);
        var warmUp = WarmUp(40);
        var json = CliArgs.Flag("--json", "print one JSON object");
        foreach (var o in new Option[] { seconds, devices, warmUp, json })
            dm.Options.Add(o);
        dm.SetAction((r, ct) => CliSignals.RunAsync("bench dm", r.InvocationConfiguration.Error, ct, async ct =>
        {
            var fields = await Bench.DmBench.RunAsync(r.GetValue(devices), TimeSpan.FromSeconds(r.GetValue(seconds)), TimeSpan.FromSeconds(r.GetValue(warmUp)),
                r.InvocationConfiguration.Error, ct);
            CliOutput.Write(r, r.GetValue(json), fields);
            return ExitCodes.Success;
        }));
        return dm;
    }

    /// <summary>`bench hss --evict-mib` × `--parallel`: the eviction buffers' total.</summary>
    private const int MaxEvictionMib = 2048;

    /// <summary>`bench hss` (issue 19): vectors/s over HTTP with count 1 and 32 per request, against the store's durable-commit rate.</summary>
    private static Command Hss()
    {
        var hss = new Command("hss", "Authentication vectors/s over HTTP (count 1 and 32 per request) against the store's durable-commit rate, same run");
        var seconds = CliArgs.Int("--seconds", "seconds per measurement", 1, 600, 3);
        var parallel = CliArgs.Int("--parallel", "requests in parallel (one subscriber each)", 1, 64, 4);
        var warmUp = WarmUp(30);
        var evict = CliArgs.Int("--evict-mib", "also count 1 with cold caches: MiB each request loop touches before each request (0: off)", 0, 256, 0);
        var json = CliArgs.Flag("--json", "print one JSON object");
        foreach (var o in new Option[] { seconds, parallel, warmUp, evict, json })
            hss.Options.Add(o);
        hss.SetAction((r, ct) => CliSignals.RunAsync("bench hss", r.InvocationConfiguration.Error, ct, async ct =>
        {
            // Each loop has a buffer of its own: refuse a total this machine may not hold rather than fail part-way through the run.
            if ((long)r.GetValue(evict) * r.GetValue(parallel) > MaxEvictionMib)
            {
                CliOutput.Error(r, $"--evict-mib: {r.GetValue(evict)} MiB × --parallel {r.GetValue(parallel)} is over {MaxEvictionMib} MiB in all");
                return ExitCodes.BadArguments;
            }
            var fields = await Bench.HssBench.RunAsync(TimeSpan.FromSeconds(r.GetValue(seconds)), r.GetValue(parallel), TimeSpan.FromSeconds(r.GetValue(warmUp)),
                r.InvocationConfiguration.Error, ct, r.GetValue(evict));
            CliOutput.Write(r, r.GetValue(json), fields);
            return ExitCodes.Success;
        }));
        return hss;
    }

    /// <summary>
    /// `--warm-up S`: the longest warm-up before the measurements (<see cref="Bench.BenchWarmUp"/>: it ends earlier once the JIT is
    /// quiet). A short one gives a quick, less steady figure (the tests' runs); the default lets a loaded machine's JIT settle.
    /// </summary>
    private static Option<int> WarmUp(int defaultSeconds) =>
        CliArgs.Int("--warm-up", "longest warm-up in seconds (it ends once the JIT is quiet)", 1, 120, defaultSeconds);

    /// <summary>The DM server of `bench dm` in its own process (issue 19): hidden, driven over stdin/stdout by `bench dm`.</summary>
    private static Command DmServer()
    {
        var server = new Command("dm-server", "The DM server of bench dm, in a process of its own (driven by bench dm)") { Hidden = true };
        server.SetAction(async (r, ct) => await Bench.DmBenchServer.RunAsync(Console.In, Console.Out, ct));
        return server;
    }

    private static Command Ocsp()
    {
        var ocsp = new Command("ocsp", "OCSP requests answered/s over loopback, against the signing key's signature rate (the bound)");
        var seconds = CliArgs.Int("--seconds", "seconds per measurement (over HTTP, the HTTP floor and in process interleave in one-second slices)", 1, 600, 3);
        var clients = CliArgs.Int("--clients", "concurrent HTTP clients", 1, 256, 8);
        var key = CliArgs.OneOf("--key", "the hierarchy's key type", M2MSec.Pki.Authority.KeyAlgorithms.AllNames, "ec-p256");
        var warmUp = WarmUp(40);
        var json = CliArgs.Flag("--json", "print one JSON object");
        foreach (var o in new Option[] { seconds, clients, key, warmUp, json })
            ocsp.Options.Add(o);
        ocsp.SetAction((r, ct) => CliSignals.RunAsync("bench ocsp", r.InvocationConfiguration.Error, ct, async ct =>
        {
            M2MSec.Pki.Authority.KeyAlgorithms.TryParse(r.GetValue(key), out var algorithm);
            var fields = await Bench.OcspBench.RunAsync(algorithm, 500, r.GetValue(clients), TimeSpan.FromSeconds(r.GetValue(seconds)),
                TimeSpan.FromSeconds(r.GetValue(warmUp)), r.InvocationConfiguration.Error, ct);
            CliOutput.Write(r, r.GetValue(json), fields);
            return ExitCodes.Success;
        }));
        return ocsp;
    }

    private static Command Store()
    {
        var store = new Command("store", "Durable counter increments/s, nonce consumes/s and counter reads/s on SQLite and PostgreSQL");
        var operations = CliArgs.Int("--operations", "operations per measurement", 100, 1_000_000, 3000);
        var postgres = CliArgs.Text("--postgres", "a scratch PostgreSQL database to measure too (its tables are created there)");
        var json = CliArgs.Flag("--json", "print one JSON object");
        store.Options.Add(operations);
        store.Options.Add(postgres);
        store.Options.Add(json);
        store.SetAction(async (r, ct) =>
        {
            var err = r.InvocationConfiguration.Error;
            var dir = Directory.CreateTempSubdirectory("m2msec-bench-store-").FullName;
            try
            {
                var results = new List<KeyValuePair<string, object?>>
                {
                    new("sqlite", await Bench.StoreBench.RunAsync("sqlite", Bench.StoreBench.Sqlite(dir), Bench.StoreBench.SqliteRaw(dir), Bench.StoreBench.SqliteRawReader(dir), r.GetValue(operations), err, ct)),
                    new("postgresql", r.GetValue(postgres) is { } pg
                        ? await Bench.StoreBench.RunAsync("postgresql", Bench.StoreBench.Postgres(pg), Bench.StoreBench.PostgresRaw(pg), Bench.StoreBench.PostgresRawReader(pg), r.GetValue(operations), err, ct)
                        : null),
                    new("cores", Environment.ProcessorCount),
                };
                if (r.GetValue(postgres) is null)
                    err.WriteLine("bench store: no --postgres given; PostgreSQL not measured");
                CliOutput.Write(r, r.GetValue(json), results);
                return ExitCodes.Success;
            }
            finally
            {
                Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
                Directory.Delete(dir, true);
            }
        });
        return store;
    }

    private static Command Mcim()
    {
        var mcim = new Command("mcim", "MCIM objects sealed/opened per second (EC P-256, RSA-2048 PK_D) against the bare public-key operations; a prepared MCIM against sealing on demand, bulk sealing on all cores against one");
        var seconds = CliArgs.Int("--seconds", "seconds per key type and direction", 1, 600, 2);
        var suite = CliArgs.OneOf("--suite", "Protected_data suite", ["aes-cbc-hmac-sha1", "aes-128-gcm"], "aes-cbc-hmac-sha1");
        var json = CliArgs.Flag("--json", "print one JSON object");
        foreach (var o in new Option[] { seconds, suite, json })
            mcim.Options.Add(o);
        mcim.SetAction(r =>
        {
            var chosen = r.GetValue(suite) == "aes-128-gcm" ? M2MSec.Provisioning.Mcim.McimSuite.Aes128Gcm : M2MSec.Provisioning.Mcim.McimSuite.AesCbcHmacSha1;
            var fields = Bench.McimBench.Run(TimeSpan.FromSeconds(r.GetValue(seconds)), chosen, r.InvocationConfiguration.Error);
            CliOutput.Write(r, r.GetValue(json), fields);
            return ExitCodes.Success;
        });
        return mcim;
    }

    public static Command Create()
    {
        var command = new Command("bench", "Quick performance measurements (BenchmarkDotNet suites live in bench/)");
        var aka = new Command("aka", "Authentication vectors per second against the AES-NI bound");
        var seconds = CliArgs.Int("--seconds", "seconds per measurement", 1, 600, 3);
        var subscribers = CliArgs.Int("--subscribers", "distinct subscribers (K, OPc)", 1000, 50_000_000, Subscribers);
        var json = CliArgs.Flag("--json", "print one JSON object");
        aka.Options.Add(seconds);
        aka.Options.Add(subscribers);
        aka.Options.Add(json);
        aka.SetAction(r =>
        {
            var duration = TimeSpan.FromSeconds(r.GetValue(seconds));
            var err = r.InvocationConfiguration.Error;
            err.WriteLine($"bench aka: {r.GetValue(subscribers):N0} subscribers, {duration.TotalSeconds:F0} s per measurement, {Environment.ProcessorCount} cores, AES-NI: {Milenage.Default.IsHardwareAccelerated}");
            var population = AkaThroughput.Population.Create(r.GetValue(subscribers));
            AkaThroughput.Vectors(population, TimeSpan.FromMilliseconds(300)); // warm-up: tiered JIT to full opt
            var hardware = Milenage.Default.IsHardwareAccelerated;
            if (hardware)
                AkaThroughput.AesBound(population, TimeSpan.FromMilliseconds(300));

            // One core and the bound alternate in short rounds, best of each, so a noisy
            // neighbour or a clock change hits both alike; then all cores at once.
            const int Rounds = 3;
            var slice = duration / Rounds;
            double one = 0, bound = 0;
            ulong sink = 0;
            for (var round = 0; round < Rounds; round++)
            {
                var v = AkaThroughput.Vectors(population, slice, round * 1000);
                one = Math.Max(one, v.PerSecond);
                sink ^= v.Sink;
                if (hardware)
                {
                    var b = AkaThroughput.AesBound(population, slice);
                    bound = Math.Max(bound, b.PerSecond);
                    sink ^= b.Sink;
                }
            }
            var all = AkaThroughput.VectorsParallel(population, duration, Environment.ProcessorCount);
            double? boundOrNull = hardware ? bound : null;
            CliOutput.Write(r, r.GetValue(json),
            [
                new("av_per_s_1core", Math.Round(one)),
                new("av_per_s_all", Math.Round(all.PerSecond)),
                new("scaling", Math.Round(all.PerSecond / one, 3)),
                new("aes_bound_av_per_s_1core", boundOrNull is { } b1 ? Math.Round(b1) : null),
                new("ratio_to_bound", boundOrNull is { } b2 ? Math.Round(one / b2, 3) : null),
                new("cores", Environment.ProcessorCount),
                new("subscribers", population.Count),
            ]);
            GC.KeepAlive(sink ^ all.Sink);
            return ExitCodes.Success;
        });
        command.Subcommands.Add(aka);
        command.Subcommands.Add(Store());
        command.Subcommands.Add(Ota());
        command.Subcommands.Add(Ocsp());
        command.Subcommands.Add(Dm());
        command.Subcommands.Add(DmServer()); // issue 19
        command.Subcommands.Add(Hss()); // issue 19
        command.Subcommands.Add(Group()); // issue 17
        command.Subcommands.Add(Mcim());
        command.Subcommands.Add(Trigger());
        command.Subcommands.Add(Gba()); // issue 18
        return command;
    }
}
