using System.Security.Cryptography;
using M2MSec.Aka;
using M2MSec.Storage;
using M2MSec.Storage.Certificates;
using M2MSec.Storage.Dm;
using M2MSec.Storage.Hss;
using M2MSec.Storage.Ota;
using Microsoft.Extensions.Time.Testing;

namespace M2MSec.Tests.Storage;

/// <summary>
/// The contract every <see cref="IStateStore"/> keeps, run against each implementation
/// (in memory, SQLite, PostgreSQL) by the subclasses below.
/// </summary>
public abstract partial class StateStoreContract : IAsyncLifetime
{
    protected FakeTimeProvider Clock { get; } = new(new DateTimeOffset(2026, 11, 23, 12, 0, 0, TimeSpan.Zero));

    protected IStateStore Store { get; private set; } = null!;

    protected abstract Task<IStateStore> OpenAsync(TimeProvider time);

    public async ValueTask InitializeAsync() => Store = await OpenAsync(Clock);

    public virtual async ValueTask DisposeAsync() => await Store.DisposeAsync();

    private static HssSubscriber NewSubscriber(string imsi, SubscriberIdentityKind kind = SubscriberIdentityKind.Imsi) =>
        new(imsi, RandomNumberGenerator.GetBytes(16), RandomNumberGenerator.GetBytes(16), [0x80, 0x00], kind);

    [Fact]
    public async Task Subscriber_RoundTrips_WithSecretsAndKind()
    {
        var s = NewSubscriber("001010000000001");
        var pcid = NewSubscriber("001990000000001", SubscriberIdentityKind.Pcid);
        Assert.True(await Store.Subscribers.AddAsync(s, 7));
        Assert.True(await Store.Subscribers.AddAsync(pcid));
        var back = await Store.Subscribers.FindAsync("001010000000001");
        Assert.NotNull(back);
        Assert.Equal(s.K, back.K);
        Assert.Equal(s.Opc, back.Opc);
        Assert.Equal(s.Amf, back.Amf);
        Assert.Equal(SubscriberIdentityKind.Imsi, back.Kind);
        Assert.Equal(HssSubscriber.Milenage, back.Algorithm);
        Assert.Equal(SubscriberIdentityKind.Pcid, (await Store.Subscribers.FindAsync("001990000000001"))!.Kind);
        Assert.Equal(new HssSqnState(7, 0), await Store.Subscribers.GetSqnStateAsync("001010000000001"));
        Assert.Null(await Store.Subscribers.FindAsync("001010000000009"));
    }

    [Fact]
    public async Task Subscriber_AddedTwice_IsRefused_AndFirstKept()
    {
        var first = NewSubscriber("001010000000002");
        Assert.True(await Store.Subscribers.AddAsync(first));
        Assert.False(await Store.Subscribers.AddAsync(NewSubscriber("001010000000002")));
        Assert.Equal(first.K, (await Store.Subscribers.FindAsync("001010000000002"))!.K);
    }

    [Fact]
    public async Task AllocateSqns_AreConsecutive_WithCyclicInd_LikeTheHeGenerator()
    {
        await Store.Subscribers.AddAsync(NewSubscriber("001010000000003"));
        var scheme = SqnScheme.Default;
        var got = new List<ulong>();
        for (var i = 0; i < 12; i++)
            got.AddRange((await Store.Subscribers.AllocateSqnsAsync("001010000000003", 3, scheme))!);
        ulong seq = 0;
        var ind = 0;
        var expected = Enumerable.Range(0, 36).Select(_ => HeSqnGenerator.Next(scheme, ref seq, ref ind)).ToList();
        Assert.Equal(expected, got);
        Assert.Equal(new HssSqnState(36, 36 % 32), await Store.Subscribers.GetSqnStateAsync("001010000000003"));
        Assert.Null(await Store.Subscribers.AllocateSqnsAsync("001010000000099", 1, scheme));
    }

    [Fact]
    public async Task AllocateSqns_Concurrent_AreAllDistinct()
    {
        await Store.Subscribers.AddAsync(NewSubscriber("001010000000004"));
        var all = new System.Collections.Concurrent.ConcurrentBag<ulong>();
        await Parallel.ForEachAsync(Enumerable.Range(0, 200), new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (_, ct) =>
        {
            foreach (var s in (await Store.Subscribers.AllocateSqnsAsync("001010000000004", 2, SqnScheme.Default, ct))!)
                all.Add(s);
        });
        Assert.Equal(400, all.Distinct().Count());
    }

    [Fact]
    public async Task AllocateSqns_PastMaxSeq_Throws_AndChangesNothing()
    {
        var scheme = SqnScheme.Default;
        await Store.Subscribers.AddAsync(NewSubscriber("001010000000005"), scheme.MaxSeq - 1);
        await Assert.ThrowsAsync<InvalidOperationException>(async () => await Store.Subscribers.AllocateSqnsAsync("001010000000005", 2, scheme));
        Assert.Equal(scheme.MaxSeq - 1, (await Store.Subscribers.GetSqnStateAsync("001010000000005"))!.Value.SeqHe);
    }

