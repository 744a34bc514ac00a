using System.Net;
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
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace M2MSec.Tests.Ota;

/// <summary>
/// Issue 13 item 14 — jobs tell the truth after a crash: a job is "submitting" until the SMSC's
/// answer is recorded; the SMSC's submit is idempotent on the job id; reconciliation marks a job
/// the SMSC holds "sent", resubmits one it does not hold under a fresh, higher, never-reused CNTR,
/// or fails it with a reason — and two reconcilers on one database resubmit a job exactly once.
/// The crash window is simulated by an SMSC link that dies before or after the SMSC accepts
/// (the OTA server never records the answer, exactly as a SIGKILL leaves it). Run per store.
/// </summary>
public abstract class OtaReconciliationContract : IAsyncLifetime
{
    private const string Iccid = "8988211000000000601";
    private static readonly byte[] Tar = [0xB0, 0x00, 0x01];
    private static readonly byte[] Script = Convert.FromHexString("00a4000c022fe2");
    private readonly byte[] _kic = RandomNumberGenerator.GetBytes(16);
    private readonly byte[] _kid = RandomNumberGenerator.GetBytes(16);
    private NetworkFunctionHost _smsc = null!;
    private readonly List<IStateStore> _stores = [];

    protected FakeTimeProvider Clock { get; } = new(new DateTimeOffset(2026, 12, 3, 8, 0, 0, TimeSpan.Zero));

    protected string Directory { get; } = System.IO.Directory.CreateTempSubdirectory("m2msec-ota-reconcile-").FullName;

    /// <summary>A (new, where the store allows) store instance on the test's one database.</summary>
    protected abstract Task<IStateStore> OpenAsync();

    private IStateStore Store => _stores[0];

    public async ValueTask InitializeAsync()
    {
        _smsc = await NetworkFunctionHost.StartAsync(new SmscFunction(), Path.Combine(Directory, "smsc"), new InMemoryStateStore());
        _stores.Add(await OpenAsync());
        Assert.True(await Store.OtaKeySets.AddAsync(new OtaKeySet(Iccid, 1, 0x02, _kic, 0x02, _kid)));
    }

    public async ValueTask DisposeAsync()
    {
        await _smsc.DisposeAsync();
        foreach (var s in _stores.Distinct())
            await s.DisposeAsync();
        System.IO.Directory.Delete(Directory, true);
    }

    /// <summary>How the OTA server's link to the SMSC dies, if it does.</summary>
    private enum Crash { None, BeforeSmscAccepts, AfterSmscAccepts }

