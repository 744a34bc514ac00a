using System.Diagnostics;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using M2MSec.NetworkFunctions.Hosting;
using M2MSec.NetworkFunctions.Ocsp;
using M2MSec.Pki.Authority;
using M2MSec.Pki.Ocsp;
using M2MSec.Storage.InMemory;

namespace M2MSec.Cli.Bench;

/// <summary>
/// `bench ocsp`: OCSP requests (each with its own 32-octet nonce, so nothing can be cached) answered
/// per second by the responder network function over loopback HTTP; the same responder in
/// process; and the bound — signatures per second of its signing key on all cores, same run.
/// Issue 19: also the serial composition of the HTTP floor (GET /health) and the in-process responder,
/// 1 / (1/floor + 1/in-process) — what HTTP plus the responder would give if nothing else cost — and the
/// ratio of the rate over HTTP to it.
/// </summary>
internal static class OcspBench
{
    public static async Task<IReadOnlyList<KeyValuePair<string, object?>>> RunAsync(KeyAlgorithm algorithm, int certificates, int clients, TimeSpan duration,
        TimeSpan maxWarmUp, TextWriter progress, CancellationToken ct)
    {
        var store = new InMemoryStateStore();
        var hierarchy = await CertificateHierarchy.InitAsync(store.Certificates, "operator", algorithm, null, TimeProvider.System, ct);
        progress.WriteLine($"bench ocsp: {algorithm.Name()} hierarchy, issuing {certificates} certificates");
        var requests = new byte[certificates][];
        for (var i = 0; i < certificates; i++)
        {
            using var cert = await hierarchy.IssueAsync(CertificateProfile.DmServer, new CertificateSubject($"dm{i}.operator.example"), cancellationToken: ct);
            if (i % 10 == 0)
                await hierarchy.RevokeAsync(M2MSec.Pki.CertificateSerial.Of(cert), 4, ct);
            requests[i] = OcspRequestBuilder.Build(cert, hierarchy.Issuing).Der;
        }

        var dir = Directory.CreateTempSubdirectory("m2msec-bench-ocsp-").FullName;
        try
        {
            await using var host = await NetworkFunctionHost.StartAsync(new OcspFunction(new OcspFunctionOptions()), dir, store, cancellationToken: ct);
            using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = clients }) { BaseAddress = host.Address };
            // Warm-up: with 0.3 s the tiered-compilation worker was still compiling through the HTTP measurement (a quarter
            // of the CPU samples, perf, issue 19); all three paths run until their hot code is optimised.
            using var responder = new OcspResponder(hierarchy.Issuing, hierarchy.OcspSigner,
                async (serial, c) => OcspCertificateStatus.Of(await hierarchy.FindAsync(serial, c).ConfigureAwait(false)), TimeProvider.System);
            var slices = await BenchWarmUp.UntilJitQuietAsync(async d =>
            {
                await HttpRateAsync(http, requests, clients, d * 0.5, ct);
                await HttpRateAsync(http, null, clients, d * 0.25, ct);
                await ParallelRateAsync(async i => await responder.RespondAsync(requests[i % requests.Length], ct), d * 0.25, ct);
            }, BenchWarmUp.ThisProcess, maxWarmUp);
            progress.WriteLine($"bench ocsp: warm-up {slices} s (until the JIT was quiet)");
            // The three rates interleaved in slices of a second each: a drift of the machine (a neighbour, the clock) over the
            // run then weighs on all three alike instead of on whichever ran during it — the floor alone varied 27–37 k/s run to run.
            var rounds = Math.Max(1, (int)Math.Round(duration.TotalSeconds));
            var slice = duration / rounds;
            progress.WriteLine($"bench ocsp: {rounds} rounds of {slice.TotalSeconds:F1} s each: {clients} clients over loopback HTTP, " +
                "the HTTP floor (GET /health, same clients), the responder in process on all cores");
            Rate overHttpTotal = default, floorTotal = default, inProcessTotal = default;
            for (var round = 0; round < rounds; round++)
            {
                overHttpTotal += await HttpRateAsync(http, requests, clients, slice, ct);
                floorTotal += await HttpRateAsync(http, null, clients, slice, ct);
                inProcessTotal += await ParallelRateAsync(async i => await responder.RespondAsync(requests[i % requests.Length], ct), slice, ct);
            }
            var (overHttp, floor, inProcess) = (overHttpTotal.PerSecond, floorTotal.PerSecond, inProcessTotal.PerSecond);
            progress.WriteLine("bench ocsp: signature bound (the signer's key alone), all cores");
            var digest = SHA256.HashData("bench"u8);
            using var ec = hierarchy.OcspSigner.GetECDsaPrivateKey();
            using var rsa = hierarchy.OcspSigner.GetRSAPrivateKey();
            var signatures = (await ParallelRateAsync(i =>
            {
                _ = ec is not null ? ec.SignHash(digest) : rsa!.SignHash(digest, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
                return ValueTask.CompletedTask;
            }, duration, ct)).PerSecond;
            // Issue 19's bound for the HTTP path: HTTP alone then the responder alone, one after the other per request.
            var composition = 1 / (1 / floor + 1 / inProcess);
            return
            [
                new("requests_per_s", Math.Round(overHttp)),
                new("serial_composition_per_s", Math.Round(composition)),
                new("ratio_to_composition", Math.Round(overHttp / composition, 3)),
                new("composition_target_ratio", 0.8),
                new("in_process_per_s", Math.Round(inProcess)),
                new("signatures_per_s", Math.Round(signatures)),
                new("ratio_to_bound", Math.Round(overHttp / signatures, 3)),
                new("in_process_ratio_to_bound", Math.Round(inProcess / signatures, 3)),
                new("http_floor_per_s", Math.Round(floor)),
                new("key", algorithm.Name()),
                new("clients", clients),
                new("certificates", certificates),
                new("cores", Environment.ProcessorCount),
                new("load_average_1m", DmBench.LoadAverage()),
            ];
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    /// <summary>POSTs the requests round-robin; with none, GETs /health (what HTTP alone costs).</summary>
    private static async Task<Rate> HttpRateAsync(HttpClient http, byte[][]? requests, int clients, TimeSpan duration, CancellationToken ct)
    {
        long done = 0;
        var health = new Uri("/health", UriKind.Relative);
        var root = new Uri("/", UriKind.Relative);
        var stopwatch = Stopwatch.StartNew();
        var workers = Enumerable.Range(0, clients).Select(w => Task.Run(async () =>
        {
            var i = w;
            while (stopwatch.Elapsed < duration)
            {
                if (requests is null)
                {
                    using var response = await http.GetAsync(health, ct).ConfigureAwait(false);
                    _ = await response.Content.ReadAsByteArrayAsync(ct).ConfigureAwait(false);
                    response.EnsureSuccessStatusCode();
                }
                else
                {
                    // The product's client (devices, peers, the PVA): what a caller of the responder pays.
                    var body = await OcspEndpoints.QueryAsync(http, root, requests[i++ % requests.Length], ct).ConfigureAwait(false);
                    if (body.Length < 100)
                        throw new InvalidOperationException($"responder answered {body.Length} octets");
                }
                Interlocked.Increment(ref done);
            }
        }, ct));
        await Task.WhenAll(workers).ConfigureAwait(false);
        return new Rate(done, stopwatch.Elapsed);
    }

    private static async Task<Rate> ParallelRateAsync(Func<int, ValueTask> operation, TimeSpan duration, CancellationToken ct)
    {
        long done = 0;
        var stopwatch = Stopwatch.StartNew();
        var workers = Enumerable.Range(0, Environment.ProcessorCount).Select(w => Task.Run(async () =>
        {
            var i = w;
            while (stopwatch.Elapsed < duration)
            {
                await operation(i++).ConfigureAwait(false);
                Interlocked.Increment(ref done);
            }
        }, ct));
        await Task.WhenAll(workers).ConfigureAwait(false);
        return new Rate(done, stopwatch.Elapsed);
    }

    /// <summary>Operations done in a time; slices add up.</summary>
    private readonly record struct Rate(long Done, TimeSpan Elapsed)
    {
        public double PerSecond => Done / Elapsed.TotalSeconds;

        public static Rate operator +(Rate a, Rate b) => new(a.Done + b.Done, a.Elapsed + b.Elapsed);
    }
}