    [Fact]
    public async Task Resynchronise_OnlyMovesForward()
    {
        var scheme = SqnScheme.Default;
        await Store.Subscribers.AddAsync(NewSubscriber("001010000000006"), 50);
        Assert.False(await Store.Subscribers.ResynchroniseAsync("001010000000006", scheme.Compose(40, 1), scheme));
        Assert.True(await Store.Subscribers.ResynchroniseAsync("001010000000006", scheme.Compose(900, 1), scheme));
        Assert.False(await Store.Subscribers.ResynchroniseAsync("001010000000006", scheme.Compose(900, 2), scheme));
        Assert.Equal(900UL, (await Store.Subscribers.GetSqnStateAsync("001010000000006"))!.Value.SeqHe);
        Assert.False(await Store.Subscribers.ResynchroniseAsync("001010000000098", scheme.Compose(9, 0), scheme));
    }

    private static OtaKeySet NewKeySet(string iccid, int kvn) =>
        new(iccid, kvn, 0x12, RandomNumberGenerator.GetBytes(16), 0x12, RandomNumberGenerator.GetBytes(16), "B00001");

    [Fact]
    public async Task OtaKeySet_RoundTrips_AndCounterStartsWhereSet()
    {
        var ks = NewKeySet("8988211000000000001", 1);
        Assert.True(await Store.OtaKeySets.AddAsync(ks, 41));
        Assert.False(await Store.OtaKeySets.AddAsync(NewKeySet("8988211000000000001", 1)));
        var back = await Store.OtaKeySets.FindAsync("8988211000000000001", 1);
        Assert.Equal(ks.Kic, back!.Kic);
        Assert.Equal(ks.Kid, back.Kid);
        Assert.Equal(0x12, back.KicAlgorithm);
        Assert.Equal("b00001", back.Tar);
        Assert.Equal(41UL, await Store.OtaKeySets.GetCounterAsync("8988211000000000001", 1));
        Assert.Equal(42UL, await Store.OtaKeySets.NextCounterAsync("8988211000000000001", 1));
        Assert.Equal(43UL, await Store.OtaKeySets.NextCounterAsync("8988211000000000001", 1, 5));
        Assert.Equal(48UL, await Store.OtaKeySets.NextCounterAsync("8988211000000000001", 1));
        Assert.Null(await Store.OtaKeySets.NextCounterAsync("8988211000000000001", 2));
    }

    [Fact]
    public async Task OtaCounters_AreOneSequencePerKeySet_AndStrictlyIncreasingUnderConcurrency()
    {
        await Store.OtaKeySets.AddAsync(NewKeySet("8988211000000000002", 1));
        await Store.OtaKeySets.AddAsync(NewKeySet("8988211000000000002", 2));
        var seen = new System.Collections.Concurrent.ConcurrentBag<ulong>();
        await Parallel.ForEachAsync(Enumerable.Range(0, 8), async (_, ct) =>
        {
            ulong last = 0;
            for (var i = 0; i < 50; i++)
            {
                var v = (await Store.OtaKeySets.NextCounterAsync("8988211000000000002", 1, 1, ct))!.Value;
                Assert.True(v > last);
                last = v;
                seen.Add(v);
            }
        });
        Assert.Equal(400, seen.Distinct().Count());
        Assert.Equal(400UL, seen.Max());
        Assert.Equal(1UL, await Store.OtaKeySets.NextCounterAsync("8988211000000000002", 2));
    }

    [Fact]
    public async Task Scp81Psk_RoundTrips_AndAnIdentityIsRegisteredOnce()
    {
        var psk = RandomNumberGenerator.GetBytes(16);
        Assert.True(await Store.OtaKeySets.AddPskAsync("card-1", "8988211000000000004", psk));
        Assert.False(await Store.OtaKeySets.AddPskAsync("card-1", "8988211000000000005", RandomNumberGenerator.GetBytes(16)));
        var found = await Store.OtaKeySets.FindPskAsync("card-1");
        Assert.Equal("8988211000000000004", found!.Value.Iccid);
        Assert.Equal(psk, found.Value.Psk);
        Assert.Null(await Store.OtaKeySets.FindPskAsync("card-2"));
    }

    [Fact]
    public async Task OtaJobs_ArePending_UntilCompletedOnce()
    {
        var now = Clock.GetUtcNow();
        OtaJobRecord Job(string id, ulong counter) =>
            new(id, "8988211000000000006", "b00001", 1, [0x16, 0x39], 0x12, 0x12, counter, "sent", null, null, null, [1, 2], now, now);
        await Store.OtaJobs.AddAsync(Job("j2", 2));
        await Store.OtaJobs.AddAsync(Job("j1", 1));
        Assert.Equal(["j1", "j2"], (await Store.OtaJobs.PendingAsync("8988211000000000006")).Select(j => j.Id));
        Assert.True(await Store.OtaJobs.CompleteAsync("j1", "verified", "00", "019000", null));
        Assert.False(await Store.OtaJobs.CompleteAsync("j1", "failed", "01", null, "late PoR"));
        var j1 = await Store.OtaJobs.FindAsync("j1");
        Assert.Equal(("verified", "00", "019000"), (j1!.State, j1.PorStatus, j1.Data));
        Assert.Equal([0x16, 0x39], j1.Spi);
        Assert.Equal([1, 2], j1.ExpectedReadBack);
        Assert.Equal(["j2"], (await Store.OtaJobs.PendingAsync("8988211000000000006")).Select(j => j.Id));
        Assert.Null(await Store.OtaJobs.FindAsync("nope"));
    }

    [Fact]
    public async Task OtaCounter_AtTheFiveOctetLimit_Throws()
    {
        await Store.OtaKeySets.AddAsync(NewKeySet("8988211000000000003", 3), IEditableOtaKeySetStore.MaxCounter - 1);
        Assert.Equal(IEditableOtaKeySetStore.MaxCounter, await Store.OtaKeySets.NextCounterAsync("8988211000000000003", 3));
        await Assert.ThrowsAsync<InvalidOperationException>(async () => await Store.OtaKeySets.NextCounterAsync("8988211000000000003", 3));
    }

