using System.Net;
using System.Net.Http.Json;
using System.Text;
using M2MSec.Device.Provisioning;
using M2MSec.Dm.SyncMl;
using M2MSec.NetworkFunctions.Dpf;
using M2MSec.NetworkFunctions.Drf;
using M2MSec.NetworkFunctions.Hosting;
using M2MSec.NetworkFunctions.Sho;
using M2MSec.Storage;
using M2MSec.Storage.Dpf;
using M2MSec.Storage.InMemory;
using M2MSec.Storage.Sho;
using M2MSec.Storage.Sqlite;
using Microsoft.Extensions.DependencyInjection;

namespace M2MSec.Tests.Provisioning;

/// <summary>
/// Issue 16, resumable exactly-once provisioning (docs/decisions/022), step by step: a repeated registration answers the current
/// state, a verdict delivered twice seals one MCIM and takes one IMSI, an IMSI is allocated once per PCID, the HSS takes the same
/// subscriber twice as once, a download whose answer was lost is asked of the TRE instead of being retired, and a start-up
/// reconciliation puts right the IMSIs a crash left assigned.
/// </summary>
public sealed class ResumableProvisioningTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("m2msec-resume-").FullName;

    public void Dispose()
    {
        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private static async Task SessionsUntilAsync(ShoDpfRig rig, (M2MSec.Device.M2me.M2meDevice Device, FakeProvisioningTre Tre, M2MSec.Device.Dm.DmClientAccount Account,
        M2MSec.Device.Dm.DmHttpTransport Transport) d, string state, CancellationToken ct,
        Func<SyncMlWireMessage, CancellationToken, Task<SyncMlWireMessage>>? exchange = null)
    {
        var objects = new M2MProvisioningObjects(d.Tre);
        var client = new M2MSec.Device.Dm.DmClient(d.Device, d.Account) { DevId = d.Tre.Pcid, PrepareTree = t => objects.Attach(t, d.Account.ServerId) };
        for (var i = 0; i < 80; i++)
        {
            try
            {
                await client.RunSessionAsync(exchange ?? d.Transport.ExchangeAsync, ct);
            }
            catch (HttpRequestException)
            {
                // the lossy exchange below
            }
            await rig.Dpf.Services.GetRequiredService<DpfProvisionings>().IdleAsync();
            if ((await rig.StoreOf(rig.Dpf).Dpf.FindAsync(d.Tre.Pcid!, ct))?.State == state)
                return;
            await Task.Delay(50, ct);
        }
        var last = await rig.StoreOf(rig.Dpf).Dpf.FindAsync(d.Tre.Pcid!, ct);
        var trail = string.Join("\n", (await rig.StoreOf(rig.Dpf).Audit.ReadAsync(cancellationToken: ct)).Select(a => $"{a.Action} {a.Detail}"));
        var job = last?.DownloadJobId is { } j ? await rig.StoreOf(rig.Dpf).Dm.FindJobAsync(j, ct) : null;
        var cmds = string.Join("\n", job?.Commands.Select(c => $"{c.Verb} {c.Uri} {c.Status} {c.Results}") ?? []);
        Assert.Fail($"the DPF's provisioning never reached {state}: {last?.State} {last?.Reason}\n{cmds}\n{trail}");
    }

    private static async Task WaitAsync(Func<Task<bool>> condition, string what)
    {
        for (var i = 0; i < 200; i++)
        {
            if (await condition())
                return;
            await Task.Delay(50);
        }
        Assert.Fail("timed out waiting for " + what);
    }

    private static M2MMobjDto M2MMobjOf(DpfProvisioning p) =>
        new(p.Pcid, p.TreId, p.ShoId, Convert.ToBase64String(p.PfcAttestation!), Convert.ToBase64String(p.PfcEncryption!), Convert.ToHexStringLower(p.RegistrationNonce!));

    [Fact]
    public async Task RepeatedRegistration_SameM2MMobj_AnswersTheCurrentState_NoSecondValidation_AnotherRegistrationRefused_DuplicateSubscriptionThreat()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var rig = await ShoDpfRig.StartAsync(_dir, ct: ct);
        var d = await rig.DeviceAsync(await rig.OpenProvisioningAsync(ct: ct));
        await SessionsUntilAsync(rig, d, DpfProvisioning.Attesting, ct);
        var p = (await rig.StoreOf(rig.Dpf).Dpf.FindAsync(ShoDpfRig.Pcid, ct))!;
        var before = (await rig.StoreOf(rig.Sho).Sho.FindAsync(ShoDpfRig.Pcid, ct))!;
        var sho = new ShoClient(rig.As("drf", "sho"));

        // The same registration (same PCID, TRE, PfC, registration nonce) again: the current state, the same validation.
        var again = await sho.RegisterAsync(new ShoRegistrationRequest(ShoDpfRig.Pcid, M2MMobjOf(p)), ct);
        Assert.Equal(ShoSubscription.Validating, again.State);
        Assert.Single(rig.Pva.Validations);
        var after = (await rig.StoreOf(rig.Sho).Sho.FindAsync(ShoDpfRig.Pcid, ct))!;
        Assert.Equal((before.ValidationId, before.CreatedAt), (after.ValidationId, after.CreatedAt));
        Assert.Equal(DpfProvisioning.Attesting, (await rig.StoreOf(rig.Dpf).Dpf.FindAsync(ShoDpfRig.Pcid, ct))!.State);

        // A different registration for the PCID (another registration nonce, another TRE) stays refused.
        foreach (var other in new[] { M2MMobjOf(p) with { RegistrationNonce = new string('0', 32) }, M2MMobjOf(p) with { TreId = "another-tre" } })
        {
            var refused = await Assert.ThrowsAsync<PeerRequestException>(() => sho.RegisterAsync(new ShoRegistrationRequest(ShoDpfRig.Pcid, other), ct));
            Assert.Equal((HttpStatusCode.Conflict, "registration-exists"), (refused.StatusCode, refused.ProblemType));
        }
        Assert.Single(rig.Pva.Validations);
        Assert.Single(await rig.StoreOf(rig.Sho).Sho.ListAsync(ct));
    }

    /// <summary>
    /// Decision 063: the SHO away at step 12 (the DRF answers 502 while it restarts) and back a moment later — the DPF submits M2MMobj
    /// again within seconds, not after its resumption sweep (here set to ten minutes, so that only the quick retry can move it), and the
    /// device's MCIM is installed.
    /// </summary>
    [Fact]
    public async Task PeerAwayAtStep12_BackAMomentLater_TheDpfSubmitsAgainWithinSeconds_NotAfterTheSweep_StalledProvisioningThreat()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var rig = await ShoDpfRig.StartAsync(_dir, ct: ct, dpfOptions: NoSweep);
        rig.Drf.AwayFor(2);
        var d = await rig.DeviceAsync(await rig.OpenProvisioningAsync(ct: ct));
        await SessionsUntilAsync(rig, d, DpfProvisioning.Installed, ct); // at most 80 device sessions: seconds, never the sweep's 10 minutes

        Assert.Equal(3, rig.Drf.Submissions); // the step, two answered 502, the third taken
        var audit = await rig.StoreOf(rig.Dpf).Audit.ReadAsync(cancellationToken: ct);
        Assert.Single(audit, a => a.Action == "dpf.m2mmobj.resubmitted");
        Assert.Single(rig.Pva.Validations);
    }

    /// <summary>
    /// Decision 063: a peer that stays away gets the step three times more, in 3.5 s, and then only once per sweep — a sweep's failure
    /// starts no schedule (a long outage would otherwise cost every record four calls per tick): no retry storm.
    /// </summary>
    [Fact]
    public async Task PeerStaysAway_ThreeQuickRetriesThenNone_TheSweepsAlone_RetryStormThreat()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var rig = await ShoDpfRig.StartAsync(_dir, ct: ct, dpfOptions: NoSweep);
        rig.Drf.AwayFor(int.MaxValue);
        var d = await rig.DeviceAsync(await rig.OpenProvisioningAsync(ct: ct));
        await SessionsUntilAsync(rig, d, DpfProvisioning.Registered, ct);
        var dpf = rig.Dpf.Services.GetRequiredService<DpfProvisionings>();
        await WaitAsync(() => Task.FromResult(dpf.RetriesPending == 0), "the quick retries to end");

        var quick = 1 + DpfProvisionings.RetryDelays.Length;
        Assert.Equal(quick, rig.Drf.Submissions);
        await Task.Delay(TimeSpan.FromSeconds(1), ct);
        Assert.Equal(quick, rig.Drf.Submissions);
        Assert.Equal(DpfProvisioning.Registered, (await rig.StoreOf(rig.Dpf).Dpf.FindAsync(ShoDpfRig.Pcid, ct))!.State); // waits for the sweep, not failed

        // A sweep's tick submits once; its failure starts no schedule of its own.
        await dpf.ResumeAsync(null, TimeSpan.Zero, ct);
        Assert.Equal(quick + 1, rig.Drf.Submissions);
        Assert.Equal(0, dpf.RetriesPending);
        await Task.Delay(TimeSpan.FromSeconds(1), ct);
        Assert.Equal(quick + 1, rig.Drf.Submissions);
    }

    private static DpfOptions NoSweep(DpfOptions o) => o with { ResumeAfter = TimeSpan.FromMinutes(10), ResumeInterval = TimeSpan.FromMinutes(10) };

    [Fact]
    public async Task VerdictSubmittedTwice_OneSeal_OneImsi_TheSameDocumentDelivered_DuplicateSubscriptionThreat()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var rig = await ShoDpfRig.StartAsync(_dir, ct: ct);
        var d = await rig.DeviceAsync(await rig.OpenProvisioningAsync(ct: ct));
        await SessionsUntilAsync(rig, d, DpfProvisioning.Downloading, ct);
        var p = (await rig.StoreOf(rig.Dpf).Dpf.FindAsync(ShoDpfRig.Pcid, ct))!;
        var shoStore = rig.StoreOf(rig.Sho).Sho;
        var first = (await shoStore.FindAsync(ShoDpfRig.Pcid, ct))!;

        // The DPF forwards the verdict again (its answer was lost): the same IMSI, the same sealed document, nothing sealed again.
        var again = await new ShoClient(rig.As("dpf", "sho")).SubmitVerdictAsync(ShoDpfRig.Pcid, new ShoVerdictRequest(p.ValidationId, p.Verdict), ct);
        Assert.Equal((ShoSubscription.Downloading, first.Imsi), (again.State, again.Imsi));
        var now = (await shoStore.FindAsync(ShoDpfRig.Pcid, ct))!;
        Assert.Equal(first.M2MSimMobj, now.M2MSimMobj);
        Assert.Equal(first.K, now.K);
        var audit = await rig.StoreOf(rig.Sho).Audit.ReadAsync(cancellationToken: ct);
        Assert.Single(audit, a => a.Action == "sho.mcim.sealed");
        Assert.Equal(1, (await shoStore.CountPoolAsync(ct))["assigned"]);
        var dpf = (await rig.StoreOf(rig.Dpf).Dpf.FindAsync(ShoDpfRig.Pcid, ct))!;
        Assert.Equal((DpfProvisioning.Downloading, p.DownloadJobId), (dpf.State, dpf.DownloadJobId)); // no second download queued

        // The flow then ends once: one install in the TRE, the IMSI active.
        var result = await McimDownloadClient.RunAsync(d.Device, d.Account, d.Transport, new McimDownloadOptions { PollInterval = TimeSpan.FromMilliseconds(50) }, d.Tre, ct);
        Assert.True(result.Installed, result.Detail);
        await WaitAsync(async () => (await shoStore.FindAsync(ShoDpfRig.Pcid, ct))?.State == ShoSubscription.Active, "the subscription to be active");
        Assert.Single(d.Tre.Installed);
        // A verdict other than the one that authorised the sealing is not a repeat.
        var other = rig.Verdict(p.ValidationId!, ShoDpfRig.Pcid, p.PfcAttestation!, p.PfcEncryption!, first.ShoNonce, DateTimeOffset.UtcNow);
        var refused = await Assert.ThrowsAsync<PeerRequestException>(() => new ShoClient(rig.As("dpf", "sho")).SubmitVerdictAsync(ShoDpfRig.Pcid,
            new ShoVerdictRequest(p.ValidationId, other), ct));
        Assert.Equal(HttpStatusCode.Conflict, refused.StatusCode);
    }

    [Fact]
    public async Task LostAnswerToTheDownload_TheDpfAsksTheTre_InstalledOnce_ImsiActiveNotRetired_CrashWindowThreat()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var rig = await ShoDpfRig.StartAsync(_dir, ct: ct);
        var d = await rig.DeviceAsync(await rig.OpenProvisioningAsync(ct: ct));
        await SessionsUntilAsync(rig, d, DpfProvisioning.Downloading, ct);

        // The session that carries the download: the device installs the MCIM, then its answer (the Replace's status) is lost.
        var dropped = 0;
        async Task<SyncMlWireMessage> Lossy(SyncMlWireMessage message, CancellationToken token)
        {
            var reply = await d.Transport.ExchangeAsync(message, token);
            return reply;
        }
        var carriedDownload = false;
        async Task<SyncMlWireMessage> DropAfterDownload(SyncMlWireMessage message, CancellationToken token)
        {
            if (carriedDownload && Interlocked.Exchange(ref dropped, 1) == 0)
                throw new HttpRequestException("connection reset (test)");
            var reply = await Lossy(message, token);
            carriedDownload |= Encoding.UTF8.GetString(reply.Body).Contains("M2MSIMMobj/Object", StringComparison.Ordinal);
            return reply;
        }
        await SessionsUntilAsync(rig, d, DpfProvisioning.Installed, ct, DropAfterDownload);

        Assert.Equal(1, dropped);
        Assert.Single(d.Tre.Installed); // the TRE was asked, not sent the MCIM again
        var shoStore = rig.StoreOf(rig.Sho).Sho;
        await WaitAsync(async () => (await shoStore.FindAsync(ShoDpfRig.Pcid, ct))?.State == ShoSubscription.Active, "the subscription to be active");
        var pool = await shoStore.CountPoolAsync(ct);
        Assert.Equal(1, pool["active"]);
        Assert.False(pool.ContainsKey("retired"));
        var audit = await rig.StoreOf(rig.Dpf).Audit.ReadAsync(cancellationToken: ct);
        Assert.Contains(audit, a => a.Action == "dpf.job.requeued");
    }

    /// <summary>
    /// Issue 16: the DPF SIGKILLed between writing the new provisioning's DM account and its provisioning record left an account
    /// alone; every later Bootstrap for the PCID was refused 409 (the DRF answered the device 502 for ever). The account is replaced.
    /// </summary>
    [Fact]
    public async Task DpfKilledBetweenAccountAndRecord_TheNextBootstrapOpensTheProvisioning_DeviceResumes_CrashWindowThreat()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var rig = await ShoDpfRig.StartAsync(_dir, ct: ct);
        var dpfStore = rig.StoreOf(rig.Dpf);
        Assert.True(await dpfStore.Dm.AddAccountAsync(new M2MSec.Storage.Dm.DmAccount(ShoDpfRig.Pcid, ShoDpfRig.DmServerId, "m2me-lost", "lost-client-pw"u8.ToArray(),
            "lost-server-pw"u8.ToArray(), "md5", "md5", DateTimeOffset.UtcNow), ct));
        Assert.Null(await dpfStore.Dpf.FindAsync(ShoDpfRig.Pcid, ct));

        var created = await rig.OpenProvisioningAsync(ct: ct);

        Assert.Equal(DpfProvisioning.Reading, (await dpfStore.Dpf.FindAsync(ShoDpfRig.Pcid, ct))?.State);
        Assert.Equal("m2me-" + ShoDpfRig.Pcid, (await dpfStore.Dm.FindAccountAsync(ShoDpfRig.Pcid, ct))?.ClientUser);
        // The device with the new Bootstrap's account goes on through the flow.
        await SessionsUntilAsync(rig, await rig.DeviceAsync(created), DpfProvisioning.Downloading, ct);
    }

    private sealed class AnswerWith(HttpStatusCode status) : HttpMessageHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
            Task.FromResult(new HttpResponseMessage(status) { Content = new StringContent("{}", Encoding.UTF8, "application/problem+json") });
    }

    /// <summary>
    /// Issue 16: the kill-and-resume test counted PCIDs re-opened by the operator (decision 016) while the DRF answered 502 because
    /// the DPF was restarting, or the VNO 502 without its ICF — the PCID was not spent. Only a refusal (4xx) counts towards stranded.
    /// </summary>
    [Theory]
    [InlineData(HttpStatusCode.BadGateway, false)]
    [InlineData(HttpStatusCode.ServiceUnavailable, false)]
    [InlineData(HttpStatusCode.Forbidden, true)]
    public async Task RoleAway5xx_DoesNotCountTowardsStranded_ARefusalDoes_NeedlessPcidReopenThreat(HttpStatusCode status, bool stranded)
    {
        var ct = TestContext.Current.CancellationToken;
        var device = M2MSec.Device.M2me.M2meDevice.Create(Path.Combine(_dir, "dev"), Path.Combine(_dir, "fuse"), ShoDpfRig.Pcid, M2MSec.Device.M2me.M2meKind.Tre);
        using var drf = new HttpClient(new AnswerWith(status)) { BaseAddress = new Uri("https://drf.example/") };
        using var vno = new HttpClient(new AnswerWith(status)) { BaseAddress = new Uri("https://vno.example/") };

        var bootstrap = await Assert.ThrowsAsync<RoProvisioningException>(() =>
            RoProvisioningClient.BootstrapAsync(device, new AttachOutcome(ShoDpfRig.Pcid, "10.0.0.1", "ro"), drf, ct));
        var attach = await Assert.ThrowsAsync<RoProvisioningException>(() => RoProvisioningClient.AttachWithPcidAsync(device, vno, ct));

        Assert.Equal((stranded, stranded), (M2meProvisioning.SuggestsSpentPcid(bootstrap), M2meProvisioning.SuggestsSpentPcid(attach)));
        Assert.False(M2meProvisioning.SuggestsSpentPcid(new HttpRequestException("connection refused")));
    }

    [Fact]
    public async Task HssTakesTheSameSubscriberTwiceAsOnce_OtherKeysRefused_DuplicateSubscriptionThreat()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var rig = await ShoDpfRig.StartAsync(_dir, ct: ct);
        var hss = rig.As("sho", "hss");
        var body = new { imsi = "001010000000555", k = new string('1', 32), opc = new string('2', 32), amf = "8000" };
        using (var first = await hss.PostAsJsonAsync("subscribers", body, ct))
            Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        using (var again = await hss.PostAsJsonAsync("subscribers", body, ct))
            Assert.Equal(HttpStatusCode.Created, again.StatusCode);
        using var other = await hss.PostAsJsonAsync("subscribers", body with { k = new string('3', 32) }, ct);
        Assert.Equal(HttpStatusCode.Conflict, other.StatusCode);
        Assert.Contains("subscriber-exists", await other.Content.ReadAsStringAsync(ct), StringComparison.Ordinal);
    }

    public static TheoryData<string> Stores => ["memory", "sqlite"];

    private async Task<IStateStore> OpenAsync(string kind) => kind == "memory"
        ? new InMemoryStateStore()
        : await SqliteStateStore.OpenAsync(Path.Combine(_dir, "sqlite-" + Guid.NewGuid().ToString("N")),
            M2MSec.Storage.Security.KeyRing.Open(Path.Combine(_dir, "kek.json"), createIfMissing: true));

    [Theory]
    [MemberData(nameof(Stores))]
    public async Task AllocateImsi_TwiceForOnePcid_ReturnsTheSameImsi_DuplicateImsiThreat(string kind)
    {
        var ct = TestContext.Current.CancellationToken;
        await using var store = await OpenAsync(kind);
        var sho = store.Sho;
        await sho.AddPoolAsync(["001010000000001", "001010000000002", "001010000000003"], ct);
        var first = await sho.AllocateImsiAsync("001900000000001", ct);
        Assert.Equal(first, await sho.AllocateImsiAsync("001900000000001", ct));
        Assert.Equal("001010000000002", await sho.AllocateImsiAsync("001900000000002", ct));
        Assert.Equal(2, (await sho.CountPoolAsync(ct))["assigned"]);
        Assert.Equal([new ShoAssignedImsi("001010000000001", "001900000000001"), new ShoAssignedImsi("001010000000002", "001900000000002")],
            await sho.ListAssignedImsisAsync(ct));
    }

    [Theory]
    [MemberData(nameof(Stores))]
    public async Task StartUpReconciliation_PutsRightTheImsisACrashLeftAssigned_OrphanSubscriptionThreat(string kind)
    {
        var ct = TestContext.Current.CancellationToken;
        await using var state = await OpenAsync(kind);
        var sho = state.Sho;
        await sho.AddPoolAsync([.. Enumerable.Range(1, 6).Select(i => $"00101000000000{i}")], ct);
        var now = DateTimeOffset.UtcNow;
        ShoSubscription Sub(string pcid, string st, string? imsi) =>
            new(pcid, "tre", [1], [2], new byte[16], new byte[16], "val", st, imsi, null, null, null, now, now);
        // Killed between the pool's write and the subscription's, in each state a crash can leave.
        var cases = new (string Pcid, string State, bool Carries, string Expected)[]
        {
            ("001900000000001", ShoSubscription.Active, true, "active"),         // between the subscription's update and the pool's
            ("001900000000002", ShoSubscription.Failed, true, "retired"),        // its MCIM left the SHO, then the install failed
            ("001900000000003", ShoSubscription.Failed, false, "free"),          // sealing failed: the keys never left
            ("001900000000004", ShoSubscription.Validating, false, "assigned"),  // resumes with the same IMSI
            ("001900000000005", ShoSubscription.Downloading, true, "assigned"),  // on its way
        };
        foreach (var c in cases)
        {
            var imsi = await sho.AllocateImsiAsync(c.Pcid, ct);
            Assert.True(await sho.AddAsync(Sub(c.Pcid, c.State, c.Carries ? imsi : null), ct));
        }
        var orphan = await sho.AllocateImsiAsync("001900000000006", ct); // no subscription at all

        Assert.Equal(4, await ShoResumption.ReconcileAsync(state, ct));

        var assigned = (await sho.ListAssignedImsisAsync(ct)).Select(a => a.Pcid).ToList();
        Assert.Equal(["001900000000004", "001900000000005"], assigned);
        var pool = await sho.CountPoolAsync(ct);
        Assert.Equal((1, 1, 2, 2), (pool["active"], pool["retired"], pool["free"], pool["assigned"]));
        Assert.NotNull(orphan);
        Assert.Equal(0, await ShoResumption.ReconcileAsync(state, ct)); // idempotent
    }
}
