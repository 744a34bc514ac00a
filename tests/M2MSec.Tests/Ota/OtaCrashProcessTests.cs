using System.Diagnostics;
using System.Net.Http.Json;
using System.Security.Cryptography;
using M2MSec.NetworkFunctions.Hosting;
using M2MSec.NetworkFunctions.Ota;
using M2MSec.NetworkFunctions.Smsc;
using M2MSec.Ota.Scp80;
using M2MSec.Ota.SmsPp;
using M2MSec.Storage;
using M2MSec.Storage.InMemory;
using M2MSec.Storage.Ota;
using M2MSec.Storage.Security;
using M2MSec.Tests.Support;
using Microsoft.Extensions.Time.Testing;

namespace M2MSec.Tests.Ota;

/// <summary>
/// Issue 13 item 14 at process level: real `m2msec serve ota` children (one on SQLite; two on one
/// PostgreSQL) take a burst of jobs and one is SIGKILLed mid-burst. Reconciliation over the same
/// database afterwards leaves every job "sent" or "failed" with a reason, none "submitting", and
/// no CNTR reaches the SMSC twice.
/// </summary>
[LongRunning(21)]
public sealed class OtaCrashProcessTests(PostgresServer postgres) : IAsyncLifetime
{
    private const string Iccid = "8988211000000000701";
    private readonly string _dir = Directory.CreateTempSubdirectory("m2msec-ota-kill-").FullName;
    private readonly byte[] _kic = RandomNumberGenerator.GetBytes(16);
    private readonly byte[] _kid = RandomNumberGenerator.GetBytes(16);
    private readonly List<Process> _children = [];
    private NetworkFunctionHost _smsc = null!;

    public async ValueTask InitializeAsync() =>
        _smsc = await NetworkFunctionHost.StartAsync(new SmscFunction(), Path.Combine(_dir, "smsc"), new InMemoryStateStore());

    public async ValueTask DisposeAsync()
    {
        foreach (var c in _children)
        {
            if (!c.HasExited)
                c.Kill(entireProcessTree: true);
            await c.WaitForExitAsync();
            c.Dispose();
        }
        await _smsc.DisposeAsync();
        Directory.Delete(_dir, true);
    }

    [Fact]
    public Task Sqlite_serve_ota_killed_mid_burst_leaves_no_job_untrue_and_no_counter_twice_CrashWindowThreat() =>
        RunAsync(["--data", Path.Combine(_dir, "ota")], instances: 1,
            async ring => await M2MSec.Storage.Sqlite.SqliteStateStore.OpenAsync(Path.Combine(_dir, "ota"), ring, Clock));

    [Fact]
    public async Task Postgres_two_serve_ota_one_killed_mid_burst_leaves_no_job_untrue_and_no_counter_twice_CrashWindowThreat()
    {
        var connection = await postgres.CreateDatabaseAsync();
        await RunAsync(["--postgres", connection, "--data", Path.Combine(_dir, "ota")], instances: 2,
            async ring => await M2MSec.Storage.PostgreSql.PostgresStateStore.OpenAsync(connection, ring, Clock));
    }

    private FakeTimeProvider Clock { get; } = new(DateTimeOffset.UtcNow);