    [Fact]
    public async Task Nonce_IsConsumedAtMostOnce_ForItsPurpose_BeforeExpiry()
    {
        var n = await Store.Nonces.IssueAsync("dm-auth", TimeSpan.FromMinutes(5));
        Assert.Equal(16, n.Length);
        Assert.False(await Store.Nonces.ConsumeAsync("registration", n));
        Assert.True(await Store.Nonces.ConsumeAsync("dm-auth", n));
        Assert.False(await Store.Nonces.ConsumeAsync("dm-auth", n));
        Assert.False(await Store.Nonces.ConsumeAsync("dm-auth", RandomNumberGenerator.GetBytes(16)));

        var late = await Store.Nonces.IssueAsync("dm-auth", TimeSpan.FromMinutes(5));
        Clock.Advance(TimeSpan.FromMinutes(5));
        Assert.False(await Store.Nonces.ConsumeAsync("dm-auth", late));
        Assert.True(await Store.Nonces.PurgeExpiredAsync() >= 2);
    }

    [Fact]
    public async Task Nonce_ConcurrentConsumers_OnlyOneWins()
    {
        var n = await Store.Nonces.IssueAsync("registration", TimeSpan.FromMinutes(1));
        var wins = 0;
        await Parallel.ForEachAsync(Enumerable.Range(0, 16), async (_, ct) =>
        {
            if (await Store.Nonces.ConsumeAsync("registration", n, ct))
                Interlocked.Increment(ref wins);
        });
        Assert.Equal(1, wins);
    }

    [Fact]
    public async Task Device_Transitions_AreCompareAndSet_WithTimestampedHistory()
    {
        Assert.True(await Store.Devices.RegisterAsync("m2me-1", "001990000000007", "tre-7", "tre", "manufactured"));
        Assert.False(await Store.Devices.RegisterAsync("m2me-1", null, null, "tre", "manufactured"));
        Clock.Advance(TimeSpan.FromSeconds(3));
        Assert.True(await Store.Devices.TransitionAsync("m2me-1", "manufactured", "attached", "PCID attach"));
        Assert.False(await Store.Devices.TransitionAsync("m2me-1", "manufactured", "registered"));
        Assert.False(await Store.Devices.TransitionAsync("m2me-nope", "manufactured", "registered"));
        var d = await Store.Devices.FindAsync("m2me-1");
        Assert.Equal("attached", d!.State);
        Assert.Equal("tre-7", d.TreId);
        Assert.Equal(Clock.GetUtcNow(), d.UpdatedAt);
        var history = await Store.Devices.GetHistoryAsync("m2me-1");
        Assert.Equal([(null, "manufactured"), ("manufactured", "attached")], history.Select(h => (h.FromState, h.ToState)));
        Assert.Equal("PCID attach", history[1].Reason);
        Assert.Equal(Clock.GetUtcNow(), history[1].At);
        Assert.Equal(1, (await Store.Devices.CountByStateAsync())["attached"]);
    }

    [Fact]
    public async Task Audit_AppendsInOrder()
    {
        await Store.Audit.AppendAsync("operator", "subscriber.add", "001010000000001");
        await Store.Audit.AppendAsync("hss", "sqn.resync", "001010000000001", "seq_he 0 -> 1000");
        var all = await Store.Audit.ReadAsync();
        Assert.Equal(["subscriber.add", "sqn.resync"], all.Select(a => a.Action));
        Assert.True(all[1].Sequence > all[0].Sequence);
        Assert.Equal("seq_he 0 -> 1000", all[1].Detail);
        Assert.Single(await Store.Audit.ReadAsync(all[0].Sequence));
    }

    [Fact]
    public async Task Certificate_RevocationIsOneWay_AndListed()
    {
        var now = Clock.GetUtcNow();
        var c = new IssuedCertificate("operator", "0A1B", "CN=dm.operator.example", now, now.AddDays(7), [1, 2, 3]);
        Assert.True(await Store.Certificates.AddAsync(c));
        Assert.False(await Store.Certificates.AddAsync(c));
        Assert.False((await Store.Certificates.FindAsync("operator", "0a1b"))!.IsRevoked);
        Assert.True(await Store.Certificates.RevokeAsync("operator", "0a1b", 1));
        Assert.False(await Store.Certificates.RevokeAsync("operator", "0A1B", 4));
        var back = await Store.Certificates.FindAsync("operator", "0A1B");
        Assert.Equal(1, back!.RevocationReason);
        Assert.Equal(now, back.RevokedAt);
        Assert.Equal([1, 2, 3], back.Der);
        Assert.Single(await Store.Certificates.ListRevokedAsync("operator"));
        Assert.Empty(await Store.Certificates.ListRevokedAsync("manufacturer"));
        Assert.False(await Store.Certificates.RevokeAsync("operator", "ff", 1));
        Assert.Single(await Store.Certificates.ListAsync("operator"));
    }