    private sealed class CrashingLink(Crash crash) : DelegatingHandler(new HttpClientHandler())
    {
        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken ct)
        {
            var submit = request.RequestUri!.AbsolutePath.EndsWith("/submit", StringComparison.Ordinal);
            if (submit && crash == Crash.BeforeSmscAccepts)
                throw new HttpRequestException("the OTA server died before the SMSC got the message");
            var response = await base.SendAsync(request, ct);
            if (submit && crash == Crash.AfterSmscAccepts)
            {
                response.Dispose();
                throw new HttpRequestException("the OTA server died before recording the SMSC's answer");
            }
            return response;
        }
    }

    private OtaJobs Jobs(IStateStore store, Crash crash = Crash.None, OtaServerOptions? options = null) =>
        new(store, new SmscClient(new HttpClient(new CrashingLink(crash)) { BaseAddress = _smsc.Address }), options ?? new OtaServerOptions(_smsc.Address), null, Clock);

    private SmscClient Sms => new(new HttpClient { BaseAddress = _smsc.Address });

    private async Task<IReadOnlyList<ulong>> DeliveredCountersAsync()
    {
        var counters = new List<ulong>();
        foreach (var m in await Sms.DeliverAsync(Iccid, 0))
        {
            var opened = CommandPacketCodec.Open(OtaSms.CommandPacketFrom(m.Tpdus!.Select(Convert.FromHexString)), new Scp80Keys(_kic, _kid));
            Assert.True(opened.IsOk);
            Assert.Equal(Script, opened.Packet!.SecuredData);
            counters.Add(opened.Packet.Counter);
        }
        return counters;
    }

    [Fact]
    public async Task Job_is_submitting_until_the_smsc_accepts_never_sent_before_CrashWindowThreat()
    {
        var job = await Jobs(Store, Crash.BeforeSmscAccepts).SubmitAsync(Iccid, Tar, 1, OtaJobs.DefaultSpi, Script, null, CancellationToken.None);
        Assert.Equal(OtaJobRecord.Submitting, job.State);
        Assert.Equal(OtaJobRecord.Submitting, (await Store.OtaJobs.FindAsync(job.Id))!.State);
        Assert.DoesNotContain(await Store.Audit.ReadAsync(), e => e.Action == "ota.command");

        var sent = await Jobs(Store).SubmitAsync(Iccid, Tar, 1, OtaJobs.DefaultSpi, Script, null, CancellationToken.None);
        Assert.Equal(OtaJobRecord.Sent, sent.State);
        var stored = (await Store.OtaJobs.FindAsync(sent.Id))!;
        Assert.Null(stored.Script); // kept only while submitting
        Assert.Contains(await Store.Audit.ReadAsync(), e => e.Action == "ota.command" && e.Detail!.Contains(sent.Id, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Stuck_job_the_smsc_holds_becomes_sent_without_a_second_delivery_CrashWindowThreat()
    {
        var job = await Jobs(Store, Crash.AfterSmscAccepts).SubmitAsync(Iccid, Tar, 1, OtaJobs.DefaultSpi, Script, null, CancellationToken.None);
        Assert.Equal(OtaJobRecord.Submitting, job.State);

        // Within the grace period nothing happens (the submitter may still be waiting for the SMSC).
        Assert.Equal(new OtaReconciliation(0, 0, 0), await Jobs(Store).ReconcileAsync(CancellationToken.None));
        Clock.Advance(TimeSpan.FromSeconds(61));
        Assert.Equal(new OtaReconciliation(1, 0, 0), await Jobs(Store).ReconcileAsync(CancellationToken.None));

        var after = (await Store.OtaJobs.FindAsync(job.Id))!;
        Assert.Equal((OtaJobRecord.Sent, job.Counter), (after.State, after.Counter));
        Assert.Equal([job.Counter], await DeliveredCountersAsync());
        Assert.Equal(job.Counter, await Store.OtaKeySets.GetCounterAsync(Iccid, 1));
    }

    [Fact]
    public async Task Stuck_job_the_smsc_lacks_is_resubmitted_with_a_fresh_higher_counter_CounterReuseThreat()
    {
        var job = await Jobs(Store, Crash.BeforeSmscAccepts).SubmitAsync(Iccid, Tar, 1, OtaJobs.DefaultSpi, Script, null, CancellationToken.None);
        var other = await Jobs(Store).SubmitAsync(Iccid, Tar, 1, OtaJobs.DefaultSpi, Script, null, CancellationToken.None);
        Clock.Advance(TimeSpan.FromMinutes(2));

        Assert.Equal(new OtaReconciliation(0, 1, 0), await Jobs(Store).ReconcileAsync(CancellationToken.None));
        var after = (await Store.OtaJobs.FindAsync(job.Id))!;
        Assert.Equal(OtaJobRecord.Sent, after.State);
        Assert.True(after.Counter > other.Counter && other.Counter > job.Counter, "the reserved CNTR is withdrawn; the resubmission takes the next fresh one");
        var delivered = await DeliveredCountersAsync();
        Assert.Equal([other.Counter, after.Counter], delivered);
        Assert.DoesNotContain(job.Counter, delivered);
        Assert.Contains(await Store.Audit.ReadAsync(), e => e.Action == "ota.resubmit" && e.Detail!.Contains($"CNTR {job.Counter} withdrawn", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Stuck_job_too_old_to_resubmit_fails_with_its_reason_CrashWindowThreat()
    {
        var job = await Jobs(Store, Crash.BeforeSmscAccepts).SubmitAsync(Iccid, Tar, 1, OtaJobs.DefaultSpi, Script, null, CancellationToken.None);
        Clock.Advance(TimeSpan.FromHours(2));
        Assert.Equal(new OtaReconciliation(0, 0, 1), await Jobs(Store).ReconcileAsync(CancellationToken.None));
        var after = await Jobs(Store).FindAsync(job.Id, CancellationToken.None);
        Assert.Equal(OtaJobRecord.Failed, after!.State);
        Assert.Contains("did not accept", after.Failure, StringComparison.Ordinal);
        Assert.Empty(await DeliveredCountersAsync());
    }

    [Fact]
    public async Task Two_reconcilers_on_one_database_resubmit_each_stuck_job_exactly_once_DoubleResubmitThreat()
    {
        var stuck = new List<OtaJob>();
        for (var i = 0; i < 12; i++)
            stuck.Add(await Jobs(Store, Crash.BeforeSmscAccepts).SubmitAsync(Iccid, Tar, 1, OtaJobs.DefaultSpi, Script, null, CancellationToken.None));
        var second = await OpenAsync();
        _stores.Add(second);
        Clock.Advance(TimeSpan.FromMinutes(2));

        var outcomes = await Task.WhenAll(
            Task.Run(() => Jobs(Store).ReconcileAsync(CancellationToken.None)),
            Task.Run(() => Jobs(second).ReconcileAsync(CancellationToken.None)));

        Assert.Equal(12, outcomes.Sum(o => o.Resubmitted));
        Assert.Equal(0, outcomes.Sum(o => o.Sent + o.Failed));
        var delivered = await DeliveredCountersAsync();
        Assert.Equal(12, delivered.Count);
        Assert.Equal(12, delivered.Distinct().Count());
        Assert.All(delivered, c => Assert.True(c > 12, "never a reserved counter"));
        Assert.Equal(24UL, await Store.OtaKeySets.GetCounterAsync(Iccid, 1)); // 12 reserved + 12 fresh: the losers took none
        foreach (var j in stuck)
            Assert.Equal(OtaJobRecord.Sent, (await Store.OtaJobs.FindAsync(j.Id))!.State);
    }

    [Fact]
    public async Task Serve_ota_reconciles_on_start_sent_if_held_failed_with_reason_otherwise_CrashWindowThreat()
    {
        // A previous instance died: one job after the SMSC accepted it, one SCP81 push before.
        var held = await Jobs(Store, Crash.AfterSmscAccepts).SubmitAsync(Iccid, Tar, 1, OtaJobs.DefaultSpi, Script, null, CancellationToken.None);
        var counter = (await Store.OtaKeySets.NextCounterAsync(Iccid, 1))!.Value;
        var now = Clock.GetUtcNow();
        var push = new OtaJobRecord("scp81push", Iccid, "000000", 1, OtaJobs.DefaultSpi, 0x12, 0x12, counter, OtaJobRecord.Submitting, null, null, null, null, now, now,
            "scp81", Iccid, [0x01]);
        await Store.OtaJobs.AddAsync(push);
        Clock.Advance(TimeSpan.FromMinutes(2));

        await using var ota = await NetworkFunctionHost.StartAsync(new OtaServerFunction(new OtaServerOptions(_smsc.Address)), Path.Combine(Directory, "ota"), await OpenAsync(),
            configure: s => s.AddSingleton<TimeProvider>(Clock));
        using var api = new HttpClient { BaseAddress = ota.Address };
        OtaJob? a = null, b = null;
        for (var i = 0; i < 600 && (a?.State != "sent" || b?.State != "failed"); i++)
        {
            await Task.Delay(25);
            a = await api.GetFromJsonAsync<OtaJob>($"jobs/{held.Id}", NetworkFunctionHost.JsonOptions);
            b = await api.GetFromJsonAsync<OtaJob>("jobs/scp81push", NetworkFunctionHost.JsonOptions);
        }
        Assert.Equal((OtaJobRecord.Sent, held.Counter), (a!.State, a.Counter));
        Assert.Equal(OtaJobRecord.Failed, b!.State);
        Assert.Contains("SCP81", b.Failure, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Smsc_submit_is_idempotent_on_the_submit_id_DuplicateDeliveryThreat()
    {
        var sms = Sms;
        var message = new SmsMessage(Iccid, "ota", ["00"], null, "job-1");
        var first = await sms.SubmitAsync(message);
        Clock.Advance(TimeSpan.FromSeconds(5));
        var again = await sms.SubmitAsync(message with { Tpdus = ["01"] });
        Assert.Equal(first, again);
        Assert.True(await sms.HoldsAsync("job-1"));
        Assert.False(await sms.HoldsAsync("job-2"));
        var delivered = await sms.DeliverAsync(Iccid, 0);
        Assert.Equal(["00"], Assert.Single(delivered).Tpdus);

        using var http = new HttpClient { BaseAddress = _smsc.Address };
        using var bad = await http.PostAsJsonAsync("submit", message with { SubmitId = "../x y" }, NetworkFunctionHost.JsonOptions);
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
    }
}

public sealed class InMemoryOtaReconciliationTests : OtaReconciliationContract
{
    private readonly InMemoryStateStore _store;

    public InMemoryOtaReconciliationTests() => _store = new InMemoryStateStore(Clock);

    protected override Task<IStateStore> OpenAsync() => Task.FromResult<IStateStore>(_store);
}

public sealed class SqliteOtaReconciliationTests : OtaReconciliationContract
{
    protected override async Task<IStateStore> OpenAsync() =>
        await M2MSec.Storage.Sqlite.SqliteStateStore.OpenAsync(Path.Combine(Directory, "db"), _ring, Clock);

    private readonly M2MSec.Storage.Security.KeyRing _ring = M2MSec.Storage.Security.KeyRing.CreateEphemeral();
}

public sealed class PostgresOtaReconciliationTests(Support.PostgresServer server) : OtaReconciliationContract
{
    private string? _database;

    protected override async Task<IStateStore> OpenAsync() =>
        await M2MSec.Storage.PostgreSql.PostgresStateStore.OpenAsync(_database ??= await server.CreateDatabaseAsync(), _ring, Clock);

    private readonly M2MSec.Storage.Security.KeyRing _ring = M2MSec.Storage.Security.KeyRing.CreateEphemeral();
}
