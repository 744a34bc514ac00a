using System.Diagnostics;
using M2MSec.NetworkFunctions.Dm;
using M2MSec.NetworkFunctions.Hosting;
using M2MSec.Pki.Authority;
using M2MSec.Pki.Tls;
using M2MSec.Storage.Dm;
using M2MSec.Storage.InMemory;
using Microsoft.Extensions.DependencyInjection;

namespace M2MSec.Cli.Bench;

/// <summary>
/// The DM server of `bench dm` in a process of its own (issue 19), so that its CPU time is the
/// server's alone: the devices (TLS client, SyncML client, sealed TRE writes) run in the parent.
/// A hidden `bench dm-server` command; one line each way on stdin/stdout:
/// first it prints <c>ready &lt;address&gt; &lt;root DER base64&gt; &lt;issuing DER base64&gt;</c>, then answers
/// <c>account &lt;user&gt; &lt;password base64&gt;</c> and <c>job &lt;user&gt;</c> (a NAS job queued) with <c>ok</c>,
/// <c>standing &lt;user&gt;</c> with <c>ok</c> too (a NAS job queued, and the next one each time a job of the device's ends, by the server itself
/// at the end of the session, before its last reply leaves — so the device's next session finds its job without a round trip over this pipe),
/// <c>cpu</c> with its process CPU time and the JIT's compilation time in milliseconds and the methods it compiled (the tiered-compilation
/// worker still compiling is start-up, not the steady state); end of input stops it.
/// </summary>
internal static class DmBenchServer
{
    public const string ServerId = "m2msec-dm";

    public static async Task<int> RunAsync(TextReader input, TextWriter output, CancellationToken ct)
    {
        var dir = Directory.CreateTempSubdirectory("m2msec-bench-dm-server-").FullName;
        try
        {
            var hierarchy = await CertificateHierarchy.InitAsync(new InMemoryCertificateStore(TimeProvider.System), "operator", KeyAlgorithm.EcP256, null, TimeProvider.System, ct);
            using var cert = await hierarchy.IssueAsync(CertificateProfile.DmServer, new CertificateSubject("localhost", ["127.0.0.1"]), cancellationToken: ct);
            var store = new InMemoryStateStore();
            await using var host = await NetworkFunctionHost.StartAsync(new DmFunction(new DmFunctionOptions()), Path.Combine(dir, "dm"), store,
                "https://127.0.0.1:0", tls: NetworkFunctionTls.ServerOnly(new RenewingCertificate(cert), [hierarchy.Issuing], resumption: true), cancellationToken: ct);
            // Issue 19 target 3: a job per session queued over the pipe cost the devices a round trip each session (and serialised them on
            // the pipe) — the harness's cost, not the session's; a standing device's next job is queued by the function's own observer.
            var standing = new System.Collections.Concurrent.ConcurrentDictionary<string, bool>(StringComparer.Ordinal);
            host.Services.GetRequiredService<DmSessionEngine>().JobFinished = async (finished, ct) =>
            {
                if (standing.ContainsKey(finished.DevId))
                    await store.Dm.AddJobAsync(Demo.Stages.DmNasConfigurationStage.NasJob(Guid.NewGuid().ToString("N"), finished.DevId), ct);
            };
            await output.WriteLineAsync($"ready {host.Address} {Convert.ToBase64String(hierarchy.Root.RawData)} {Convert.ToBase64String(hierarchy.Issuing.RawData)}");
            await output.FlushAsync(ct);
            while (await input.ReadLineAsync(ct) is { } line)
            {
                var words = line.Split(' ');
                switch (words[0])
                {
                    case "account" when words.Length == 3:
                        var password = Convert.FromBase64String(words[2]);
                        await store.Dm.AddAccountAsync(new DmAccount(words[1], ServerId, words[1], password, password, "md5", "md5", DateTimeOffset.UtcNow), ct);
                        await output.WriteLineAsync("ok");
                        break;
                    case "job" when words.Length == 2:
                    case "standing" when words.Length == 2 && standing.TryAdd(words[1], true):
                        await store.Dm.AddJobAsync(Demo.Stages.DmNasConfigurationStage.NasJob(Guid.NewGuid().ToString("N"), words[1]), ct);
                        await output.WriteLineAsync("ok");
                        break;
                    case "cpu":
                        using (var self = Process.GetCurrentProcess())
                        {
                            var invariant = System.Globalization.CultureInfo.InvariantCulture;
                            await output.WriteLineAsync(self.TotalProcessorTime.TotalMilliseconds.ToString("F3", invariant) + " "
                                + System.Runtime.JitInfo.GetCompilationTime().TotalMilliseconds.ToString("F3", invariant) + " "
                                + System.Runtime.JitInfo.GetCompiledMethodCount().ToString(invariant));
                        }
                        break;
                    default:
                        await output.WriteLineAsync("error");
                        break;
                }
                await output.FlushAsync(ct);
            }
            return 0;
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