    private async Task RunAsync(string[] storeArgs, int instances, Func<KeyRing, Task<IStateStore>> open)
    {
        var kek = TestKeyRing.CreateIn(_dir);
        var apis = new List<HttpClient>();
        for (var i = 0; i < instances; i++)
        {
            var url = $"http://127.0.0.1:{LoopbackPort.Free()}";
            _children.Add(await StartServeOtaAsync([.. storeArgs, "--kek-file", kek, "--urls", url, "--smsc", _smsc.Address.ToString()]));
            apis.Add(new HttpClient { BaseAddress = new Uri(url), Timeout = TimeSpan.FromSeconds(30) });
        }
        using (var added = await apis[0].PostAsJsonAsync("cards",
            new AddCardRequest(Iccid, "12", "12", Convert.ToHexStringLower(_kic), Convert.ToHexStringLower(_kid)), NetworkFunctionHost.JsonOptions))
            added.EnsureSuccessStatusCode();

        // The burst: 8 clients over the instances; the first instance is SIGKILLed after 120 accepted jobs.
        var accepted = new System.Collections.Concurrent.ConcurrentBag<string>();
        using var stop = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        var victim = _children[0];
        var workers = Enumerable.Range(0, 8).Select(w => Task.Run(async () =>
        {
            var api = apis[w % apis.Count];
            while (!stop.IsCancellationRequested)
            {
                try
                {
                    using var r = await api.PostAsJsonAsync("jobs", new OtaJobRequest(Iccid, "b00001", 1, null, "00a4000c022fe2", null, null), NetworkFunctionHost.JsonOptions, stop.Token);
                    r.EnsureSuccessStatusCode();
                    accepted.Add((await r.Content.ReadFromJsonAsync<OtaJob>(NetworkFunctionHost.JsonOptions, stop.Token))!.Id);
                    if (accepted.Count >= 120 && !victim.HasExited)
                        victim.Kill(entireProcessTree: true); // SIGKILL mid-burst
                    if (accepted.Count >= 200)
                        return;
                }
                catch (Exception e) when (e is HttpRequestException or OperationCanceledException)
                {
                    if (api == apis[0])
                        return; // the killed instance
                }
            }
        })).ToArray();
        await Task.WhenAll(workers);
        foreach (var c in _children)
        {
            if (!c.HasExited)
                c.Kill(entireProcessTree: true);
            await c.WaitForExitAsync();
        }
        foreach (var a in apis)
            a.Dispose();

        // "Restart": reconciliation over the same database, past the grace period.
        Clock.SetUtcNow(DateTimeOffset.UtcNow + TimeSpan.FromMinutes(2));
        await using var store = await open(KeyRing.Open(kek));
        var stuck = await store.OtaJobs.StuckAsync(DateTimeOffset.MaxValue, 10_000);
        var jobs = new OtaJobs(store, new SmscClient(new HttpClient { BaseAddress = _smsc.Address }), new OtaServerOptions(_smsc.Address), null, Clock);
        var outcome = await jobs.ReconcileAsync(CancellationToken.None);
        Assert.Equal(stuck.Count, outcome.Sent + outcome.Resubmitted + outcome.Failed);
        Assert.Empty(await store.OtaJobs.StuckAsync(DateTimeOffset.MaxValue, 10_000));

        var known = accepted.Concat(stuck.Select(j => j.Id)).Distinct().ToList();
        Assert.True(known.Count >= 120, $"{known.Count} jobs");
        var sentCounters = new List<ulong>();
        foreach (var id in known)
        {
            var job = (await store.OtaJobs.FindAsync(id))!;
            Assert.True(job.State == OtaJobRecord.Sent || (job.State == OtaJobRecord.Failed && !string.IsNullOrEmpty(job.Failure)), $"job {id} is {job.State}");
            if (job.State == OtaJobRecord.Sent)
                sentCounters.Add(job.Counter);
        }
        var delivered = new List<ulong>();
        foreach (var m in await new SmscClient(new HttpClient { BaseAddress = _smsc.Address }).DeliverAsync(Iccid, 0))
        {
            var opened = CommandPacketCodec.Open(OtaSms.CommandPacketFrom(m.Tpdus!.Select(Convert.FromHexString)), new Scp80Keys(_kic, _kid));
            Assert.True(opened.IsOk);
            delivered.Add(opened.Packet!.Counter);
        }
        Assert.Equal(delivered.Count, delivered.Distinct().Count()); // no CNTR reached the SMSC twice
        Assert.Empty(sentCounters.Except(delivered)); // every "sent" job's packet is at the SMSC under its recorded CNTR
        TestContext.Current.SendDiagnosticMessage($"{known.Count} jobs, {stuck.Count} stuck at the kill ({outcome}), {delivered.Count} messages, distinct CNTR");
    }

    private static async Task<Process> StartServeOtaAsync(IEnumerable<string> args)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false }.WithoutTiering();
        psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "m2msec.dll"));
        psi.ArgumentList.Add("serve");
        psi.ArgumentList.Add("ota");
        foreach (var a in args)
            psi.ArgumentList.Add(a);
        var p = Process.Start(psi)!;
        _ = p.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        while (await p.StandardOutput.ReadLineAsync(timeout.Token) is { } line)
            if (line.Contains("listening on", StringComparison.Ordinal))
            {
                _ = p.StandardOutput.ReadToEndAsync();
                return p;
            }
        throw new InvalidOperationException($"serve ota exited {(p.HasExited ? p.ExitCode : -1)} before listening");
    }
}
