using System.Net;
using System.Net.Http.Json;
using System.Text;
using M2MSec.Device.Provisioning;
using M2MSec.NetworkFunctions.Dpf;
using M2MSec.NetworkFunctions.Hosting;
using M2MSec.NetworkFunctions.Hss;
using M2MSec.NetworkFunctions.Sho;
using M2MSec.Storage.Dpf;
using M2MSec.Storage.Security;
using M2MSec.Storage.Sho;
using M2MSec.Storage.Sqlite;
using M2MSec.Tests.Support;
using Microsoft.Extensions.DependencyInjection;

namespace M2MSec.Tests.Provisioning;

/// <summary>
/// Issue 15, steps 11 (DM part) to 21 across the real sho, dpf and hss started as hosts on loopback with mutual TLS (fake pva and drf;
/// the device's TRE provisioning calls faked through <see cref="IProvisioningTre"/> until H1/H2's TRE code is merged), and the
/// threats the SHO and the DPF defeat.
/// </summary>
public sealed class ShoDpfFlowTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("m2msec-shodpf-").FullName;

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

    private static readonly McimDownloadOptions Fast = new() { PollInterval = TimeSpan.FromMilliseconds(100), Deadline = TimeSpan.FromSeconds(60) };

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

    /// <summary>Runs device sessions until the DPF's provisioning reaches <paramref name="state"/>.</summary>
    private static async Task SessionsUntilAsync(ShoDpfRig rig, (M2MSec.Device.M2me.M2meDevice Device, FakeProvisioningTre Tre, M2MSec.Device.Dm.DmClientAccount Account,
        M2MSec.Device.Dm.DmHttpTransport Transport) d, string state, CancellationToken ct)
    {
        var objects = new M2MProvisioningObjects(d.Tre);
        var client = new M2MSec.Device.Dm.DmClient(d.Device, d.Account) { DevId = d.Tre.Pcid, PrepareTree = t => objects.Attach(t, d.Account.ServerId) };
        for (var i = 0; i < 40; i++)
        {
            await client.RunSessionAsync(d.Transport.ExchangeAsync, ct);
            await rig.Dpf.Services.GetRequiredService<DpfProvisionings>().IdleAsync();
            if ((await rig.StoreOf(rig.Dpf).Dpf.FindAsync(d.Tre.Pcid!, ct))?.State == state)
                return;
            await Task.Delay(50, ct);
        }
        Assert.Fail($"the DPF's provisioning never reached {state}");
    }

    [Fact]
    public async Task Steps11To21_ShoAndDpfOverMutualTls_DeviceInstallsMcim_ImsiInShoHss_SubscriptionActive()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var rig = await ShoDpfRig.StartAsync(_dir, ct: ct);
        var created = await rig.OpenProvisioningAsync(ct: ct);
        Assert.StartsWith("https://127.0.0.1:", created.DmUrl);
        Assert.EndsWith("/dm", created.DmUrl);
        Assert.NotEqual(rig.Dpf.Address.Port, new Uri(created.DmUrl).Port); // the device listener, not the role API
        var d = await rig.DeviceAsync(created);

        var result = await McimDownloadClient.RunAsync(d.Device, d.Account, d.Transport, Fast, d.Tre, ct);

        Assert.True(result.Installed, $"{result.Outcome} {result.Code} {result.Detail}");
        Assert.StartsWith("00101", result.Imsi);
        Assert.InRange(result.Sessions, 3, 600); // at least: read M2MMobj; attestation; download (more while the peers work)
        await rig.Dpf.Services.GetRequiredService<DpfProvisionings>().IdleAsync();
        var sho = rig.StoreOf(rig.Sho).Sho;
        await WaitAsync(async () => (await sho.FindAsync(ShoDpfRig.Pcid, ct))?.State == ShoSubscription.Active, "the subscription to be active");
        var sub = (await sho.FindAsync(ShoDpfRig.Pcid, ct))!;
        Assert.Equal(result.Imsi, sub.Imsi);
        Assert.Null(sub.K); // the HSS holds K/OPc now; the SHO's copy is dropped
        Assert.Equal(DpfProvisioning.Installed, (await rig.StoreOf(rig.Dpf).Dpf.FindAsync(ShoDpfRig.Pcid, ct))!.State);
        // Step 21: the IMSI is in the SHO's HSS (an administrator sees its SQN state).
        using var hss = await rig.As("admin", "hss").GetAsync($"subscribers/{result.Imsi}", ct);
        Assert.Equal(HttpStatusCode.OK, hss.StatusCode);
        // The administrator's listing (what `m2msec sho subscription list` prints).
        var list = await new ShoClient(rig.As("admin", "sho")).ListSubscriptionsAsync(ct);
        var row = Assert.Single(list.Subscriptions);
        Assert.Equal((ShoDpfRig.Pcid, "active", result.Imsi), (row.Pcid, row.State, row.Imsi));
        Assert.Equal(1, list.Pool["active"]);
        var audit = await rig.StoreOf(rig.Dpf).Audit.ReadAsync(cancellationToken: ct);
        Assert.Contains(audit, a => a.Action == "dpf.download.installed");

        // `m2msec sho subscription list --endpoints FILE`: the SHO from endpoints.json, the administrator's credentials beside it.
        var services = Path.Combine(_dir, "services");
        var admin = await rig.Operator.IssueAsync(M2MSec.Pki.Authority.CertificateProfile.Admin, new M2MSec.Pki.Authority.CertificateSubject(NetworkFunctionTls.DefaultAdminSubject),
            cancellationToken: ct);
        await AdminCredentials.WriteAsync(services, admin, rig.Operator, ct);
        var endpoints = Path.Combine(services, "endpoints.json");
        await File.WriteAllTextAsync(endpoints, $$"""{"sho": "{{rig.Sho.Address}}"}""", ct);
        var (code, stdout, stderr) = await CliRunner.RunAsync("sho", "subscription", "list", "--endpoints", endpoints, "--json");
        Assert.True(code == 0, stderr);
        using (var doc = System.Text.Json.JsonDocument.Parse(stdout))
        {
            var first = doc.RootElement.GetProperty("subscriptions")[0];
            Assert.Equal((ShoDpfRig.Pcid, "active", result.Imsi), (first.GetProperty("pcid").GetString(), first.GetProperty("state").GetString(), first.GetProperty("imsi").GetString()));
            Assert.Equal(1, doc.RootElement.GetProperty("pool").GetProperty("active").GetInt32());
            Assert.DoesNotContain("\"k\"", stdout);
        }
        (code, stdout, _) = await CliRunner.RunAsync("sho", "subscription", "list", "--endpoints", endpoints);
        Assert.Equal(0, code);
        Assert.Contains(ShoDpfRig.Pcid, stdout);
        Assert.Contains("pool: ", stdout);
        await File.WriteAllTextAsync(endpoints, """{"hss": "https://127.0.0.1:1"}""", ct);
        (code, _, stderr) = await CliRunner.RunAsync("sho", "subscription", "list", "--endpoints", endpoints);
        Assert.Equal(2, code);
        Assert.Contains("lists no 'sho'", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Steps11To21_InOneDmSession_TheImsiIsInTheShoHssWhenTheSessionEnds()
    {
        // Decision 038: the DPF's session waits for each next job (attestation, download) and for step 21, so the device needs one
        // session, and its attach with the new IMSI right after it is not refused for an IMSI the HSS does not know yet.
        var ct = TestContext.Current.CancellationToken;
        await using var rig = await ShoDpfRig.StartAsync(_dir, ct: ct, nextJobWait: TimeSpan.FromSeconds(20));
        var d = await rig.DeviceAsync(await rig.OpenProvisioningAsync(ct: ct));

        var result = await McimDownloadClient.RunAsync(d.Device, d.Account, d.Transport, Fast, d.Tre, ct);

        Assert.True(result.Installed, $"{result.Outcome} {result.Code} {result.Detail}");
        var trail = await rig.StoreOf(rig.Dpf).Audit.ReadAsync(cancellationToken: ct);
        Assert.True(result.Sessions == 1, string.Join("\n", trail.Select(a => $"{a.At:HH:mm:ss.fff} {a.Action} {a.Detail}")));
        using (var hss = await rig.As("admin", "hss").GetAsync($"subscribers/{result.Imsi}", ct))
            Assert.Equal(HttpStatusCode.OK, hss.StatusCode); // at once: no wait for the DPF's follow-ups
        var audit = await rig.StoreOf(rig.Dpf).Audit.ReadAsync(cancellationToken: ct);
        Assert.Equal(1, audit.Count(a => a.Action == "dm.session.start"));
        Assert.Equal(1, audit.Count(a => a.Action == "dm.session.end"));
        Assert.Equal(3, audit.Count(a => a.Action == "dm.job.done")); // M2MMobj read, attestation, download
        Assert.Contains(audit, a => a.Action == "dpf.status.reported");
    }

    [Fact]
    public async Task Steps20To21_TreRefusesTheMcim_DpfReportsFailure_ShoRetiresTheImsi_NothingInTheHss()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var rig = await ShoDpfRig.StartAsync(_dir, ct: ct);
        var d = await rig.DeviceAsync(await rig.OpenProvisioningAsync(ct: ct));
        d.Tre.RefuseInstall = true;
        var result = await McimDownloadClient.RunAsync(d.Device, d.Account, d.Transport, Fast, d.Tre, ct);
        Assert.Equal(("refused", "mac-mismatch"), (result.Outcome, result.Code));
        await rig.Dpf.Services.GetRequiredService<DpfProvisionings>().IdleAsync();
        var sho = rig.StoreOf(rig.Sho).Sho;
        await WaitAsync(async () => (await sho.FindAsync(ShoDpfRig.Pcid, ct))?.State == ShoSubscription.Failed, "the subscription to fail");
        var sub = (await sho.FindAsync(ShoDpfRig.Pcid, ct))!;
        Assert.StartsWith("install-failed: mac-mismatch", sub.Reason);
        Assert.Null(sub.K); // the keys that left sealed are dropped …
        Assert.Equal(1, (await sho.CountPoolAsync(ct))["retired"]); // … and their IMSI is never handed out again
        Assert.Null(await rig.StoreOf(rig.Hss).Subscribers.FindAsync(sub.Imsi!, ct));
        var p = (await rig.StoreOf(rig.Dpf).Dpf.FindAsync(ShoDpfRig.Pcid, ct))!;
        Assert.Equal((DpfProvisioning.Failed, "failed"), (p.State, p.Result));
    }

    [Fact]
    public async Task Step15_PlatformJudgedInvalid_ShoSealsNothing_DpfDownloadsNothing()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var rig = await ShoDpfRig.StartAsync(_dir, ct: ct);
        rig.Pva.ForceInvalid = true;
        var d = await rig.DeviceAsync(await rig.OpenProvisioningAsync(ct: ct));
        var result = await McimDownloadClient.RunAsync(d.Device, d.Account, d.Transport, Fast with { Deadline = TimeSpan.FromSeconds(3) }, d.Tre, ct);
        Assert.Equal("deadline", result.Outcome);
        await rig.Dpf.Services.GetRequiredService<DpfProvisionings>().IdleAsync();
        var sho = rig.StoreOf(rig.Sho).Sho;
        await WaitAsync(async () => (await sho.FindAsync(ShoDpfRig.Pcid, ct))?.State == ShoSubscription.Refused, "the registration to be refused");
        Assert.Null((await sho.FindAsync(ShoDpfRig.Pcid, ct))!.Imsi);
        Assert.False((await sho.CountPoolAsync(ct)).ContainsKey("assigned"));
        var p = (await rig.StoreOf(rig.Dpf).Dpf.FindAsync(ShoDpfRig.Pcid, ct))!;
        Assert.Equal(DpfProvisioning.Failed, p.State);
        Assert.StartsWith("platform-invalid", p.Reason);
        Assert.Null(p.M2MSimMobj);
        Assert.Empty(d.Tre.Installed);
    }

    [Fact]
    public async Task Sho_RefusesToSeal_ForgedVerdictAtShoThreat()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var rig = await ShoDpfRig.StartAsync(_dir, ct: ct);
        var d = await rig.DeviceAsync(await rig.OpenProvisioningAsync(ct: ct));
        await SessionsUntilAsync(rig, d, DpfProvisioning.Attesting, ct); // M2MMobj read, the M2ME registered at the SHO, validation started
        var v = Assert.Single(rig.Pva.Validations.Values);
        var sho = new ShoClient(rig.As("dpf", "sho"));

        // Signed by a network function that is not the PVA (a drf certificate of the same operator), and by a key of no one's.
        foreach (var forger in new[] { rig.Identities["drf"].Certificate, await SelfSignedPvaAsync() })
        {
            var forged = rig.Verdict(v.Id, v.Pcid, v.Attestation, v.Encryption, v.ShoNonce, DateTimeOffset.UtcNow, signer: forger);
            var e = await Assert.ThrowsAsync<PeerRequestException>(() => sho.SubmitVerdictAsync(v.Pcid, new ShoVerdictRequest(v.Id, forged), ct));
            Assert.Equal(HttpStatusCode.Forbidden, e.StatusCode);
            Assert.Equal("bad-verdict", e.ProblemType);
        }
        // A genuine PVA verdict for another SHO request (not this SHO's nonce) is refused too.
        var otherNonce = rig.Verdict(v.Id, v.Pcid, v.Attestation, v.Encryption, new byte[16], DateTimeOffset.UtcNow);
        Assert.Equal(HttpStatusCode.Forbidden, (await Assert.ThrowsAsync<PeerRequestException>(() => sho.SubmitVerdictAsync(v.Pcid, new ShoVerdictRequest(v.Id, otherNonce), ct))).StatusCode);

        // Nothing sealed: no IMSI taken, the subscription still awaits a verdict.
        var store = rig.StoreOf(rig.Sho).Sho;
        Assert.Equal(ShoSubscription.Validating, (await store.FindAsync(v.Pcid, ct))!.State);
        Assert.False((await store.CountPoolAsync(ct)).ContainsKey("assigned"));
        Assert.Equal(DpfProvisioning.Attesting, (await rig.StoreOf(rig.Dpf).Dpf.FindAsync(v.Pcid, ct))!.State);
    }

    [Fact]
    public async Task Sho_RefusesToSeal_StaleVerdictAtShoThreat()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var rig = await ShoDpfRig.StartAsync(_dir, ct: ct);
        var d = await rig.DeviceAsync(await rig.OpenProvisioningAsync(ct: ct));
        await SessionsUntilAsync(rig, d, DpfProvisioning.Attesting, ct);
        var v = Assert.Single(rig.Pva.Validations.Values);
        var stale = rig.Verdict(v.Id, v.Pcid, v.Attestation, v.Encryption, v.ShoNonce, DateTimeOffset.UtcNow.AddMinutes(-10));
        var e = await Assert.ThrowsAsync<PeerRequestException>(() => new ShoClient(rig.As("dpf", "sho")).SubmitVerdictAsync(v.Pcid, new ShoVerdictRequest(v.Id, stale), ct));
        Assert.Equal(HttpStatusCode.Forbidden, e.StatusCode);
        Assert.Equal("stale-verdict", e.ProblemType);
        Assert.False((await rig.StoreOf(rig.Sho).Sho.CountPoolAsync(ct)).ContainsKey("assigned"));
    }

    /// <summary>Drives the flow with a fake SHO until the DPF holds a validated provisioning, and returns what a valid delivery needs.</summary>
    private static async Task<(DpfProvisioning P, FakePva.Validation V, string Verdict)> ValidatedAtDpfAsync(ShoDpfRig rig, CancellationToken ct)
    {
        var d = await rig.DeviceAsync(await rig.OpenProvisioningAsync(ct: ct));
        await SessionsUntilAsync(rig, d, DpfProvisioning.Validated, ct);
        var p = (await rig.StoreOf(rig.Dpf).Dpf.FindAsync(ShoDpfRig.Pcid, ct))!;
        var v = Assert.Single(rig.Pva.Validations.Values);
        Assert.True(rig.FakeSho!.Verdicts.TryPeek(out var forwarded)); // step 15: the DPF forwarded the verdict it checked
        return (p, v, forwarded.Verdict!);
    }

    private static async Task<byte[]> DocumentAsync(ShoDpfRig rig, string pcid, string treId, byte[] nonce)
    {
        var signer = await rig.Operator.IssueAsync(M2MSec.Pki.Authority.CertificateProfile.Sho, new M2MSec.Pki.Authority.CertificateSubject("sho"));
        using var enc = System.Security.Cryptography.ECDiffieHellman.Create(System.Security.Cryptography.ECCurve.NamedCurves.nistP256);
        return new FakePackager().Package(enc.ExportSubjectPublicKeyInfo(), new M2MSec.Provisioning.Mcim.McimContent("001010000000999", new byte[16], new byte[16]),
            pcid, treId, "sho", nonce, signer, null);
    }

    [Fact]
    public async Task Dpf_RefusesDownload_ForgedVerdictAtDpfThreat()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var rig = await ShoDpfRig.StartAsync(_dir, fakeSho: true, ct: ct);
        var (p, v, _) = await ValidatedAtDpfAsync(rig, ct);
        var doc = Convert.ToBase64String(await DocumentAsync(rig, p.Pcid, p.TreId!, p.RegistrationNonce!));
        var dpf = new DpfClient(rig.As("sho", "dpf"));
        foreach (var forger in new[] { rig.Identities["sho"].Certificate, await SelfSignedPvaAsync() })
        {
            var forged = rig.Verdict(v.Id, v.Pcid, v.Attestation, v.Encryption, v.ShoNonce, DateTimeOffset.UtcNow, signer: forger);
            var e = await Assert.ThrowsAsync<PeerRequestException>(() => dpf.DeliverM2MSimMobjAsync(p.Pcid, new M2MSimMobjDelivery(doc, forged), ct));
            Assert.Equal((HttpStatusCode.Forbidden, "bad-verdict"), (e.StatusCode, e.ProblemType));
        }
        // A genuine verdict that judged the platform invalid does not authorise a download either.
        var invalid = rig.Verdict(v.Id, v.Pcid, v.Attestation, v.Encryption, v.ShoNonce, DateTimeOffset.UtcNow, result: "invalid");
        Assert.Equal("platform-invalid", (await Assert.ThrowsAsync<PeerRequestException>(() => dpf.DeliverM2MSimMobjAsync(p.Pcid, new M2MSimMobjDelivery(doc, invalid), ct))).ProblemType);
        await AssertNothingQueuedAsync(rig, p);
    }

    [Fact]
    public async Task Dpf_RefusesDownload_StaleVerdictAtDpfThreat()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var rig = await ShoDpfRig.StartAsync(_dir, fakeSho: true, ct: ct);
        var (p, v, _) = await ValidatedAtDpfAsync(rig, ct);
        var doc = Convert.ToBase64String(await DocumentAsync(rig, p.Pcid, p.TreId!, p.RegistrationNonce!));
        var stale = rig.Verdict(v.Id, v.Pcid, v.Attestation, v.Encryption, v.ShoNonce, DateTimeOffset.UtcNow.AddMinutes(-10));
        var e = await Assert.ThrowsAsync<PeerRequestException>(() => new DpfClient(rig.As("sho", "dpf")).DeliverM2MSimMobjAsync(p.Pcid, new M2MSimMobjDelivery(doc, stale), ct));
        Assert.Equal((HttpStatusCode.Forbidden, "stale-verdict"), (e.StatusCode, e.ProblemType));
        await AssertNothingQueuedAsync(rig, p);
    }

    [Fact]
    public async Task Dpf_RefusesDownload_NotForAnOngoingProvisioning_UnsolicitedDownloadThreat()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var rig = await ShoDpfRig.StartAsync(_dir, fakeSho: true, ct: ct);
        var dpf = new DpfClient(rig.As("sho", "dpf"));
        var verdictFor = (string pcid) => rig.Verdict("val-x", pcid, [1], [2], new byte[16], DateTimeOffset.UtcNow);
        var doc = Convert.ToBase64String(await DocumentAsync(rig, "001900000000077", "TRE-X", new byte[16]));
        // No provisioning of that device at all.
        var e = await Assert.ThrowsAsync<PeerRequestException>(() => dpf.DeliverM2MSimMobjAsync("001900000000077", new M2MSimMobjDelivery(doc, verdictFor("001900000000077")), ct));
        Assert.Equal((HttpStatusCode.Forbidden, "no-ongoing-provisioning"), (e.StatusCode, e.ProblemType));
        // A provisioning whose M2MMobj was not even read yet (and no validation): still not a download it awaits.
        await rig.OpenProvisioningAsync(ct: ct);
        e = await Assert.ThrowsAsync<PeerRequestException>(() => dpf.DeliverM2MSimMobjAsync(ShoDpfRig.Pcid, new M2MSimMobjDelivery(doc, verdictFor(ShoDpfRig.Pcid)), ct));
        Assert.Equal((HttpStatusCode.Forbidden, "no-ongoing-provisioning"), (e.StatusCode, e.ProblemType));
        var p = (await rig.StoreOf(rig.Dpf).Dpf.FindAsync(ShoDpfRig.Pcid, ct))!;
        Assert.Equal(DpfProvisioning.Reading, p.State);
        Assert.Null(p.M2MSimMobj);
        Assert.Single(await rig.StoreOf(rig.Dpf).Dm.ListJobsAsync(ShoDpfRig.Pcid, ct)); // only the M2MMobj read
    }

    [Fact]
    public async Task Dpf_RefusesDownload_ForAnotherPcidTreOrNonce_MismatchedDownloadThreat()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var rig = await ShoDpfRig.StartAsync(_dir, fakeSho: true, ct: ct);
        var (p, v, verdict) = await ValidatedAtDpfAsync(rig, ct);
        var dpf = new DpfClient(rig.As("sho", "dpf"));
        var otherNonce = p.RegistrationNonce!.ToArray();
        otherNonce[0] ^= 1;
        foreach (var doc in new[]
        {
            await DocumentAsync(rig, "001900000000043", p.TreId!, p.RegistrationNonce!), // another device's PCID
            await DocumentAsync(rig, p.Pcid, "TRE-OTHER", p.RegistrationNonce!), // another TRE
            await DocumentAsync(rig, p.Pcid, p.TreId!, otherNonce), // an old or other registration nonce (a replay)
        })
        {
            var e = await Assert.ThrowsAsync<PeerRequestException>(() => dpf.DeliverM2MSimMobjAsync(p.Pcid, new M2MSimMobjDelivery(Convert.ToBase64String(doc), verdict), ct));
            Assert.Equal((HttpStatusCode.Forbidden, "mismatched-download"), (e.StatusCode, e.ProblemType));
        }
        await AssertNothingQueuedAsync(rig, p);
        // The matching one is taken: the refusals changed nothing.
        var ok = await dpf.DeliverM2MSimMobjAsync(p.Pcid, new M2MSimMobjDelivery(Convert.ToBase64String(await DocumentAsync(rig, p.Pcid, p.TreId!, p.RegistrationNonce!)), verdict), ct);
        Assert.Equal(DpfProvisioning.Downloading, ok.State);
    }

    /// <summary>
    /// Issue 16: the SHO's resumed step 17 can race its first delivery of the same M2MSIMMobj; every copy is taken as once (one
    /// download job), none is refused — a refusal made the SHO fail a subscription whose MCIM the DPF then installed.
    /// </summary>
    [Fact]
    public async Task Dpf_SameDocumentDeliveredConcurrently_EveryCopyAccepted_OneDownloadJob_CrashWindowThreat()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var rig = await ShoDpfRig.StartAsync(_dir, fakeSho: true, ct: ct);
        var (p, _, verdict) = await ValidatedAtDpfAsync(rig, ct);
        var dpf = new DpfClient(rig.As("sho", "dpf"));
        var doc = Convert.ToBase64String(await DocumentAsync(rig, p.Pcid, p.TreId!, p.RegistrationNonce!));

        var answers = await Task.WhenAll(Enumerable.Range(0, 16).Select(_ => dpf.DeliverM2MSimMobjAsync(p.Pcid, new M2MSimMobjDelivery(doc, verdict), ct)));

        Assert.All(answers, a => Assert.Equal(DpfProvisioning.Downloading, a.State));
        Assert.Single(await rig.StoreOf(rig.Dpf).Dm.ListJobsAsync(p.Pcid), j => j.Commands.Any(c => c.Uri.StartsWith("./M2MSIMMobj", StringComparison.Ordinal)));
    }

    private static async Task AssertNothingQueuedAsync(ShoDpfRig rig, DpfProvisioning before)
    {
        var p = (await rig.StoreOf(rig.Dpf).Dpf.FindAsync(before.Pcid))!;
        Assert.Equal(DpfProvisioning.Validated, p.State);
        Assert.Null(p.M2MSimMobj);
        Assert.DoesNotContain(await rig.StoreOf(rig.Dpf).Dm.ListJobsAsync(before.Pcid), j => j.Commands.Any(c => c.Uri.StartsWith("./M2MSIMMobj", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task DpfStore_HoldsOnlyTheEncryptedBlob_NeverKOrOpc_DpfHoldsOnlyCiphertextThreat()
    {
        var ct = TestContext.Current.CancellationToken;
        var dpfDir = Path.Combine(_dir, "dpf-sqlite");
        var kek = TestKeyRing.CreateIn(_dir);
        var dpfStore = await SqliteStateStore.OpenAsync(dpfDir, KeyRing.Open(kek), cancellationToken: ct);
        await using var rig = await ShoDpfRig.StartAsync(_dir, dpfStore: dpfStore, ct: ct);
        var d = await rig.DeviceAsync(await rig.OpenProvisioningAsync(ct: ct));
        var result = await McimDownloadClient.RunAsync(d.Device, d.Account, d.Transport, Fast, d.Tre, ct);
        Assert.True(result.Installed, result.Detail);
        await rig.Dpf.Services.GetRequiredService<DpfProvisionings>().IdleAsync();
        var subscriber = await WaitForSubscriberAsync(rig, result.Imsi!, ct);
        var p = (await rig.StoreOf(rig.Dpf).Dpf.FindAsync(ShoDpfRig.Pcid, ct))!;
        Assert.NotNull(p.M2MSimMobj); // the DPF did hold the object it downloaded …
        var files = Directory.GetFiles(dpfDir, "*", SearchOption.AllDirectories).Select(File.ReadAllBytes).ToList();
        Assert.NotEmpty(files);
        foreach (var secret in new[] { subscriber.K, subscriber.Opc })
        {
            // … yet neither K nor OPc appears in its store, in any encoding, nor in the object itself.
            foreach (var form in new[] { secret, Encoding.ASCII.GetBytes(Convert.ToHexString(secret)), Encoding.ASCII.GetBytes(Convert.ToHexStringLower(secret)),
                Encoding.ASCII.GetBytes(Convert.ToBase64String(secret)) })
            {
                Assert.All(files, f => Assert.Equal(-1, f.AsSpan().IndexOf(form)));
                Assert.Equal(-1, p.M2MSimMobj!.AsSpan().IndexOf(form));
            }
        }
    }

    private static async Task<M2MSec.Storage.Hss.HssSubscriber> WaitForSubscriberAsync(ShoDpfRig rig, string imsi, CancellationToken ct)
    {
        var hss = rig.StoreOf(rig.Hss).Subscribers;
        await WaitAsync(async () => await hss.FindAsync(imsi, ct) is not null, "the subscriber in the HSS");
        return (await hss.FindAsync(imsi, ct))!;
    }

    [Fact]
    public async Task RoleToRoleEndpoints_RefuseEveryOtherRoleAndAdministrators_WrongRoleThreat()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var rig = await ShoDpfRig.StartAsync(_dir, ct: ct);
        var endpoints = new (string Target, string Path, object Body, string[] Allowed)[]
        {
            ("sho", "registrations", new ShoRegistrationRequest(ShoDpfRig.Pcid, null), ["drf"]),
            ("sho", $"registrations/{ShoDpfRig.Pcid}/verdict", new ShoVerdictRequest("v", "x"), ["dpf"]),
            ("sho", $"registrations/{ShoDpfRig.Pcid}/status", new ShoStatusRequest("installed", null), ["dpf"]),
            ("dpf", "provisionings", new CreateProvisioningRequest(ShoDpfRig.Pcid, "sho", null), ["drf"]),
            ("dpf", $"provisionings/{ShoDpfRig.Pcid}/attestation", new AttestationRequest("v", "00"), ["sho"]),
            ("dpf", $"provisionings/{ShoDpfRig.Pcid}/m2msimmobj", new M2MSimMobjDelivery("AA==", "x"), ["sho"]),
        };
        foreach (var (target, path, body, allowed) in endpoints)
        {
            foreach (var caller in new[] { "sho", "dpf", "drf", "pva", "hss", "vno", "admin" })
            {
                using var response = await rig.As(caller, target).PostAsJsonAsync(path, body, NetworkFunctionHost.JsonOptions, ct);
                var body2 = await response.Content.ReadAsStringAsync(ct);
                if (allowed.Contains(caller))
                    Assert.DoesNotContain("role-not-entitled", body2); // entitled: it reaches the endpoint (and is refused on the body or the state)
                else
                    Assert.True(response.StatusCode == HttpStatusCode.Forbidden && body2.Contains("role-not-entitled"), $"{caller} → {target} {path}: {response.StatusCode}");
            }
        }
        // The SHO's admin APIs: administrators only (the signing root also for the DPF); the HSS's subscribers: administrators and the SHO.
        Assert.Equal(HttpStatusCode.Forbidden, (await rig.As("dpf", "sho").GetAsync("subscriptions", ct)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await rig.As("admin", "sho").GetAsync("subscriptions", ct)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await rig.As("drf", "sho").GetAsync("signing-root", ct)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await rig.As("dpf", "sho").GetAsync("signing-root", ct)).StatusCode);
        var subscriber = new AddSubscriberRequest("001010000009999", new string('1', 32), null, new string('2', 32), "8000", null);
        Assert.Equal(HttpStatusCode.Forbidden, (await rig.As("dpf", "hss").PostAsJsonAsync("subscribers", subscriber, NetworkFunctionHost.JsonOptions, ct)).StatusCode);
        Assert.Equal(HttpStatusCode.Created, (await rig.As("sho", "hss").PostAsJsonAsync("subscribers", subscriber, NetworkFunctionHost.JsonOptions, ct)).StatusCode);
    }

    [Fact]
    public async Task BadFields_Get400NamingTheField_AndChangeNothing()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var rig = await ShoDpfRig.StartAsync(_dir, ct: ct);
        async Task Expect400(HttpClient client, string path, object body, string field)
        {
            using var r = await client.PostAsJsonAsync(path, body, NetworkFunctionHost.JsonOptions, ct);
            Assert.Equal(HttpStatusCode.BadRequest, r.StatusCode);
            Assert.Contains(field, await r.Content.ReadAsStringAsync(ct));
        }
        var asDrf = rig.As("drf", "dpf");
        var account = new DmAccountDto("dpf-dm", "user", "client-password", "server-password", "md5", "md5");
        await Expect400(asDrf, "provisionings", new CreateProvisioningRequest("12ab", "sho", account), "pcid");
        await Expect400(asDrf, "provisionings", new CreateProvisioningRequest(ShoDpfRig.Pcid, "", account), "sho_id");
        await Expect400(asDrf, "provisionings", new CreateProvisioningRequest(ShoDpfRig.Pcid, "sho", account with { ServerId = "a/b" }), "dm_account.server_id");
        await Expect400(asDrf, "provisionings", new CreateProvisioningRequest(ShoDpfRig.Pcid, "sho", account with { ClientPassword = "short" }), "dm_account.client_password");
        await Expect400(asDrf, "provisionings", new CreateProvisioningRequest(ShoDpfRig.Pcid, "sho", account with { ServerAuth = "basic" }), "dm_account.server_auth");
        Assert.Empty(await rig.StoreOf(rig.Dpf).Dpf.ListAsync(ct));
        Assert.Empty(await rig.StoreOf(rig.Dpf).Dm.ListAccountsAsync(ct));
        await Expect400(rig.As("sho", "dpf"), $"provisionings/{ShoDpfRig.Pcid}/attestation", new AttestationRequest("v1", "abcd"), "challenge");
        await Expect400(rig.As("sho", "dpf"), $"provisionings/{ShoDpfRig.Pcid}/m2msimmobj", new M2MSimMobjDelivery("not base64!", "x"), "m2msimmobj");
        var asDrfToSho = rig.As("drf", "sho");
        var m = new M2MSec.NetworkFunctions.Drf.M2MMobjDto(ShoDpfRig.Pcid, "TRE-1", "sho", "AA==", "AA==", new string('0', 32));
        await Expect400(asDrfToSho, "registrations", new ShoRegistrationRequest(ShoDpfRig.Pcid, m with { ShoId = "other" }), "m2mmobj.sho_id");
        await Expect400(asDrfToSho, "registrations", new ShoRegistrationRequest(ShoDpfRig.Pcid, m), "m2mmobj.pfc_attestation");
        await Expect400(asDrfToSho, "registrations", new ShoRegistrationRequest(ShoDpfRig.Pcid, m with { Pcid = "001900000000001" }), "m2mmobj.pcid");
        await Expect400(rig.As("dpf", "sho"), $"registrations/{ShoDpfRig.Pcid}/status", new ShoStatusRequest("maybe", null), "result");
        await Expect400(rig.As("admin", "sho"), "imsi-pool", new ImsiPoolRangeRequest("999999999999999", 2), "count");
        Assert.Empty(await rig.StoreOf(rig.Sho).Sho.ListAsync(ct));
    }

    private static async Task<System.Security.Cryptography.X509Certificates.X509Certificate2> SelfSignedPvaAsync()
    {
        // An attacker's own hierarchy issuing a certificate that claims the pva role.
        var rogue = await M2MSec.Pki.Authority.CertificateHierarchy.InitAsync(new M2MSec.Storage.InMemory.InMemoryCertificateStore(TimeProvider.System), "operator",
            M2MSec.Pki.Authority.KeyAlgorithm.EcP256, null, TimeProvider.System);
        return await rogue.IssueAsync(M2MSec.Pki.Authority.CertificateProfile.NetworkFunction, new M2MSec.Pki.Authority.CertificateSubject("pva"), role: "pva");
    }
}
