using System.Text;
using M2MSec.Device.Dm;
using M2MSec.Device.M2me;
using M2MSec.Device.Tre;
using M2MSec.Dm.Auth;
using M2MSec.Dm.Notification;
using M2MSec.Dm.SyncMl;
using M2MSec.Dm.Tree;
using M2MSec.Nas;
using M2MSec.NetworkFunctions.Dm;
using M2MSec.Storage.Dm;
using M2MSec.Storage.InMemory;

namespace M2MSec.Tests.Dm.Client;

/// <summary>
/// Device and server session engine in one process, every message through the XML codec and the auth-MAC
/// header as on the wire: multi-message packages under a small MaxMsgSize, large objects, auth-MAC in both
/// directions, notification-initiated sessions (package 0 over WAP push over SMS).
/// </summary>
public sealed class DmSessionInProcessTests : IDisposable
{
    private const string ServerId = "m2msec-dm";
    private static readonly Uri ServerUri = new("https://dm.example/dm");
    private readonly string _dir = Directory.CreateTempSubdirectory("m2msec-dmsess-").FullName;
    private readonly InMemoryDmStore _store = new(TimeProvider.System);
    private readonly DmSessionEngine _engine;
    private readonly M2meDevice _device;

    public DmSessionInProcessTests()
    {
        _engine = new DmSessionEngine(_store, ServerUri.ToString(), TimeProvider.System);
        _device = M2meDevice.Create(Path.Combine(_dir, "dev"), Path.Combine(_dir, "fuse"), "001010000000009", M2meKind.Tre);
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private async Task<DmClient> ClientAsync(string clientAuth = "md5", string serverAuth = "md5", long maxMsgSize = 64 * 1024)
    {
        Assert.True(await _store.AddAccountAsync(new DmAccount(_device.Info.TreId, ServerId, "dev", "client-secret"u8.ToArray(), "server-secret"u8.ToArray(),
            clientAuth, serverAuth, DateTimeOffset.UtcNow)));
        var account = new DmClientAccount(ServerId, ServerUri, "dev", "client-secret"u8.ToArray(), "server-secret"u8.ToArray(),
            Enum.Parse<DmAuthScheme>(clientAuth, true), Enum.Parse<DmAuthScheme>(serverAuth, true));
        return new DmClient(_device, account, maxMsgSize);
    }

    private async Task<string> QueueAsync(params (string Verb, string Uri, string? Value)[] commands)
    {
        var id = Guid.NewGuid().ToString("N");
        await _store.AddJobAsync(new DmJobRecord(id, _device.Info.TreId, "queued", DateTimeOffset.UtcNow, DateTimeOffset.UtcNow,
            [.. DmJobReadBack.WithReadBack(commands).Select((c, i) => new DmCommandRecord(id, i + 1, c.Verb, c.Uri, c.Value, null, null))]));
        return id;
    }

    private async Task<DmJobRecord> JobAsync(string id) => (await _store.ListJobsAsync(_device.Info.TreId)).Single(j => j.Id == id);

    /// <summary>The exchange, recording both directions as parsed messages and raw wire messages.</summary>
    private Func<SyncMlWireMessage, CancellationToken, Task<SyncMlWireMessage>> Recording(List<(SyncMlWireMessage Up, SyncMlWireMessage Down)> log) => async (up, ct) =>
    {
        var down = await _engine.ExchangeXmlAsync(up, ct);
        log.Add((up, down));
        return down;
    };

    private static readonly (string Leaf, string Value)[] Nas =
    [
        ("NAS_SignallingPriority", "1"), ("AttachWithIMSI", "1"), ("MinimumPeriodicSearchTimer", "60"), ("ExtendedAccessBarring", "1"),
        ("Timer_T3245_Behaviour", "1"), ("Override_NAS_SignallingLowPriority", "1"), ("Override_ExtendedAccessBarring", "1"),
    ];

    [Fact]
    public async Task SmallMaxMsgSize_PackageSplitOverMessages_AllAppliedAndVerified()
    {
        var client = await ClientAsync(maxMsgSize: 1500);
        var job = await QueueAsync([.. Nas.Select(n => ("replace", $"./NASConfig/{n.Leaf}", (string?)n.Value))]);
        var log = new List<(SyncMlWireMessage Up, SyncMlWireMessage Down)>();
        var outcome = await client.RunSessionAsync(Recording(log), TestContext.Current.CancellationToken);

        Assert.True(outcome.Completed, outcome.Detail);
        Assert.Equal(14, outcome.CommandsExecuted);
        var down = log.Select(l => SyncMlXml.Parse(l.Down.Body)).ToList();
        Assert.All(log, l => Assert.True(l.Down.Body.Length <= 1500, $"{l.Down.Body.Length} octets"));
        Assert.Contains(down, m => !m.Final && m.Commands.Any(c => c is ReplaceCommand or GetCommand)); // the package continued
        Assert.Contains(log.Select(l => SyncMlXml.Parse(l.Up.Body)), m => m.Commands.OfType<AlertCommand>().Any(a => a.Code == 1222));
        var record = await JobAsync(job);
        Assert.Equal("done", record.State);
        Assert.All(record.Commands.Where(c => c.Verb == "replace"), c => Assert.True(DmJobReadBack.Verified(record, c)));
        Assert.Equal(1, _device.ReadNasConfiguration(TreCaller.DeviceManagement).Values.Single(v => v.Parameter == NasParameters.NasSignallingPriority).Value);
    }

    [Fact]
    public async Task LargeValue_GoesAsALargeObject_InChunks_ReadBackEqual()
    {
        var tree = DeviceDmTree.Load(_device, ServerId);
        tree.AddInteriorLocal("./Ext", DmAcl.Parse($"Get={ServerId}&Replace={ServerId}"));
        tree.AddLeafLocal("./Ext/Blob", DmFormat.Chr, []);
        DeviceDmTree.Save(_device, tree);
        var client = await ClientAsync(maxMsgSize: 2048);
        var value = string.Concat(Enumerable.Range(0, 900).Select(i => $"{i:D4}<&>"));  // 6300 characters, XML-escaped on the wire
        var job = await QueueAsync(("replace", "./Ext/Blob", value));
        var log = new List<(SyncMlWireMessage Up, SyncMlWireMessage Down)>();
        var outcome = await client.RunSessionAsync(Recording(log), TestContext.Current.CancellationToken);

        Assert.True(outcome.Completed, outcome.Detail);
        var chunks = log.Select(l => SyncMlXml.Parse(l.Down.Body)).SelectMany(m => m.Commands.OfType<ReplaceCommand>()).ToList();
        Assert.True(chunks.Count >= 4, $"{chunks.Count} chunks");
        Assert.All(chunks[..^1], c => Assert.True(c.Items[0].MoreData));
        Assert.False(chunks[^1].Items[0].MoreData);
        Assert.Equal(Encoding.UTF8.GetByteCount(value), chunks[0].Items[0].Meta!.Size);
        Assert.All(log, l => Assert.True(l.Down.Body.Length <= 2048));
        Assert.Equal(chunks.Count - 1, log.SelectMany(l => SyncMlXml.Parse(l.Up.Body).Commands.OfType<StatusCommand>()).Count(s => s.Code == 213));
        var record = await JobAsync(job);
        Assert.Equal("done", record.State);
        Assert.Equal(value, record.Commands.Single(c => c.Verb == "get").Results);
    }

    [Fact]
    public async Task LargeResults_FromTheDevice_GoInChunks_WithinTheServersMaxMsgSize()
    {
        var engine = new DmSessionEngine(_store, ServerUri.ToString(), TimeProvider.System, maxMsgSize: 4096);
        var value = string.Concat(Enumerable.Range(0, 2500).Select(i => $"{i:D4}<&>ü")); // 20,000 characters, 22,500 octets
        var tree = DeviceDmTree.Load(_device, ServerId);
        tree.AddInteriorLocal("./Ext", DmAcl.Parse($"Get={ServerId}&Replace={ServerId}"));
        tree.AddLeafLocal("./Ext/Blob", DmFormat.Chr, Encoding.UTF8.GetBytes(value));
        DeviceDmTree.Save(_device, tree);
        var client = await ClientAsync();
        var job = await QueueAsync(("get", "./Ext/Blob", null), ("replace", "./NASConfig/NAS_SignallingPriority", "1"), ("get", "./DevInfo/Man", null));
        var log = new List<(SyncMlWireMessage Up, SyncMlWireMessage Down)>();
        var outcome = await client.RunSessionAsync(async (up, ct) =>
        {
            var down = await engine.ExchangeXmlAsync(up, ct);
            log.Add((up, down));
            return down;
        }, TestContext.Current.CancellationToken);

        Assert.True(outcome.Completed, outcome.Detail);
        Assert.All(log, l => Assert.True(l.Up.Body.Length <= 4096, $"{l.Up.Body.Length} octets"));
        var up = log.Select(l => SyncMlXml.Parse(l.Up.Body)).ToList();
        var chunks = up.SelectMany(m => m.Commands.OfType<ResultsCommand>()).Where(r => r.Items[0].Source!.LocUri == "./Ext/Blob").ToList();
        Assert.True(chunks.Count >= 6, $"{chunks.Count} chunks");
        Assert.All(chunks[..^1], c => Assert.True(c.Items[0].MoreData));
        Assert.Equal(Encoding.UTF8.GetByteCount(value), chunks[0].Items[0].Meta!.Size);
        Assert.Null(chunks[1].Items[0].Meta?.Size);
        Assert.Equal(chunks.Count - 1, log.SelectMany(l => SyncMlXml.Parse(l.Down.Body).Commands.OfType<StatusCommand>()).Count(s => s.Code == 213));
        var record = await JobAsync(job);
        Assert.Equal("done", record.State);
        Assert.Equal(value, record.Commands[0].Results);
        Assert.Equal("M2MSec", record.Commands[2].Results);
        Assert.Equal(200, record.Commands[1].Status);
    }

    [Fact]
    public async Task AuthMac_BothWays_HeadersNotCred_AndATamperedServerMessageIsRefused()
    {
        var client = await ClientAsync("hmac", "hmac");
        var job = await QueueAsync(("replace", "./NASConfig/NAS_SignallingPriority", "1"));
        var log = new List<(SyncMlWireMessage Up, SyncMlWireMessage Down)>();
        var outcome = await client.RunSessionAsync(Recording(log), TestContext.Current.CancellationToken);
        Assert.True(outcome.Completed, outcome.Detail);
        Assert.Equal("done", (await JobAsync(job)).State);
        Assert.All(log, l => Assert.StartsWith("algorithm=MD5, username=\"dev\", mac=", l.Up.Hmac, StringComparison.Ordinal));
        // The first answer challenges (the device's first MAC is over no nonce yet) and, to a peer that has not
        // authenticated, carries no server MAC (issue 13 item 6); every later one does.
        Assert.Null(log[0].Down.Hmac);
        Assert.All(log.Skip(1), l => Assert.StartsWith($"algorithm=MD5, username=\"{ServerId}\", mac=", l.Down.Hmac, StringComparison.Ordinal));
        Assert.All(log, l => Assert.Null(SyncMlXml.Parse(l.Up.Body).Header.Cred));
        Assert.All(log, l => Assert.Null(SyncMlXml.Parse(l.Down.Body).Header.Cred));

        // A man in the middle changes a value in the server's message and keeps its header: refused, nothing applied.
        await QueueAsync(("replace", "./NASConfig/NAS_SignallingPriority", "0"));
        _device.WriteNasConfiguration(TreCaller.DeviceManagement, NasConfiguration.Empty);
        var tampered = await client.RunSessionAsync(async (up, ct) =>
        {
            var down = await _engine.ExchangeXmlAsync(up, ct);
            var text = Encoding.UTF8.GetString(down.Body).Replace("<Data>0</Data>", "<Data>1</Data>", StringComparison.Ordinal);
            return down with { Body = Encoding.UTF8.GetBytes(text) };
        }, TestContext.Current.CancellationToken);
        Assert.False(tampered.Completed);
        Assert.Contains("did not authenticate", tampered.Detail, StringComparison.Ordinal);
        Assert.Empty(_device.ReadNasConfiguration(TreCaller.DeviceManagement).Values);

        // No header at all: refused too.
        var stripped = await client.RunSessionAsync(async (up, ct) => (await _engine.ExchangeXmlAsync(up, ct)) with { Hmac = null }, TestContext.Current.CancellationToken);
        Assert.False(stripped.Completed);
    }

    [Fact]
    public async Task ClientMacWrong_IsChallengedThenRefused()
    {
        await ClientAsync("hmac", "md5");
        var wrong = new DmClient(_device, new DmClientAccount(ServerId, ServerUri, "dev", "not-the-secret"u8.ToArray(), "server-secret"u8.ToArray(), DmAuthScheme.Hmac));
        var outcome = await wrong.RunSessionAsync(_engine.ExchangeXmlAsync, TestContext.Current.CancellationToken);
        Assert.False(outcome.Completed);
        Assert.Contains("refused our credentials (401)", outcome.Detail, StringComparison.Ordinal);
    }

    private async Task<IReadOnlyList<byte[]>> NotificationSmsAsync() =>
        (await DmNotifications.CreateAsync(_store, _device.Info.TreId, DmUiMode.Background, "4930000000", TimeProvider.System, TestContext.Current.CancellationToken))!.Tpdus;

    [Fact]
    public async Task Notification_OverSms_StartsAServerInitiatedSession_WithItsSessionId()
    {
        var client = await ClientAsync();
        var job = await QueueAsync(("replace", "./NASConfig/NAS_SignallingPriority", "1"));
        var package0 = DmPushReceiver.Package0(await NotificationSmsAsync(), out var why);
        Assert.True(package0 is not null, why);
        Assert.True(DmNotificationCodec.TryDecode(package0, out var notification, out _));
        var log = new List<(SyncMlWireMessage Up, SyncMlWireMessage Down)>();
        var outcome = await client.RunNotifiedSessionAsync(package0, Recording(log), TestContext.Current.CancellationToken);

        Assert.True(outcome.Completed, outcome.Detail);
        var package1 = SyncMlXml.Parse(log[0].Up.Body);
        Assert.Equal(1200, package1.Commands.OfType<AlertCommand>().Single().Code);
        Assert.Equal(notification.SyncMlSessionId, package1.Header.SessionId);
        Assert.Equal("done", (await JobAsync(job)).State);
    }

    [Fact]
    public async Task Notification_ForgedOrReplayed_StartsNothing()
    {
        var client = await ClientAsync();
        var old = DmPushReceiver.Package0(await NotificationSmsAsync(), out _)!;
        Task<SyncMlWireMessage> NoServer(SyncMlWireMessage m, CancellationToken ct) => throw new InvalidOperationException("no session may start");

        // Someone without the server password.
        var forged = DmNotificationCodec.Encode(new DmNotification(ServerId, 42), new DmCredentials(ServerId, "guessed"u8.ToArray()), DmNonce.Empty);
        Assert.Contains("BadDigest", (await client.RunNotifiedSessionAsync(forged, NoServer, TestContext.Current.CancellationToken)).Detail, StringComparison.Ordinal);
        // Another server's notification.
        var other = DmNotificationCodec.Encode(new DmNotification("other-server", 42), new DmCredentials("other-server", "server-secret"u8.ToArray()), DmNonce.Empty);
        Assert.Contains("not this account's", (await client.RunNotifiedSessionAsync(other, NoServer, TestContext.Current.CancellationToken)).Detail, StringComparison.Ordinal);
        // Garbage.
        Assert.Contains("Truncated", (await client.RunNotifiedSessionAsync(new byte[10], NoServer, TestContext.Current.CancellationToken)).Detail, StringComparison.Ordinal);

        // Acted on once; the same package 0 again is refused.
        Assert.True((await client.RunNotifiedSessionAsync(old, _engine.ExchangeXmlAsync, TestContext.Current.CancellationToken)).Completed);
        Assert.Contains("replayed", (await client.RunNotifiedSessionAsync(old, NoServer, TestContext.Current.CancellationToken)).Detail, StringComparison.Ordinal);

        // After a session with commands the device has given the server a new nonce: a notification recorded before
        // no longer verifies; a fresh one (keyed by the nonce the server now holds, persisted in its store) does.
        var recorded = DmPushReceiver.Package0(await NotificationSmsAsync(), out _)!;
        await QueueAsync(("replace", "./NASConfig/NAS_SignallingPriority", "1"));
        Assert.True((await client.RunSessionAsync(_engine.ExchangeXmlAsync, TestContext.Current.CancellationToken)).Completed);
        Assert.Contains("BadDigest", (await client.RunNotifiedSessionAsync(recorded, NoServer, TestContext.Current.CancellationToken)).Detail, StringComparison.Ordinal);
        var fresh = DmPushReceiver.Package0(await NotificationSmsAsync(), out _)!;
        Assert.True((await client.RunNotifiedSessionAsync(fresh, _engine.ExchangeXmlAsync, TestContext.Current.CancellationToken)).Completed);
    }

    [Fact]
    public async Task ReadBackThatDiffers_FailsTheJob()
    {
        await ClientAsync();
        var id = Guid.NewGuid().ToString("N");
        var now = DateTimeOffset.UtcNow;
        var job = new DmJobRecord(id, "d", "running", now, now,
        [
            new(id, 1, "replace", "./A", "1", 200, null), new(id, 2, "get", "./A", null, 200, "2"),
            new(id, 3, "replace", "./B", "x", 200, null), new(id, 4, "get", "./B", null, 200, "x"),
            new(id, 5, "replace", "./C", "y", 200, null),
        ]);
        Assert.False(DmJobReadBack.Verified(job, job.Commands[0]));
        Assert.True(DmJobReadBack.Verified(job, job.Commands[2]));
        Assert.Null(DmJobReadBack.Verified(job, job.Commands[4])); // nothing reads it back
        Assert.Null(DmJobReadBack.Verified(job, job.Commands[1])); // a Get is not a write
        Assert.Equal("failed", DmJobReadBack.FinalState(job));
        Assert.Equal("done", DmJobReadBack.FinalState(job with { Commands = [.. job.Commands.Skip(2)] }));
        Assert.Equal("failed", DmJobReadBack.FinalState(job with { Commands = [job.Commands[2], job.Commands[3] with { Status = null }] })); // unanswered
    }

    [Fact]
    public async Task AReportedReplace_IsDurableBeforeItsStatusLeaves_DeviceKilledAfterReportingThreat()
    {
        var client = await ClientAsync();
        await QueueAsync([.. Nas.Select(n => ("replace", $"./NASConfig/{n.Leaf}", (string?)n.Value))]);
        var sentStatus = false;
        await Assert.ThrowsAsync<IOException>(() => client.RunSessionAsync(async (up, ct) =>
        {
            if (SyncMlXml.Parse(up.Body).Commands.OfType<StatusCommand>().Any(s => s.Cmd == "Replace" && s.Code == 200))
            {
                sentStatus = true;
                throw new IOException("the device dies once its 200 for the Replace commands is on the wire");
            }
            return await _engine.ExchangeXmlAsync(up, ct);
        }, TestContext.Current.CancellationToken));
        Assert.True(sentStatus);

        // What the device reported applied is in its sealed store: a restarted device reads it back.
        var restarted = M2meDevice.Open(Path.Combine(_dir, "dev"), Path.Combine(_dir, "fuse"));
        Assert.Equal(1, restarted.ReadNasConfiguration(TreCaller.DeviceManagement).Values.Single(v => v.Parameter == NasParameters.NasSignallingPriority).Value);
        Assert.Equal("1", Encoding.UTF8.GetString(DeviceDmTree.Load(restarted, ServerId).Find("./NASConfig/AttachWithIMSI")!.Value.Span));
    }

    [Fact]
    public async Task ASessionThatChangesTheTree_CommitsTheTreeTheNasConfigurationAndTheNoncesTogether_OneCommit()
    {
        var client = await ClientAsync();
        await QueueAsync([.. Nas.Select(n => ("replace", $"./NASConfig/{n.Leaf}", (string?)n.Value))]);
        var before = _device.Tre.SealedVersion;
        var outcome = await client.RunSessionAsync((up, ct) => _engine.ExchangeXmlAsync(up, ct), TestContext.Current.CancellationToken);

        Assert.True(outcome.Completed, outcome.Detail);
        // One commit after the round whose commands ran (tree, NAS configuration, nonces); the session's end stores the nonces again,
        // which the TRE already holds: no new version.
        Assert.Equal(1UL, _device.Tre.SealedVersion - before);
        var again = await client.RunSessionAsync((up, ct) => _engine.ExchangeXmlAsync(up, ct), TestContext.Current.CancellationToken);
        Assert.True(again.Completed, again.Detail);
        Assert.Equal(2UL, _device.Tre.SealedVersion - before); // nothing queued: the new nonces only
    }

    /// <summary>
    /// Issue 19: the server records the statuses and Results of one device message in one store call (one commit), not one per command —
    /// and records every one of them: 7 Replaces and their 7 read-back Gets, over one or several messages.
    /// </summary>
    [Theory]
    [InlineData(64 * 1024)]
    [InlineData(1500)]
    public async Task AMessagesStatuses_RecordedTogether_OneStoreWritePerMessage(long maxMsgSize)
    {
        var client = await ClientAsync(maxMsgSize: maxMsgSize);
        var (job, counting, log, outcome) = await NasJobCountedAsync(client);

        Assert.True(outcome.Completed, outcome.Detail);
        var record = await JobAsync(job);
        Assert.Equal("done", record.State);
        Assert.Equal(14, record.Commands.Count);
        Assert.All(record.Commands, c => Assert.Equal(200, c.Status));
        // At most one call per device message (none for the challenged first contact), together every status.
        Assert.InRange(counting.ResultWrites.Count, 1, log.Count);
        Assert.Equal(14, counting.ResultWrites.Sum());
        Assert.Contains(counting.ResultWrites, n => n > 1);
    }

    /// <summary>
    /// Issue 19 (decision 041): every device message gives the server its next nonce; none is written on its own — in an auth-MAC session
    /// it goes with the client nonce's swap, otherwise with the session's end — and what is kept is the nonce of the device's last message.
    /// </summary>
    [Theory]
    [InlineData("hmac")]
    [InlineData("md5")]
    public async Task ServerNonces_NoWriteOfTheirOwn_TheLastOneKept(string auth)
    {
        var client = await ClientAsync(auth, auth, maxMsgSize: 1500);
        var (job, counting, log, outcome) = await NasJobCountedAsync(client);

        Assert.True(outcome.Completed, outcome.Detail);
        Assert.Equal("done", (await JobAsync(job)).State);
        Assert.True(log.Count > 2, $"{log.Count} messages");
        Assert.Equal(0, counting.ServerNonceWrites);
        var given = log.Select(m => SyncMlXml.Parse(m.Body).Commands.OfType<StatusCommand>().LastOrDefault(c => c.CmdRef == "0")?.Chal?.Meta?.NextNonce)
            .OfType<string>().ToList();
        Assert.NotEmpty(given);
        Assert.Equal(given[^1], (await _store.FindAccountAsync(_device.Info.TreId, TestContext.Current.CancellationToken))!.ServerNonce);
    }

    /// <summary>The NAS job through a server engine whose store calls are counted; the device's messages recorded.</summary>
    private async Task<(string Job, Server.CountingDmStore Counting, List<SyncMlWireMessage> Log, DmSessionOutcome Outcome)> NasJobCountedAsync(DmClient client)
    {
        var job = await QueueAsync([.. Nas.Select(n => ("replace", $"./NASConfig/{n.Leaf}", (string?)n.Value))]);
        var counting = new Server.CountingDmStore(_store);
        var engine = new DmSessionEngine(counting, ServerUri.ToString(), TimeProvider.System);
        var log = new List<SyncMlWireMessage>();
        var outcome = await client.RunSessionAsync(async (up, ct) =>
        {
            log.Add(up);
            return await engine.ExchangeXmlAsync(up, ct);
        }, TestContext.Current.CancellationToken);
        return (job, counting, log, outcome);
    }
}