    [Fact]
    public async Task AuthorityKey_FirstPutWins_ReplaceOverwrites()
    {
        var first = new AuthorityKey("operator", "issuing", [0x30, 0x01], [1, 2, 3, 4]);
        Assert.True(await Store.Certificates.PutAuthorityKeyAsync(first, replace: false));
        Assert.False(await Store.Certificates.PutAuthorityKeyAsync(first with { PrivateKeyPkcs8 = [9] }, replace: false));
        Assert.Equal([1, 2, 3, 4], (await Store.Certificates.FindAuthorityKeyAsync("operator", "issuing"))!.PrivateKeyPkcs8);
        Assert.True(await Store.Certificates.PutAuthorityKeyAsync(first with { CertificateDer = [0x30, 0x02], PrivateKeyPkcs8 = [5, 6] }, replace: true));
        var back = await Store.Certificates.FindAuthorityKeyAsync("operator", "issuing");
        Assert.Equal([0x30, 0x02], back!.CertificateDer);
        Assert.Equal([5, 6], back.PrivateKeyPkcs8);
        Assert.Null(await Store.Certificates.FindAuthorityKeyAsync("operator", "root"));
    }

    /// <summary>Issue 14 item 9: the listings behind `dm account list` and `ota card list`, in order, with no secret in them.</summary>
    [Fact]
    public async Task Listings_DmAccountsAndOtaCards_InOrder_WithoutSecrets_Item9()
    {
        var now = Clock.GetUtcNow();
        Assert.Empty(await Store.Dm.ListAccountsAsync());
        Assert.True(await Store.Dm.AddAccountAsync(new DmAccount("dev-b", "srv", "ub", "cpwd"u8.ToArray(), "spwd"u8.ToArray(), "hmac", "md5", now)));
        Assert.True(await Store.Dm.AddAccountAsync(new DmAccount("dev-a", "srv", "ua", "cpwd"u8.ToArray(), "spwd"u8.ToArray(), "md5", "hmac", now)));
        var accounts = await Store.Dm.ListAccountsAsync();
        Assert.Equal(["dev-a", "dev-b"], accounts.Select(a => a.DevId));
        Assert.Equal(("ua", "md5", "hmac"), (accounts[0].ClientUser, accounts[0].ClientAuth, accounts[0].ServerAuth));

        Assert.True(await Store.OtaKeySets.AddAsync(new OtaKeySet("8988211000000000902", 2, 0x02, new byte[16], 0x02, new byte[16], "b00002"), 7));
        Assert.True(await Store.OtaKeySets.AddAsync(new OtaKeySet("8988211000000000901", 1, 0x02, new byte[16], 0x02, new byte[16])));
        Assert.True(await Store.OtaKeySets.AddPskAsync("card-901", "8988211000000000901", new byte[16]));
        var sets = await Store.OtaKeySets.ListKeySetsAsync();
        Assert.Equal(["8988211000000000901", "8988211000000000902"], sets.Select(k => k.Iccid));
        Assert.Equal((2, (byte)0x02, "b00002", 7UL), (sets[1].KeyVersion, sets[1].KicAlgorithm, sets[1].Tar, sets[1].Counter));
        Assert.Null(sets[0].Tar);
        Assert.Equal([("card-901", "8988211000000000901")], await Store.OtaKeySets.ListPskIdentitiesAsync());
    }

    [Fact]
    public async Task DmAccount_OncePerDevice_JobsKeepOrder_ResultsRecordedOnce()
    {
        var now = Clock.GetUtcNow();
        var account = new DmAccount("IMEI:490154203237518", "m2msec-dm", "dev1", "cpwd"u8.ToArray(), "spwd"u8.ToArray(), "md5", "md5", now);
        Assert.True(await Store.Dm.AddAccountAsync(account));
        Assert.False(await Store.Dm.AddAccountAsync(account with { ClientUser = "other" }));
        var back = await Store.Dm.FindAccountAsync(account.DevId);
        Assert.Equal("cpwd"u8.ToArray(), back!.ClientPassword);
        Assert.Equal("spwd"u8.ToArray(), back.ServerPassword);
        Assert.DoesNotContain("cpwd", back.ToString(), StringComparison.Ordinal);
        Assert.Null(await Store.Dm.FindAccountAsync("nobody"));
        // The nonce the device gave the server last (schema v8): kept with the account, replaced by the next one.
        Assert.Null(back.ServerNonce);
        Assert.True(await Store.Dm.SetServerNonceAsync(account.DevId, "bm9uY2UtMQ=="));
        Assert.True(await Store.Dm.SetServerNonceAsync(account.DevId, "bm9uY2UtMg=="));
        Assert.Equal("bm9uY2UtMg==", (await Store.Dm.FindAccountAsync(account.DevId))!.ServerNonce);
        Assert.False(await Store.Dm.SetServerNonceAsync("nobody", "eA=="));

        DmCommandRecord Cmd(string job, int seq, string verb, string uri, string? value = null) => new(job, seq, verb, uri, value, null, null);
        await Store.Dm.AddJobAsync(new DmJobRecord("job-1", account.DevId, "queued", now, now,
            [Cmd("job-1", 1, "replace", "./NASConfig/NAS_SignallingPriority", "1"), Cmd("job-1", 2, "get", "./NASConfig/NAS_SignallingPriority")]));
        await Store.Dm.AddJobAsync(new DmJobRecord("job-2", account.DevId, "queued", now.AddSeconds(1), now.AddSeconds(1), [Cmd("job-2", 1, "get", "./DevInfo/Mod")]));
        Assert.True(await Store.Dm.RecordResultAsync("job-1", 2, 200, "1"));
        Assert.False(await Store.Dm.RecordResultAsync("job-1", 2, 500, null));
        Assert.False(await Store.Dm.RecordResultAsync("job-9", 1, 200, null));
        // Issue 19: a message's statuses in one call — what is recorded counts, a recorded or unknown command is skipped (never overwritten).
        Assert.Equal(0, await Store.Dm.RecordResultsAsync([]));
        Assert.Equal(1, await Store.Dm.RecordResultsAsync([new("job-1", 2, 500, "overwrite"), new("job-2", 1, 200, "mod"), new("job-9", 1, 200, null), new("job-2", 7, 200, null)]));
        Assert.Equal(0, await Store.Dm.RecordResultsAsync([new("job-2", 1, 404, null)]));
        Assert.True(await Store.Dm.SetJobStateAsync("job-1", "running", ["queued"]));
        Assert.False(await Store.Dm.SetJobStateAsync("job-1", "running", ["queued"]));
        var jobs = await Store.Dm.ListJobsAsync(account.DevId);
        Assert.Equal(["job-1", "job-2"], jobs.Select(j => j.Id));
        Assert.Equal("running", jobs[0].State);
        Assert.Equal([1, 2], jobs[0].Commands.Select(c => c.Seq));
        Assert.Equal(200, jobs[0].Commands[1].Status);
        Assert.Equal((200, "mod"), (jobs[1].Commands[0].Status, jobs[1].Commands[0].Results));
        Assert.Equal("1", jobs[0].Commands[1].Results);
        Assert.Null(jobs[0].Commands[0].Status);
        Assert.Empty(await Store.Dm.ListJobsAsync("nobody"));
        // Issue 19: what a session takes — the queued jobs only, with their commands, oldest first.
        await Store.Dm.AddJobAsync(new DmJobRecord("job-3", account.DevId, "queued", now.AddSeconds(2), now.AddSeconds(2), [Cmd("job-3", 1, "get", "./DevInfo/Man")]));
        var queued = await Store.Dm.ListQueuedJobsAsync(account.DevId);
        Assert.Equal(["job-2", "job-3"], queued.Select(j => j.Id));
        Assert.Equal("./DevInfo/Mod", Assert.Single(queued[0].Commands).Uri);
        Assert.Empty(await Store.Dm.ListQueuedJobsAsync("nobody"));
    }

