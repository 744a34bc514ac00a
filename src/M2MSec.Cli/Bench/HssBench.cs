using System.Diagnostics;
using System.Security.Cryptography;
using M2MSec.NetworkFunctions.Hosting;
using M2MSec.NetworkFunctions.Hss;

namespace M2MSec.Cli.Bench;

/// <summary>
/// `m2msec bench hss` (issue 19): authentication vectors per second over HTTP (POST /auth-vectors, mutual TLS, an icf
/// client certificate, the SQLite store as `serve` uses it) with count 1 and count 32 per request, against the bound
/// measured in the same run on the same disk: the store's durable-commit rate (a one-row UPDATE, synchronous = FULL).
/// The HSS reserves SQNs in blocks (<see cref="HssOptions.SqnBlockSize"/>, 32): one commit per block, fsynced before any SQN
/// of it leaves (TS 33.102 C.1.1.2), so count 1 costs 1/32 of a commit per vector. The same AuC in process on the same
/// store with blocks of 1 (one commit per request, as before) and of 32 shows what the blocks buy, without HTTP.
/// With an eviction size, a request's CPU with cold caches too (<see cref="ColdAsync"/>).
/// </summary>
internal static class HssBench
{
    public static async Task<List<KeyValuePair<string, object?>>> RunAsync(TimeSpan duration, int parallel, TimeSpan maxWarmUp, TextWriter err, CancellationToken ct,
        int evictMib = 0)
    {
        err.WriteLine($"bench hss: {duration.TotalSeconds:F0} s per measurement, {parallel} requests in parallel (one subscriber each), SQLite store, mutual TLS on loopback");
        var dir = Directory.CreateTempSubdirectory("m2msec-bench-hss-").FullName;
        try
        {
            var kek = Path.Combine(dir, "kek.json");
            await using var fleet = await NetworkFunctionCatalog.StartAllAsync(new StoreOptions(Path.Combine(dir, "nf"), kek), createKeyRing: true, cancellationToken: ct);
            using var admin = fleet.AdminClient("hss", TimeSpan.FromSeconds(30));
            var imsis = new string[parallel];
            for (var i = 0; i < parallel; i++)
            {
                imsis[i] = $"00101{800_000_000 + i:D10}";
                await new HssClient(admin).AddSubscriberAsync(imsis[i], RandomNumberGenerator.GetBytes(16), RandomNumberGenerator.GetBytes(16), new byte[] { 0x80, 0x00 }, ct);
            }
            using var icf = await fleet.ClientAsAsync("icf", "hss", TimeSpan.FromSeconds(30), ct);
            var hss = new HssClient(icf);
            Task Vectors(int i, int count) => hss.GetVectorsAsync(imsis[i], count, ct: ct);
            var slices = await BenchWarmUp.UntilJitQuietAsync(async d =>
            {
                await MeasureAsync(d / 2, parallel, i => Vectors(i, 1), ct);
                await MeasureAsync(d / 2, parallel, i => Vectors(i, 32), ct);
            }, BenchWarmUp.ThisProcess, maxWarmUp);
            err.WriteLine($"bench hss: warm-up {slices} s (until the JIT was quiet); count 1, count 32, then bare durable commits");

            // Count 1, count 32 and the bare commits alternate in short rounds, best of each: the fleet's other roles run
            // background work in this process, and a burst of it hits all three alike.
            var commit = await StoreBench.SqliteRaw(dir)();
            await MeasureAsync(TimeSpan.FromMilliseconds(300), parallel, _ => commit(), ct);
            const int Rounds = 3;
            (double PerSecond, double CpuMsPerOp) one = default, many = default, commits = default;
            for (var round = 0; round < Rounds; round++)
            {
                one = Best(one, await MeasureAsync(duration / Rounds, parallel, i => Vectors(i, 1), ct));
                many = Best(many, await MeasureAsync(duration / Rounds, parallel, i => Vectors(i, 32), ct));
                commits = Best(commits, await MeasureAsync(duration / Rounds, parallel, _ => commit(), ct));
            }
            var commitsPerS = commits.PerSecond;
            (double Warm, double Eviction, double Cold)? cold = null;
            if (evictMib > 0)
            {
                err.WriteLine($"bench hss: count 1 with each request's caches cold ({evictMib} MiB touched before it), against the touch alone and warm requests");
                cold = await ColdAsync(evictMib, duration, parallel, Rounds, i => Vectors(i, 1), ct);
            }
            err.WriteLine("bench hss: the AuC in process on a SQLite store, count 1, SQN blocks of 1 then 32, then the store's bare SQN commit");
            var (block1, block32, storeCommits) = await InProcessAsync(dir, duration, parallel, Rounds, ct);
            var blockSize = new HssOptions().SqnBlockSize;
            return
            [
                new("vectors_per_s_count_1", Math.Round(one.PerSecond, 1)),
                new("cpu_ms_per_request_count_1", Math.Round(one.CpuMsPerOp, 3)),
                new("requests_per_s_count_32", Math.Round(many.PerSecond, 1)),
                new("vectors_per_s_count_32", Math.Round(many.PerSecond * 32, 1)),
                new("cpu_ms_per_request_count_32", Math.Round(many.CpuMsPerOp, 3)),
                new("durable_commits_per_s", Math.Round(commitsPerS, 1)),
                new("ratio_to_commit_bound_count_1", Math.Round(one.PerSecond / commitsPerS, 3)),
                new("commit_bound_vectors_per_s_count_32", Math.Round(commitsPerS * 32, 1)),
                new("ratio_to_commit_bound_count_32", Math.Round(many.PerSecond / commitsPerS, 3)),
                new("batching_gain", Math.Round(many.PerSecond * 32 / one.PerSecond, 2)),
                new("sqn_block_size", blockSize),
                new("commits_per_vector", Math.Round(1.0 / blockSize, 4)),
                new("auc_vectors_per_s_count_1_block_1", Math.Round(block1.PerSecond, 1)),
                new("auc_cpu_ms_per_vector_block_1", Math.Round(block1.CpuMsPerOp, 3)),
                new("store_sqn_commits_per_s", Math.Round(storeCommits.PerSecond, 1)),
                new("auc_ratio_to_store_commit_bound_block_1", Math.Round(block1.PerSecond / storeCommits.PerSecond, 3)),
                new("auc_vectors_per_s_count_1_block_32", Math.Round(block32.PerSecond, 1)),
                new("auc_cpu_ms_per_vector_block_32", Math.Round(block32.CpuMsPerOp, 3)),
                new("auc_ratio_to_store_commit_bound_block_32", Math.Round(block32.PerSecond / (storeCommits.PerSecond * blockSize), 3)),
                new("auc_block_gain", Math.Round(block32.PerSecond / block1.PerSecond, 2)),
                new("evict_mib", evictMib),
                new("cpu_ms_per_request_count_1_warm", cold is { } w ? Math.Round(w.Warm, 3) : null),
                new("cpu_ms_eviction_alone", cold is { } e ? Math.Round(e.Eviction, 3) : null),
                new("cpu_ms_per_request_count_1_cold", cold is { } c ? Math.Round(c.Cold, 3) : null),
                new("cold_to_warm_cpu_ratio", cold is { } r && r.Warm > 0 ? Math.Round(r.Cold / r.Warm, 2) : null),
                new("rounds", Rounds),
                new("parallel", parallel),
                new("store", "sqlite"),
                new("cores", Environment.ProcessorCount),
                new("load_average_1m", DmBench.LoadAverage()),
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

    /// <summary>The AuC without HTTP on a SQLite store of its own: count 1 with SQN blocks of 1 and of 32, alternating rounds, best of each.</summary>
    private static async Task<((double PerSecond, double CpuMsPerOp) Block1, (double PerSecond, double CpuMsPerOp) Block32, (double PerSecond, double CpuMsPerOp) Commits)> InProcessAsync(
        string dir, TimeSpan duration, int parallel, int rounds, CancellationToken ct)
    {
        await using var store = await M2MSec.Storage.Sqlite.SqliteStateStore.OpenAsync(Path.Combine(dir, "auc"), M2MSec.Storage.Security.KeyRing.CreateEphemeral());
        var imsis = new string[parallel];
        for (var i = 0; i < parallel; i++)
        {
            imsis[i] = $"00101{810_000_000 + i:D10}";
            await store.Subscribers.AddAsync(new M2MSec.Storage.Hss.HssSubscriber(imsis[i], RandomNumberGenerator.GetBytes(16), RandomNumberGenerator.GetBytes(16), [0x80, 0x00]), 0, ct);
        }
        var one = new AuthenticationCentre(store.Subscribers, new HssOptions { SqnBlockSize = 1 });
        var blocks = new AuthenticationCentre(store.Subscribers, new HssOptions());
        await MeasureAsync(TimeSpan.FromMilliseconds(300), parallel, i => one.RequestVectorsAsync(imsis[i], 1, cancellationToken: ct).AsTask(), ct);
        await MeasureAsync(TimeSpan.FromMilliseconds(300), parallel, i => blocks.RequestVectorsAsync(imsis[i], 1, cancellationToken: ct).AsTask(), ct);
        // The store's own durable commit per SQN advance (the UPDATE … RETURNING the AuC runs, fsynced): the bound of blocks of 1.
        Task Commit(int i) => store.Subscribers.AllocateSqnsAsync(imsis[i], 1, M2MSec.Aka.SqnScheme.Default, ct).AsTask();
        (double PerSecond, double CpuMsPerOp) a = default, b = default, c = default;
        for (var round = 0; round < rounds; round++)
        {
            a = Best(a, await MeasureAsync(duration / rounds, parallel, i => one.RequestVectorsAsync(imsis[i], 1, cancellationToken: ct).AsTask(), ct));
            b = Best(b, await MeasureAsync(duration / rounds, parallel, i => blocks.RequestVectorsAsync(imsis[i], 1, cancellationToken: ct).AsTask(), ct));
            c = Best(c, await MeasureAsync(duration / rounds, parallel, Commit, ct));
        }
        return (a, b, c);
    }

    /// <summary>
    /// Issue 19: what the fleet's breadth costs a request. In the demo the same request meets caches filled by ≈ 17 other functions'
    /// code and data; here each loop first touches <paramref name="evictMib"/> MiB of its own (a byte per 64-octet line: the L1, L2
    /// and — past the L3's size — the L3 and TLBs refilled with it), and the touch alone is measured and taken off. Warm requests,
    /// the touch alone and touch + request alternate in rounds, best of each; CPU per request, client and server.
    /// </summary>
    private static async Task<(double Warm, double Eviction, double Cold)> ColdAsync(int evictMib, TimeSpan duration, int parallel, int rounds, Func<int, Task> request,
        CancellationToken ct)
    {
        var buffers = Enumerable.Range(0, parallel).Select(_ => new byte[evictMib << 20]).ToArray();
        static void Touch(byte[] buffer)
        {
            for (var k = 0; k < buffer.Length; k += 64)
                buffer[k]++;
        }
        (double PerSecond, double CpuMsPerOp) warm = default, touch = default, both = default;
        for (var round = 0; round < rounds; round++)
        {
            warm = Best(warm, await MeasureAsync(duration / rounds, parallel, request, ct));
            touch = Best(touch, await MeasureAsync(duration / rounds, parallel, i =>
            {
                Touch(buffers[i]);
                return Task.CompletedTask;
            }, ct));
            both = Best(both, await MeasureAsync(duration / rounds, parallel, async i =>
            {
                Touch(buffers[i]);
                await request(i);
            }, ct));
        }
        return (warm.CpuMsPerOp, touch.CpuMsPerOp, Math.Max(0, both.CpuMsPerOp - touch.CpuMsPerOp));
    }

    private static (double PerSecond, double CpuMsPerOp) Best((double PerSecond, double CpuMsPerOp) a, (double PerSecond, double CpuMsPerOp) b) =>
        b.PerSecond > a.PerSecond ? b : a;

    /// <summary><paramref name="parallel"/> loops of <paramref name="op"/> for <paramref name="duration"/>: operations per second and process CPU per operation.</summary>
    private static async Task<(double PerSecond, double CpuMsPerOp)> MeasureAsync(TimeSpan duration, int parallel, Func<int, Task> op, CancellationToken ct)
    {
        long ops = 0;
        var cpu0 = Demo.DemoSummary.ProcessCpuSeconds();
        var watch = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, parallel).Select(i => Task.Run(async () =>
        {
            while (watch.Elapsed < duration)
            {
                await op(i);
                Interlocked.Increment(ref ops);
            }
        }, ct)));
        var seconds = watch.Elapsed.TotalSeconds;
        var cpuMs = (Demo.DemoSummary.ProcessCpuSeconds() - cpu0) * 1000;
        return (ops / seconds, ops == 0 ? 0 : cpuMs / ops);
    }
}