    /// <summary>Issue 13 item 11: what devices report is kept per device with an account, and bounded (lengths, counts, oldest alerts dropped).</summary>
    [Fact]
    public async Task DmDeviceReports_KeptPerAccount_Bounded_OldestAlertsDropped_UnboundedDeviceInputThreat()
    {
        var now = Clock.GetUtcNow();
        Assert.True(await Store.Dm.AddAccountAsync(new DmAccount("dev-r", "srv", "u", "cpwd"u8.ToArray(), "spwd"u8.ToArray(), "md5", "md5", now)));
        Assert.Empty((await Store.Dm.GetDeviceReportAsync("dev-r")).DevInfo);

        // DevInfo: added, then updated in place; values cut (never a split surrogate pair), NUL replaced; at most 32 leaves.
        await Store.Dm.KeepDevInfoAsync("dev-r", [("./DevInfo/Man", "first"), ("./DevInfo/Mod", "m\0x")], now);
        var longValue = new string('v', DmDeviceReportLimits.MaxValueLength - 1) + "\U0001F600";
        await Store.Dm.KeepDevInfoAsync("dev-r", [("./DevInfo/Man", longValue), .. Enumerable.Range(0, 40).Select(i => ($"./DevInfo/Ext/{i:D2}", "x"))], now.AddMinutes(1));
        var info = (await Store.Dm.GetDeviceReportAsync("dev-r")).DevInfo.ToDictionary(i => i.Uri);
        Assert.Equal(DmDeviceReportLimits.MaxDevInfoItems, info.Count);
        Assert.Equal(new string('v', DmDeviceReportLimits.MaxValueLength - 1), info["./DevInfo/Man"].Value);
        Assert.Equal(now.AddMinutes(1), info["./DevInfo/Man"].UpdatedAt);
        Assert.Equal("m\uFFFDx", info["./DevInfo/Mod"].Value);
        Assert.Equal(now, info["./DevInfo/Mod"].UpdatedAt);

        // Generic Alerts: oldest first, at most 50, texts cut.
        DmGenericAlertRecord Alert(int i) => new(now.AddSeconds(i), null, "./FwUpdate/x", "t", "chr", null, i.ToString(System.Globalization.CultureInfo.InvariantCulture));
        await Store.Dm.AddGenericAlertsAsync("dev-r", [.. Enumerable.Range(0, 30).Select(Alert)]);
        await Store.Dm.AddGenericAlertsAsync("dev-r", [.. Enumerable.Range(30, 30).Select(Alert), Alert(60) with { Data = new string('d', 5000), Mark = new string('m', 300) }]);
        var alerts = (await Store.Dm.GetDeviceReportAsync("dev-r")).GenericAlerts;
        Assert.Equal(DmDeviceReportLimits.MaxAlertsPerDevice, alerts.Count);
        Assert.Equal(Enumerable.Range(11, 49).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)), alerts.Take(49).Select(a => a.Data));
        Assert.Equal(DmDeviceReportLimits.MaxValueLength, alerts[^1].Data!.Length);
        Assert.Equal(DmDeviceReportLimits.MaxNameLength, alerts[^1].Mark!.Length);
        Assert.Equal(now.AddSeconds(11), alerts[0].ReceivedAt);

        // Last session: replaced by the next.
        await Store.Dm.RecordSessionAsync("dev-r", now, "completed");
        await Store.Dm.RecordSessionAsync("dev-r", now.AddMinutes(5), "session-expired");
        Assert.Equal(new DmSessionRecord(now.AddMinutes(5), "session-expired"), (await Store.Dm.GetDeviceReportAsync("dev-r")).LastSession);

        // A DevId without an account gets nothing stored.
        await Store.Dm.KeepDevInfoAsync("ghost", [("./DevInfo/Man", "x")], now);
        await Store.Dm.AddGenericAlertsAsync("ghost", [Alert(1)]);
        await Store.Dm.RecordSessionAsync("ghost", now, "completed");
        var ghost = await Store.Dm.GetDeviceReportAsync("ghost");
        Assert.Empty(ghost.DevInfo);
        Assert.Empty(ghost.GenericAlerts);
        Assert.Null(ghost.LastSession);
    }

    /// <summary>
    /// Issue 19: a message's two nonces in one write — the server nonce it carries is kept only if its client nonce was replaced
    /// (a replayed message, whose compare-and-swap loses, cannot reset the nonce the server signs with).
    /// </summary>
    [Fact]
    public async Task DmNonces_ServerNonceKeptOnlyWithTheClientNonceSwap_ReplayResetsServerNonceThreat()
    {
        var now = Clock.GetUtcNow();
        Assert.True(await Store.Dm.AddAccountAsync(new DmAccount("dev-19", "srv", "u", "c"u8.ToArray(), "s"u8.ToArray(), "hmac", "hmac", now, ServerNonce: "c2VydmVyLTA=")));
        Assert.True(await Store.Dm.ReplaceClientNonceAsync("dev-19", null, "QQ==", now.AddMinutes(10)));
        Assert.True(await Store.Dm.ReplaceClientNonceAsync("dev-19", "QQ==", "Qg==", now.AddMinutes(10), "c2VydmVyLTE=", null));
        Assert.Equal(("Qg==", "c2VydmVyLTE="), ((await Store.Dm.FindAccountAsync("dev-19"))!.ClientNonce, (await Store.Dm.FindAccountAsync("dev-19"))!.ServerNonce));
        // The replay: the swap loses, and the server nonce stays.
        Assert.False(await Store.Dm.ReplaceClientNonceAsync("dev-19", "QQ==", "Qw==", now.AddMinutes(10), "YXR0YWNrZXI=", null));
        Assert.Equal("c2VydmVyLTE=", (await Store.Dm.FindAccountAsync("dev-19"))!.ServerNonce);
        // None given: the server nonce stays as it was.
        Assert.True(await Store.Dm.ReplaceClientNonceAsync("dev-19", "Qg==", "Qw==", now.AddMinutes(10), null, null));
        Assert.Equal(("Qw==", "c2VydmVyLTE="), ((await Store.Dm.FindAccountAsync("dev-19"))!.ClientNonce, (await Store.Dm.FindAccountAsync("dev-19"))!.ServerNonce));
        // Decision 041: the session's end keeps the last one with the session record, in one write; none given, it stays.
        await Store.Dm.RecordSessionAsync("dev-19", now, DmSessionOutcomes.Completed, "c2VydmVyLTI=", null);
        Assert.Equal("c2VydmVyLTI=", (await Store.Dm.FindAccountAsync("dev-19"))!.ServerNonce);
        Assert.Equal(DmSessionOutcomes.Completed, (await Store.Dm.GetDeviceReportAsync("dev-19")).LastSession!.Outcome);
        await Store.Dm.RecordSessionAsync("dev-19", now, DmSessionOutcomes.AuthFailed, null, null);
        Assert.Equal("c2VydmVyLTI=", (await Store.Dm.FindAccountAsync("dev-19"))!.ServerNonce);
    }

    /// <summary>
    /// Issue 13 items 2 and 4 (schema v9): the pending challenge nonce is replaced by compare-and-swap only (so
    /// instances agree and a used nonce cannot be used again); a job records which commands went out, why it failed,
    /// and its last activity, by which any instance finds running jobs whose session went away.
    /// </summary>
    [Fact]
    public async Task DmPendingNonce_CompareAndSwap_JobsRecordSentReasonAndLastActivity()
    {
        var now = Clock.GetUtcNow();
        Assert.True(await Store.Dm.AddAccountAsync(new DmAccount("dev-9", "srv", "u", "c"u8.ToArray(), "s"u8.ToArray(), "md5", "md5", now)));
        Assert.Null((await Store.Dm.FindAccountAsync("dev-9"))!.ClientNonce);
        Assert.False(await Store.Dm.ReplaceClientNonceAsync("dev-9", "bm9uZQ==", "QQ==", now.AddMinutes(10)));
        Assert.True(await Store.Dm.ReplaceClientNonceAsync("dev-9", null, "QQ==", now.AddMinutes(10)));
        Assert.False(await Store.Dm.ReplaceClientNonceAsync("dev-9", null, "Qg==", now.AddMinutes(10)));
        Assert.True(await Store.Dm.ReplaceClientNonceAsync("dev-9", "QQ==", "Qg==", now.AddMinutes(10)));
        Assert.False(await Store.Dm.ReplaceClientNonceAsync("dev-9", "QQ==", "Qw==", now.AddMinutes(10))); // used: a replay loses
        var account = await Store.Dm.FindAccountAsync("dev-9");
        Assert.Equal("Qg==", account!.ClientNonce);
        Assert.Equal(now.AddMinutes(10), account.ClientNonceExpiresAt);
        Assert.False(await Store.Dm.ReplaceClientNonceAsync("nobody", null, "QQ==", now));

        await Store.Dm.AddJobAsync(new DmJobRecord("job-9", "dev-9", "queued", now, now,
            [new("job-9", 1, "replace", "./A", "1", null, null), new("job-9", 2, "replace", "./B", "2", null, null), new("job-9", 3, "get", "./A", null, null, null)]));
        Assert.True(await Store.Dm.SetJobStateAsync("job-9", "running", ["queued"]));
        Clock.Advance(TimeSpan.FromMinutes(1));
        await Store.Dm.MarkSentAsync("job-9", [1, 2]);
        Assert.True(await Store.Dm.RecordResultAsync("job-9", 1, 200, null));
        Assert.Empty(await Store.Dm.ListIdleJobsAsync("running", Clock.GetUtcNow()));
        Clock.Advance(TimeSpan.FromMinutes(3));
        var idle = Assert.Single(await Store.Dm.ListIdleJobsAsync("running", Clock.GetUtcNow().AddMinutes(-2)));
        Assert.Equal("job-9", idle.Id);
        Assert.True(await Store.Dm.FailJobAsync("job-9", "session-expired", ["running"]));
        Assert.False(await Store.Dm.FailJobAsync("job-9", "other", ["running"]));
        var job = await Store.Dm.FindJobAsync("job-9");
        Assert.Equal(("failed", "session-expired"), (job!.State, job.Reason));
        Assert.Equal(["acknowledged", "unknown", "not-sent"], job.Commands.Select(c => c.Delivery));
        Assert.Null(await Store.Dm.FindJobAsync("job-0"));
        Assert.Empty(await Store.Dm.ListIdleJobsAsync("running", Clock.GetUtcNow()));
    }

    [Fact]
    public async Task Hierarchy_NameTakenOnce_CrlNumbersIncrease()
    {
        var h = new PkiHierarchyRecord("operator", "ec-p256", "http://127.0.0.1:1/", Clock.GetUtcNow());
        Assert.True(await Store.Certificates.AddHierarchyAsync(h));
        Assert.False(await Store.Certificates.AddHierarchyAsync(h with { KeyAlgorithm = "rsa-2048" }));
        Assert.Equal(h, await Store.Certificates.FindHierarchyAsync("operator"));
        Assert.Null(await Store.Certificates.FindHierarchyAsync("sho"));
        var numbers = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => Store.Certificates.NextCrlNumberAsync("operator").AsTask()));
        Assert.Equal(Enumerable.Range(1, 20).Select(i => (long)i), numbers.Order());
        await Assert.ThrowsAsync<StoreException>(() => Store.Certificates.NextCrlNumberAsync("sho").AsTask());
    }

    /// <summary>Issue 15: the CCIF's devices (a PCID and a TRE id once, K/OPc back as given, revocation once).</summary>
    [Fact]
    public async Task CcifDevices_PcidAndTreIdOnce_SecretsRoundTrip_RevokedOnce()
    {
        var k = RandomNumberGenerator.GetBytes(16);
        var opc = RandomNumberGenerator.GetBytes(16);
        var d = new M2MSec.Storage.Ccif.CcifDevice("001990000000001", "TRE-1", "ec-p256", k, opc, "0a", "0b", [1, 2], [3], null, DateTimeOffset.FromUnixTimeMilliseconds(Clock.GetUtcNow().ToUnixTimeMilliseconds()));
        Assert.True(await Store.Ccif.AddDeviceAsync(d));
        Assert.False(await Store.Ccif.AddDeviceAsync(d with { TreId = "TRE-2" }));
        Assert.False(await Store.Ccif.AddDeviceAsync(d with { Pcid = "001990000000002" }));
        var back = await Store.Ccif.FindDeviceAsync("001990000000001");
        Assert.Equal(k, back!.K);
        Assert.Equal(opc, back.Opc);
        Assert.Equal("TRE-1", back.TreId);
        Assert.Equal([1, 2], back.AttestationCertificate);
        Assert.DoesNotContain(Convert.ToHexString(k), back.ToString(), StringComparison.OrdinalIgnoreCase);
        Assert.True(await Store.Ccif.MarkRevokedAsync("001990000000001", "keyCompromise", Clock.GetUtcNow()));
        Assert.False(await Store.Ccif.MarkRevokedAsync("001990000000001", "superseded", Clock.GetUtcNow()));
        Assert.Equal("keyCompromise", (await Store.Ccif.FindDeviceAsync("001990000000001"))!.RevocationReason);
        Assert.Null(await Store.Ccif.FindDeviceAsync("001990000000009"));
    }

    /// <summary>Issue 15: the PVA's references (once per PCID) and validations (settled once: a challenge is single-use).</summary>
    [Fact]
    public async Task PvaReferencesOnce_ValidationsSettleOnce()
    {
        var now = DateTimeOffset.FromUnixTimeMilliseconds(Clock.GetUtcNow().ToUnixTimeMilliseconds());
        var reference = new M2MSec.Storage.Pva.PvaReference("001990000000001", "TRE-1", new Dictionary<string, byte[]> { ["a.img"] = new byte[32] }, "fp", [1], [2], now);
        Assert.True(await Store.Pva.AddReferenceAsync(reference));
        Assert.False(await Store.Pva.AddReferenceAsync(reference with { TreId = "TRE-X" }));
        var found = await Store.Pva.FindReferenceAsync("001990000000001");
        Assert.Equal(("TRE-1", "fp"), (found!.TreId, found.PfcFingerprint));
        Assert.Equal(new byte[32], found.Measurements["a.img"]);
        var v = new M2MSec.Storage.Pva.PvaValidation("val-1", "001990000000001", [1], [2], new byte[16], new byte[32], "cert:sho", now, now.AddMinutes(5),
            M2MSec.Storage.Pva.PvaValidation.Pending);
        await Store.Pva.AddValidationAsync(v);
        await Store.Pva.AddValidationAsync(v with { Id = "val-2", CreatedAt = now.AddSeconds(1) });
        var settles = await Task.WhenAll(Enumerable.Range(0, 8).Select(i => Store.Pva.CompleteValidationAsync("val-1", "valid", null, "verdict" + i, now).AsTask()));
        Assert.Single(settles, won => won);
        Assert.Equal("valid", (await Store.Pva.FindValidationAsync("val-1"))!.State);
        Assert.Equal(["val-1", "val-2"], (await Store.Pva.ListValidationsAsync("001990000000001")).Select(x => x.Id));
        Assert.Equal(["val-2"], (await Store.Pva.ListValidationsAsync("001990000000001", limit: 1)).Select(x => x.Id));
    }

    /// <summary>Issue 15 (H3), schema v13: the ICF's K_RO per RAND is taken once and expires; a PCID's use is recorded once.</summary>
    [Fact]
    public async Task Icf_PendingKRo_TakenOnce_Expires_PcidUseOnce()
    {
        var rand = new byte[16];
        rand[0] = 7;
        var kRo = Enumerable.Range(0, 32).Select(i => (byte)i).ToArray();
        await Store.Icf.AddPendingKeyAsync("001900000000001", rand, kRo, Clock.GetUtcNow().AddMinutes(5));
        Assert.Equal(kRo, await Store.Icf.TakePendingKeyAsync("001900000000001", rand));
        Assert.Null(await Store.Icf.TakePendingKeyAsync("001900000000001", rand));
        await Store.Icf.AddPendingKeyAsync("001900000000001", rand, kRo, Clock.GetUtcNow().AddMinutes(5));
        Clock.Advance(TimeSpan.FromMinutes(6));
        Assert.Null(await Store.Icf.TakePendingKeyAsync("001900000000001", rand));
        var use = new M2MSec.Storage.Icf.IcfPcidUse("001900000000001", "bootstrapped", "10.45.1.1", Clock.GetUtcNow());
        Assert.True(await Store.Icf.TryRecordUseAsync(use));
        Assert.False(await Store.Icf.TryRecordUseAsync(use));
        Assert.True(await Store.Icf.ClearUseAsync("001900000000001"));
        Assert.False(await Store.Icf.ClearUseAsync("001900000000001"));
    }

    /// <summary>Issue 15 (H3), schema v13: the DRF's assignment upsert, bootstrap request taken once, registration compare-and-swap.</summary>
    [Fact]
    public async Task Drf_Assignments_BootstrapRequests_Registrations()
    {
        await Store.Drf.SetAssignmentAsync("001900000000001", "a");
        await Store.Drf.SetAssignmentAsync("001900000000001", "b");
        Assert.Equal("b", await Store.Drf.FindAssignmentAsync("001900000000001"));
        var kRo = Enumerable.Range(0, 32).Select(i => (byte)(i + 1)).ToArray();
        await Store.Drf.PutBootstrapRequestAsync(new M2MSec.Storage.Drf.DrfBootstrapRequest("001900000000001", "10.45.1.1", kRo, Clock.GetUtcNow().AddMinutes(10)));
        Assert.Equal(kRo, (await Store.Drf.TakeBootstrapRequestAsync("001900000000001"))!.KRo);
        Assert.Null(await Store.Drf.TakeBootstrapRequestAsync("001900000000001"));
        await Store.Drf.PutRegistrationAsync(new M2MSec.Storage.Drf.DrfRegistration("001900000000001", "b", "https://127.0.0.1:1/dm", "TRE-1", "bootstrapped",
            Clock.GetUtcNow()));
        Assert.True(await Store.Drf.TryMoveRegistrationAsync("001900000000001", "bootstrapped", "registered"));
        Assert.False(await Store.Drf.TryMoveRegistrationAsync("001900000000001", "bootstrapped", "registered"));
        Assert.Equal("registered", (await Store.Drf.FindRegistrationAsync("001900000000001"))!.State);
    }
}

public sealed class InMemoryStateStoreContractTests : StateStoreContract
{
    protected override bool Transactional => false;

    protected override Task<IStateStore> OpenAsync(TimeProvider time) => Task.FromResult<IStateStore>(new M2MSec.Storage.InMemory.InMemoryStateStore(time));
}

public sealed class SqliteStateStoreContractTests : StateStoreContract
{
    private readonly string _dir = Directory.CreateTempSubdirectory("m2msec-sqlite-").FullName;

    protected override async Task<IStateStore> OpenAsync(TimeProvider time) =>
        await M2MSec.Storage.Sqlite.SqliteStateStore.OpenAsync(_dir, M2MSec.Storage.Security.KeyRing.CreateEphemeral(), time);

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        Directory.Delete(_dir, true);
    }
}

[Support.LongRunning(27)]
public sealed class PostgresStateStoreContractTests(Support.PostgresServer server) : StateStoreContract
{
    protected override async Task<IStateStore> OpenAsync(TimeProvider time) =>
        await M2MSec.Storage.PostgreSql.PostgresStateStore.OpenAsync(await server.CreateDatabaseAsync(), M2MSec.Storage.Security.KeyRing.CreateEphemeral(), time);
}
