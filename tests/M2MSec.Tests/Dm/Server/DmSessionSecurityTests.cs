using System.Diagnostics;
using System.Globalization;
using M2MSec.Dm;
using M2MSec.Dm.Auth;
using M2MSec.Dm.SyncMl;
using M2MSec.NetworkFunctions.Dm;
using M2MSec.Storage.Dm;
using M2MSec.Storage.InMemory;
using M2MSec.Tests.Support;
using Microsoft.Extensions.Logging;

namespace M2MSec.Tests.Dm.Server;

/// <summary>
/// Session security of the DM server (issue 13 items 1–8 and 12), attacked as the hostile tester did: forged Status
/// and Results without the session's token, messages into abandoned or idle sessions, random and over-long DevIds,
/// challenge replacement, enumeration, credential leaks, brute force.
/// </summary>
public sealed class DmSessionSecurityTests
{
    private const string Https = "https://dm.example/dm";
    private const string Http = "http://dm.example/dm";
    private const string Dev = "IMEI:490154203237518";
    private const string Attacker = "203.0.113.66";
    private const string DeviceAddress = "198.51.100.7";
    private static readonly byte[] ClientPassword = "client-secret"u8.ToArray();
    private static readonly byte[] ServerPassword = "server-secret"u8.ToArray();
    private readonly HostClock _clock = new(DateTimeOffset.UtcNow);
    private readonly InMemoryDmStore _store;
    private readonly InMemoryAuditLog _audit;

    public DmSessionSecurityTests()
    {
        _audit = new InMemoryAuditLog(_clock);
        _store = new InMemoryDmStore(_clock, _audit); // the engine's log is the store's (decision 036)
    }

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private DmSessionEngine Engine(string uri = Https, DmSessionOptions? options = null, IDmStore? store = null, ILogger? logger = null) =>
        new(store ?? _store, uri, _clock, options, _audit, logger);

    private async Task AccountAsync(string clientAuth, string serverAuth = "md5", string devId = Dev) =>
        Assert.True(await _store.AddAccountAsync(new DmAccount(devId, "m2msec-dm", "dev", ClientPassword, ServerPassword, clientAuth, serverAuth, _clock.GetUtcNow())));

    private Task<string> JobAsync(params (string Verb, string Uri, string? Value)[] commands) => JobForAsync(Dev, commands);

    private async Task<string> JobForAsync(string devId, params (string Verb, string Uri, string? Value)[] commands)
    {
        var id = "job-" + Guid.NewGuid().ToString("N")[..8];
        await _store.AddJobAsync(new DmJobRecord(id, devId, "queued", _clock.GetUtcNow(), _clock.GetUtcNow(),
            [.. commands.Select((c, i) => new DmCommandRecord(id, i + 1, c.Verb, c.Uri, c.Value, null, null))]));
        return id;
    }

    private async Task<DmJobRecord> Job(string id) => (await _store.FindJobAsync(id, Ct))!;

    private static SyncMlMessage Package1(string target, SyncMlCred? cred = null, string sessionId = "1A", string msgId = "1", string devId = Dev, long? maxMsgSize = null) => new()
    {
        Header = new SyncHeader
        {
            SessionId = sessionId,
            MsgId = msgId,
            Target = new(target),
            Source = new(devId),
            Cred = cred,
            Meta = maxMsgSize is null ? null : new SyncMlMeta { MaxMsgSize = maxMsgSize },
        },
        Commands = [new AlertCommand { CmdId = "1", Data = "1201" }],
        Final = true,
    };

    private static SyncMlCred Md5(DmNonce nonce, byte[]? password = null) => new()
    {
        Meta = new SyncMlMeta { Type = DmAuthSchemeNames.Md5, Format = "b64" },
        Data = AuthMd5.Compute(new DmCredentials("dev", password ?? ClientPassword), nonce),
    };

    private static SyncMlCred Basic(byte[]? password = null) => new()
    {
        Meta = new SyncMlMeta { Type = DmAuthSchemeNames.Basic, Format = "b64" },
        Data = AuthBasic.Compute(new DmCredentials("dev", password ?? ClientPassword)),
    };

    /// <summary>The device's answer to <paramref name="reply"/>: Status for each command (Results for a Get), at <paramref name="target"/>.</summary>
    private static SyncMlMessage Answer(SyncMlMessage reply, string target, string msgId, int code = 200, string results = "1", string sessionId = "1A",
        SyncMlChal? hdrChal = null, int hdrCode = 212, bool alert1222 = false)
    {
        var commands = new List<SyncMlCommand>
        {
            new StatusCommand { CmdId = "1", MsgRef = reply.Header.MsgId, CmdRef = "0", Cmd = "SyncHdr", Chal = hdrChal, Data = hdrCode.ToString(CultureInfo.InvariantCulture) },
        };
        foreach (var c in reply.Commands.OfType<ItemCommand>())
        {
            commands.Add(new StatusCommand { CmdId = "0", MsgRef = reply.Header.MsgId, CmdRef = c.CmdId, Cmd = c.ElementName, Data = code.ToString(CultureInfo.InvariantCulture) });
            if (c is GetCommand && code == 200)
                commands.Add(new ResultsCommand { CmdId = "0", MsgRef = reply.Header.MsgId, CmdRef = c.CmdId, Items = [new SyncMlItem { Source = c.Items[0].Target, Data = results }] });
        }
        if (alert1222)
            commands.Add(new AlertCommand { CmdId = "0", Data = "1222" });
        return new SyncMlMessage
        {
            Header = new SyncHeader { SessionId = sessionId, MsgId = msgId, Target = new(target), Source = new(Dev) },
            Commands = [.. commands.Select((c, i) => c with { CmdId = (i + 1).ToString(CultureInfo.InvariantCulture) })],
            Final = !alert1222,
        };
    }

    private static async Task<(SyncMlMessage Reply, SyncMlWireMessage Wire)> SendAsync(DmSessionEngine engine, SyncMlMessage message, string? at = null,
        DmNonce? macNonce = null, string source = DeviceAddress, byte[]? macPassword = null)
    {
        var body = SyncMlXml.Write(message);
        var hmac = macNonce is null ? null : AuthMac.CreateHeader(new DmCredentials("dev", macPassword ?? ClientPassword), macNonce, body).Format();
        var wire = await engine.ExchangeAsync(new SyncMlWireMessage(body, hmac), wbxml: false, Ct, at ?? message.Header.Target.LocUri, source);
        return (SyncMlXml.Parse(wire!.Body), wire);
    }

    private static StatusCommand Hdr(SyncMlMessage m) => m.Commands.OfType<StatusCommand>().First(s => s.CmdRef == "0");

    private static DmNonce ChalNonce(SyncMlMessage m) => DmNonce.TryFromWire(Hdr(m).Chal!.Meta!.NextNonce, out var n) ? n : throw new InvalidOperationException("no Chal");

    /// <summary>The genuine device's authentication: challenged, then md5 (or auth-MAC) over the pending nonce. Returns the 212 answer.</summary>
    private static async Task<(SyncMlMessage Reply, DmNonce? MacNonce)> AuthenticateAsync(DmSessionEngine engine, string clientAuth, string uri = Https, string sessionId = "1A",
        long? maxMsgSize = null, string source = DeviceAddress)
    {
        var (challenge, _) = await SendAsync(engine, Package1(uri, sessionId: sessionId, maxMsgSize: maxMsgSize), source: source, macNonce: clientAuth == "hmac" ? DmNonce.Empty : null);
        Assert.Contains(Hdr(challenge).Code, new int?[] { DmStatusCode.MissingCredentials, DmStatusCode.InvalidCredentials });
        var nonce = ChalNonce(challenge);
        var message = Package1(uri, clientAuth switch { "md5" => Md5(nonce), "basic" => Basic(), _ => null }, sessionId, "2", maxMsgSize: maxMsgSize);
        var (reply, _) = await SendAsync(engine, message, source: source, macNonce: clientAuth == "hmac" ? nonce : null);
        Assert.Equal(DmStatusCode.AuthenticationAccepted, Hdr(reply).Code);
        return (reply, clientAuth == "hmac" ? ChalNonce(reply) : null);
    }

    /// <summary>Issue 13 item 1: the forged package 3 of the hostile test, for md5 and hmac accounts.</summary>
    [Theory]
    [InlineData("md5")]
    [InlineData("hmac")]
    public async Task ForgedStatusAndResults_WithoutTheSessionToken_DoNotCompleteTheJob_ForgedStatusThreat(string auth)
    {
        await AccountAsync(auth);
        var job = await JobAsync(("replace", "./NASConfig/NAS_SignallingPriority", "1"), ("get", "./NASConfig/NAS_SignallingPriority", null));
        var engine = Engine();
        var (reply, macNonce) = await AuthenticateAsync(engine, auth);
        var respUri = reply.Header.RespUri!;
        Assert.Equal(2, reply.Commands.OfType<ItemCommand>().Count());
        // The RespURI: same scheme, host, port and path, the instance, and a token of 256 bits.
        Assert.StartsWith(Https + "?session=", respUri, StringComparison.Ordinal);
        var token = respUri[(respUri.LastIndexOf('.') + 1)..];
        Assert.True(token.Length >= 43, token);

        // The attacker's Status 200 + Results "1" at the base URI (same DevId and SessionID), at a guessed RespURI, and
        // (hmac) at the real RespURI without a valid MAC: refused, nothing recorded.
        var forged = Answer(reply, Https, "3");
        Assert.NotEqual(DmStatusCode.Ok, Hdr((await SendAsync(engine, forged, Https, source: Attacker)).Reply).Code);
        var guessed = respUri[..^4] + (respUri.EndsWith("AAAA", StringComparison.Ordinal) ? "BBBB" : "AAAA");
        Assert.Equal(DmStatusCode.InvalidCredentials, Hdr((await SendAsync(engine, Answer(reply, guessed, "3"), guessed, source: Attacker)).Reply).Code);
        if (auth == "hmac")
        {
            Assert.Equal(DmStatusCode.MissingCredentials, Hdr((await SendAsync(engine, Answer(reply, respUri, "3"), respUri, source: Attacker)).Reply).Code);
        }
        var after = await Job(job);
        Assert.Equal("running", after.State);
        Assert.All(after.Commands, c => Assert.Null(c.Status));

        // The device's own answer at the RespURI completes it.
        var (end, _) = await SendAsync(engine, Answer(reply, respUri, "3"), respUri, macNonce);
        Assert.Equal(DmStatusCode.Ok, Hdr(end).Code);
        Assert.Equal("done", (await Job(job)).State);
    }

    /// <summary>Issue 13 items 1 and 2: a session the device walked away from (it authenticated anew, or went idle) takes no more messages.</summary>
    [Fact]
    public async Task MessageIntoAnAbandonedSession_IsRefused_NothingRecorded_AbandonedSessionThreat()
    {
        await AccountAsync("md5");
        var job = await JobAsync(("replace", "./NASConfig/NAS_SignallingPriority", "1"));
        var engine = Engine();
        var (first, _) = await AuthenticateAsync(engine, "md5");
        // The device starts over (a new session, authenticated): the first one is gone.
        var (second, _) = await AuthenticateAsync(engine, "md5", sessionId: "1B");
        Assert.NotEqual(first.Header.RespUri, second.Header.RespUri);
        var (late, _) = await SendAsync(engine, Answer(first, first.Header.RespUri!, "3"), source: Attacker);
        Assert.Equal(DmStatusCode.InvalidCredentials, Hdr(late).Code);
        Assert.Null(late.Header.Cred);
        var j = await Job(job);
        Assert.Null(j.Commands[0].Status);
        Assert.Equal("failed", j.State);
        Assert.Equal("session-expired", j.Reason);

        // Idle: after the idle time the second session's RespURI is refused too.
        _clock.Advance(TimeSpan.FromMinutes(3));
        Assert.Equal(DmStatusCode.InvalidCredentials, Hdr((await SendAsync(engine, Answer(second, second.Header.RespUri!, "3", sessionId: "1B"))).Reply).Code);
    }

    /// <summary>Issue 13 item 1: over plain HTTP the token travels in clear — basic/md5 sessions only with --allow-plain-http-sessions; hmac always.</summary>
    [Fact]
    public async Task PlainHttp_Md5SessionNeedsTheFlag_HmacDoesNot_PlainHttpTokenThreat()
    {
        await AccountAsync("md5");
        var job = await JobAsync(("replace", "./NASConfig/NAS_SignallingPriority", "1"));
        var strict = Engine(Http);
        var (challenge, _) = await SendAsync(strict, Package1(Http));
        var (refused, wire) = await SendAsync(strict, Package1(Http, Md5(ChalNonce(challenge)), msgId: "2"));
        Assert.Equal(DmStatusCode.Forbidden, Hdr(refused).Code);
        Assert.Null(refused.Header.RespUri);
        Assert.Null(refused.Header.Cred);
        Assert.Empty(refused.Commands.OfType<ItemCommand>());
        Assert.Equal("queued", (await Job(job)).State);

        var lab = Engine(Http, new DmSessionOptions { AllowPlainHttpSessions = true });
        var (accepted, _) = await AuthenticateAsync(lab, "md5", Http, sessionId: "2B");
        Assert.StartsWith(Http + "?session=", accepted.Header.RespUri, StringComparison.Ordinal);

        await AccountAsync("hmac", "hmac", devId: "hmac-dev");
        var hmacEngine = Engine(Http);
        var (c2, _) = await SendAsync(hmacEngine, Package1(Http, devId: "hmac-dev"), macNonce: DmNonce.Empty);
        var (ok, okWire) = await SendAsync(hmacEngine, Package1(Http, devId: "hmac-dev", msgId: "2"), macNonce: ChalNonce(c2));
        Assert.Equal(DmStatusCode.AuthenticationAccepted, Hdr(ok).Code);
        Assert.NotNull(ok.Header.RespUri);
        Assert.NotNull(okWire.Hmac);
        Assert.Null(wire.Hmac);
    }

    /// <summary>Issue 13 item 2: idle sessions end; the job fails "session-expired" with each command's delivery; never running for ever.</summary>
    [Fact]
    public async Task IdleSession_Expires_JobFailsSessionExpired_CommandsMarkedAcknowledgedUnknownNotSent_IdleSessionThreat()
    {
        await AccountAsync("md5");
        var value = new string('7', 500);
        var job = await JobAsync(("replace", "./Ext/A", value), ("replace", "./Ext/B", value), ("replace", "./Ext/C", value));
        var engine = Engine();
        // A device MaxMsgSize that fits one command per message.
        var (reply, _) = await AuthenticateAsync(engine, "md5", maxMsgSize: 1500);
        Assert.Single(reply.Commands.OfType<ItemCommand>());
        Assert.False(reply.Final);
        var (second, _) = await SendAsync(engine, Answer(reply, reply.Header.RespUri!, "3", alert1222: true));
        Assert.Single(second.Commands.OfType<ItemCommand>());
        // The device goes silent. Within the idle time nothing happens; after it, the job fails.
        _clock.Advance(TimeSpan.FromMinutes(1));
        Assert.Equal(0, await engine.SweepAsync(Ct));
        Assert.Equal("running", (await Job(job)).State);
        _clock.Advance(TimeSpan.FromMinutes(1.5));
        await engine.SweepAsync(Ct);
        var j = await Job(job);
        Assert.Equal("failed", j.State);
        Assert.Equal("session-expired", j.Reason);
        Assert.Equal(["acknowledged", "unknown", "not-sent"], j.Commands.Select(c => c.Delivery));
        Assert.Equal(0, engine.LiveSessions);
        Assert.Contains((await _audit.ReadAsync(cancellationToken: Ct)), e => e.Action == "dm.job.failed" && e.Detail!.Contains("session-expired", StringComparison.Ordinal));
    }

    /// <summary>Issue 13 item 2: after a restart (or the loss of the instance that held the session) another instance on the store expires the job by its last activity.</summary>
    [Fact]
    public async Task RunningJobWithNoLiveSession_IsExpiredByAnotherInstance_ByItsLastActivity_IdleSessionThreat()
    {
        await AccountAsync("md5");
        var job = await JobAsync(("replace", "./NASConfig/NAS_SignallingPriority", "1"));
        await AuthenticateAsync(Engine(), "md5");
        Assert.Equal("running", (await Job(job)).State);
        var restarted = Engine();
        _clock.Advance(TimeSpan.FromMinutes(1));
        Assert.Equal(0, await restarted.SweepAsync(Ct));
        _clock.Advance(TimeSpan.FromMinutes(1.5));
        Assert.Equal(1, await restarted.SweepAsync(Ct));
        var j = await Job(job);
        Assert.Equal("failed", j.State);
        Assert.Equal("session-expired", j.Reason);
        Assert.Equal("unknown", j.Commands[0].Delivery);
    }

    /// <summary>Issue 13 item 3: random DevIds (20,000 left 20,037 nonce rows) now create nothing: no writes, no sessions, no audit.</summary>
    [Fact]
    public async Task UnknownDevIds_CreateNothing_NoNoncesNoSessionsNoAudit_StateExhaustionThreat()
    {
        var counting = new CountingDmStore(_store);
        var engine = Engine(store: counting);
        for (var i = 0; i < 300; i++)
        {
            var devId = "IMEI:" + Guid.NewGuid().ToString("N");
            var cred = (i % 3) switch { 0 => null, 1 => Md5(DmNonce.New()), _ => Basic() };
            var (reply, wire) = await SendAsync(engine, Package1(Https, cred, devId: devId, sessionId: i.ToString("X", CultureInfo.InvariantCulture)),
                macNonce: i % 7 == 0 ? DmNonce.Empty : null, source: "203.0.113." + (i % 250));
            Assert.NotEqual(DmStatusCode.AuthenticationAccepted, Hdr(reply).Code);
            Assert.Null(wire.Hmac);
        }
        Assert.Equal(0, counting.Writes);
        Assert.Equal(0, engine.LiveSessions);
        Assert.Empty(await _audit.ReadAsync(cancellationToken: Ct));
    }

    /// <summary>Issue 13 item 3: over-long header fields (30 KB DevIds added 62 MB) are refused with a SyncML status before anything is read or written.</summary>
    [Theory]
    [InlineData("devid")]
    [InlineData("session")]
    [InlineData("target")]
    [InlineData("control")]
    public async Task OverlongHeaderFields_Refused400_NothingReadOrWritten_StateExhaustionThreat(string field)
    {
        var counting = new CountingDmStore(_store);
        var engine = Engine(store: counting);
        var message = field switch
        {
            "devid" => Package1(Https, devId: new string('D', 30_000)),
            "session" => Package1(Https, sessionId: new string('5', 1000)),
            "control" => Package1(Https, devId: "dev\u007f[2J"),
            _ => Package1(Https + "?" + new string('q', 5000)),
        };
        var (reply, _) = await SendAsync(engine, message);
        Assert.Equal(DmStatusCode.BadRequest, Hdr(reply).Code);
        Assert.True(reply.Header.Target.LocUri.Length <= 128);
        Assert.Equal(0, counting.Reads + counting.Writes);
    }

    /// <summary>Issue 13 item 3: the number of live sessions is bounded (503 beyond, nothing used up).</summary>
    [Fact]
    public async Task LiveSessions_AreBounded_503Beyond_StateExhaustionThreat()
    {
        var engine = Engine(options: new DmSessionOptions { MaxSessions = 2 });
        for (var i = 0; i < 3; i++)
        {
            await AccountAsync("md5", devId: $"dev-{i}");
            await JobForAsync($"dev-{i}", ("get", "./DevInfo/Mod", null)); // keeps its session open
        }
        for (var i = 0; i < 2; i++)
        {
            var (c, _) = await SendAsync(engine, Package1(Https, devId: $"dev-{i}"));
            Assert.Equal(DmStatusCode.AuthenticationAccepted, Hdr((await SendAsync(engine, Package1(Https, Md5(ChalNonce(c)), devId: $"dev-{i}", msgId: "2"))).Reply).Code);
        }
        var (c3, _) = await SendAsync(engine, Package1(Https, devId: "dev-2"));
        var (full, _) = await SendAsync(engine, Package1(Https, Md5(ChalNonce(c3)), devId: "dev-2", msgId: "2"));
        Assert.Equal(DmStatusCode.ServiceUnavailable, Hdr(full).Code);
        Assert.Equal(2, engine.LiveSessions);
        Assert.Equal(Hdr(c3).Chal!.Meta!.NextNonce, (await _store.FindAccountAsync("dev-2", Ct))!.ClientNonce); // still pending, not used up
    }

    /// <summary>Issue 13 item 4: one unauthenticated message used to replace the challenge the device had just received (401 for ever).</summary>
    [Fact]
    public async Task UnauthenticatedMessages_DoNotReplaceThePendingNonce_TheDeviceStillGetsIn_LockOutThreat()
    {
        await AccountAsync("md5");
        var engine = Engine();
        var (challenge, _) = await SendAsync(engine, Package1(Https));
        var pending = Hdr(challenge).Chal!.Meta!.NextNonce;
        var other = Engine(); // a second instance on the same store
        for (var i = 0; i < 5; i++)
        {
            var cred = i % 2 == 0 ? null : Md5(DmNonce.New(), "guess!"u8.ToArray());
            var (forged, _) = await SendAsync(i < 3 ? engine : other, Package1(Https, cred, sessionId: "F" + i), source: Attacker);
            Assert.Equal(pending, Hdr(forged).Chal!.Meta!.NextNonce);
        }
        var (accepted, _) = await SendAsync(engine, Package1(Https, Md5(ChalNonce(challenge)), msgId: "2"));
        Assert.Equal(DmStatusCode.AuthenticationAccepted, Hdr(accepted).Code);

        // Replaced after the success; and once it expires (10 minutes), the next answer carries a new one.
        var next = Hdr(accepted).Chal!.Meta!.NextNonce;
        Assert.NotEqual(pending, next);
        _clock.Advance(TimeSpan.FromMinutes(11));
        var (later, _) = await SendAsync(engine, Package1(Https, sessionId: "2C"));
        Assert.NotEqual(next, Hdr(later).Chal!.Meta!.NextNonce);
    }

    /// <summary>Issue 13 items 4 and 8: failures from one address slow its failing answers; a correct credential from it is never delayed or refused.</summary>
    [Fact]
    public async Task BackOff_DelaysFailuresFromASource_NeverACorrectCredential_BruteForceThreat()
    {
        await AccountAsync("md5");
        var unit = TimeSpan.FromSeconds(1.5);
        var engine = new DmSessionEngine(_store, Https, TimeProvider.System, new DmSessionOptions { BackOffThreshold = 2, BackOffUnit = unit }, _audit);
        var wrong = Md5(DmNonce.New(), "guess!"u8.ToArray());
        // The first failure for an account is what a device with a stale nonce sends: free. Then guesses count.
        var watch = Stopwatch.StartNew();
        for (var i = 1; i <= 2; i++)
            await SendAsync(engine, Package1(Https, wrong, sessionId: "B" + i), source: Attacker);
        Assert.True(watch.Elapsed < unit, $"first failures delayed {watch.Elapsed}");
        Assert.Equal(1, engine.FailuresFrom(Attacker));
        watch.Restart();
        var (second, _) = await SendAsync(engine, Package1(Https, wrong, sessionId: "B3"), source: Attacker);
        Assert.True(watch.Elapsed >= unit * 0.9, $"third failure answered after {watch.Elapsed}");
        Assert.Equal(2, engine.FailuresFrom(Attacker));
        // Another device behind the same address whose nonce went stale: its one failure is not delayed.
        await AccountAsync("md5", devId: "dev-nat");
        watch.Restart();
        await SendAsync(engine, Package1(Https, Md5(DmNonce.New()), devId: "dev-nat"), source: Attacker);
        Assert.True(watch.Elapsed < unit, $"a stale nonce answered after {watch.Elapsed}");

        // The right credential from the same address: accepted, not delayed.
        watch.Restart();
        var (ok, _) = await SendAsync(engine, Package1(Https, Md5(ChalNonce(second)), sessionId: "B4"), source: Attacker);
        Assert.Equal(DmStatusCode.AuthenticationAccepted, Hdr(ok).Code);
        Assert.True(watch.Elapsed < unit, $"correct credential answered after {watch.Elapsed}");
    }

    /// <summary>Issue 13 item 5: unknown DevIds got 401 without server credentials, known ones 407 with them; now both alike.</summary>
    [Fact]
    public async Task UnknownAndKnownDevIds_AreAnsweredAlike_EnumerationThreat()
    {
        await AccountAsync("md5");
        var engine = Engine();
        foreach (var cred in new SyncMlCred?[] { null, Md5(DmNonce.New()) })
        {
            var (known, knownWire) = await SendAsync(engine, Package1(Https, cred, sessionId: "K"), source: Attacker);
            var (unknown, unknownWire) = await SendAsync(engine, Package1(Https, cred, sessionId: "K", devId: "IMEI:000000000000000"), source: Attacker);
            Assert.Equal(Hdr(known).Code, Hdr(unknown).Code);
            Assert.Equal(cred is null ? DmStatusCode.MissingCredentials : DmStatusCode.InvalidCredentials, Hdr(unknown).Code);
            Assert.Equal(Hdr(known).Chal!.Meta!.Type, Hdr(unknown).Chal!.Meta!.Type);
            Assert.Equal(ChalNonce(known).Bytes.Length, ChalNonce(unknown).Bytes.Length);
            Assert.Null(known.Header.Cred);
            Assert.Null(unknown.Header.Cred);
            Assert.Equal(knownWire.Body.Length - Dev.Length, unknownWire.Body.Length - "IMEI:000000000000000".Length);
            Assert.Equal(known.Commands.Select(c => c.ElementName + (c as StatusCommand)?.Data), unknown.Commands.Select(c => c.ElementName + (c as StatusCommand)?.Data));
        }
        // Like a real pending nonce, the unknown DevId's stays the same from one message to the next.
        var (a, _) = await SendAsync(engine, Package1(Https, devId: "IMEI:000000000000000"));
        var (b, _) = await SendAsync(engine, Package1(Https, devId: "IMEI:000000000000000", sessionId: "X"));
        Assert.Equal(Hdr(a).Chal!.Meta!.NextNonce, Hdr(b).Chal!.Meta!.NextNonce);
    }

    /// <summary>Issue 13 item 6: the server's auth-md5 Cred and x-syncml-hmac only in answers to authenticated messages.</summary>
    [Theory]
    [InlineData("md5")]
    [InlineData("hmac")]
    public async Task UnauthenticatedAnswers_CarryNoServerCredential_ServerCredentialLeakThreat(string serverAuth)
    {
        await AccountAsync("md5", serverAuth);
        var engine = Engine();
        var (challenge, challengeWire) = await SendAsync(engine, Package1(Https), source: Attacker);
        var (wrong, wrongWire) = await SendAsync(engine, Package1(Https, Md5(DmNonce.New()), sessionId: "W"), source: Attacker);
        foreach (var (m, w) in new[] { (challenge, challengeWire), (wrong, wrongWire) })
        {
            Assert.Null(m.Header.Cred);
            Assert.Null(w.Hmac);
        }
        var (ok, okWire) = await SendAsync(engine, Package1(Https, Md5(ChalNonce(challenge)), msgId: "2"));
        Assert.Equal(DmStatusCode.AuthenticationAccepted, Hdr(ok).Code);
        if (serverAuth == "md5")
            Assert.NotNull(ok.Header.Cred);
        else
            Assert.NotNull(okWire.Hmac);
    }

    /// <summary>Issue 13 item 7: the device answers our Cred with 401 and a fresh Chal: we resend over that nonce, once.</summary>
    [Fact]
    public async Task DeviceRefusesOurCred_WithAFreshNonce_WeResendOverItOnce_ClientNonceRetry()
    {
        await AccountAsync("basic");
        Assert.True(await _store.SetServerNonceAsync(Dev, DmNonce.New().ToWire(), Ct)); // from an earlier session the client forgot
        var job = await JobAsync(("replace", "./NASConfig/NAS_SignallingPriority", "1"), ("get", "./NASConfig/NAS_SignallingPriority", null));
        var engine = Engine();
        var (reply, _) = await SendAsync(engine, Package1(Https, Basic()));
        Assert.Equal(DmStatusCode.AuthenticationAccepted, Hdr(reply).Code);
        var respUri = reply.Header.RespUri!;
        var fresh = DmNonce.New();
        var chal = new SyncMlChal { Meta = new SyncMlMeta { Type = DmAuthSchemeNames.Md5, Format = "b64", NextNonce = fresh.ToWire() } };
        // libdmclient's answer to a Cred it does not accept: 401 on our SyncHdr with its new nonce, nothing executed.
        var refusal = Answer(reply, respUri, "2", hdrCode: DmStatusCode.InvalidCredentials, hdrChal: chal) with
        {
            Commands = [new StatusCommand { CmdId = "1", MsgRef = reply.Header.MsgId, CmdRef = "0", Cmd = "SyncHdr", Chal = chal, Data = "401" }],
        };
        var (again, _) = await SendAsync(engine, refusal);
        Assert.Equal(AuthMd5.Compute(new DmCredentials("m2msec-dm", ServerPassword), fresh), again.Header.Cred!.Data!.Text);
        Assert.Equal(reply.Commands.OfType<ItemCommand>().Select(c => c.ElementName + c.Items[0].Target!.LocUri),
            again.Commands.OfType<ItemCommand>().Select(c => c.ElementName + c.Items[0].Target!.LocUri));
        await SendAsync(engine, Answer(again, respUri, "3"));
        Assert.Equal("done", (await Job(job)).State);

        // Twice: the session ends, the job fails saying why.
        var job2 = await JobAsync(("replace", "./NASConfig/NAS_SignallingPriority", "0"));
        var (r2, _) = await SendAsync(engine, Package1(Https, Basic(), sessionId: "2D"));
        var u2 = r2.Header.RespUri!;
        var (a2, _) = await SendAsync(engine, Message(r2, u2, "2"));
        var (end, _) = await SendAsync(engine, Message(a2, u2, "3"));
        Assert.True(end.Final);
        Assert.Empty(end.Commands.OfType<ItemCommand>());
        var failed = await Job(job2);
        Assert.Equal("failed", failed.State);
        Assert.Equal("server-credential-refused", failed.Reason);

        SyncMlMessage Message(SyncMlMessage r, string u, string msgId) => new()
        {
            Header = new SyncHeader { SessionId = "2D", MsgId = msgId, Target = new(u), Source = new(Dev) },
            Commands = [new StatusCommand { CmdId = "1", MsgRef = r.Header.MsgId, CmdRef = "0", Cmd = "SyncHdr", Chal = chal with { Meta = chal.Meta! with { NextNonce = DmNonce.New().ToWire() } }, Data = "401" }],
            Final = true,
        };
    }

    /// <summary>
    /// Decision 036: a device never given a nonce digests its first message over the empty one (the demo's one `dm.auth.failure` per device).
    /// With the right password it is challenged (401, the pending nonce) but is no failure: not counted, not audited; its next message opens the session.
    /// </summary>
    [Fact]
    public async Task FirstContact_RightPasswordOverTheEmptyNonce_IsChallenged_NotCountedNorAuditedAsAFailure()
    {
        await AccountAsync("md5");
        var engine = Engine();
        var (first, _) = await SendAsync(engine, Package1(Https, Md5(DmNonce.Empty)));
        Assert.Equal(DmStatusCode.InvalidCredentials, Hdr(first).Code);
        Assert.Empty(await _audit.ReadAsync(cancellationToken: Ct));
        var (second, _) = await SendAsync(engine, Package1(Https, Md5(ChalNonce(first)), msgId: "2"));
        Assert.Equal(DmStatusCode.AuthenticationAccepted, Hdr(second).Code);
        Assert.Equal(["dm.session.start", "dm.session.end"], (await _audit.ReadAsync(cancellationToken: Ct)).Select(e => e.Action)); // no job: ends at once
    }

    /// <summary>Decision 036: a wrong password over the empty nonce is still a failure — counted and audited (no first-contact pass for a guess).</summary>
    [Fact]
    public async Task FirstContact_WrongPasswordOverTheEmptyNonce_StaysAFailure_PasswordGuessThreat()
    {
        await AccountAsync("md5");
        var engine = Engine();
        var (first, _) = await SendAsync(engine, Package1(Https, Md5(DmNonce.Empty, "guess"u8.ToArray())));
        Assert.Equal(DmStatusCode.InvalidCredentials, Hdr(first).Code);
        Assert.Equal(["dm.auth.failure"], (await _audit.ReadAsync(cancellationToken: Ct)).Select(e => e.Action));
        // It counted: the session's second failure ends it (no new challenge).
        var (second, _) = await SendAsync(engine, Package1(Https, Md5(ChalNonce(first), "guess-2"u8.ToArray()), msgId: "2"));
        Assert.Equal(DmStatusCode.InvalidCredentials, Hdr(second).Code);
        Assert.Null(Hdr(second).Chal);
    }

    /// <summary>Issue 13 item 8: the second failure ends the session (audited, counted for back-off); it does not start afresh.</summary>
    [Fact]
    public async Task SecondAuthenticationFailure_EndsTheSession_Audited_CountsTowardBackOff()
    {
        await AccountAsync("md5");
        var engine = Engine();
        var wrong = "wrong-password"u8.ToArray();
        var (first, _) = await SendAsync(engine, Package1(Https, Md5(DmNonce.Empty, wrong)));
        Assert.Equal(DmStatusCode.InvalidCredentials, Hdr(first).Code);
        Assert.NotNull(Hdr(first).Chal);
        for (var i = 2; i <= 4; i++)
        {
            var (next, _) = await SendAsync(engine, Package1(Https, Md5(ChalNonce(first), wrong), msgId: i.ToString(CultureInfo.InvariantCulture)));
            Assert.Equal(DmStatusCode.InvalidCredentials, Hdr(next).Code);
            Assert.Null(Hdr(next).Chal); // ended: no new challenge, not a fresh start
        }
        Assert.True(engine.FailuresFrom(DeviceAddress) >= 2);
        var audit = await _audit.ReadAsync(cancellationToken: Ct);
        Assert.Contains(audit, e => e.Action == "dm.auth.failure" && e.Subject == Dev && e.Detail!.Contains("session ended", StringComparison.Ordinal));
        Assert.DoesNotContain(audit, e => e.Detail!.Contains("wrong-password", StringComparison.Ordinal));
    }

    /// <summary>Issue 13 item 12: one log line per session, no secrets or token; audit of start, end and job states; a failed job says why.</summary>
    [Fact]
    public async Task Session_OneLogLine_NoSecrets_AuditsStartEndAndJobStates_FailedJobSaysWhy()
    {
        await AccountAsync("md5");
        var job = await JobAsync(("replace", "./NASConfig/NAS_SignallingPriority", "1"), ("get", "./NASConfig/NAS_SignallingPriority", null));
        var logger = new ListLogger();
        var engine = Engine(logger: logger);
        var (reply, _) = await AuthenticateAsync(engine, "md5");
        await SendAsync(engine, Answer(reply, reply.Header.RespUri!, "3", code: 500));
        var line = Assert.Single(logger.Lines);
        foreach (var part in new[] { Dev, "1A", "md5 accepted", "2 command(s) sent", "500x2", "failed" })
            Assert.Contains(part, line, StringComparison.Ordinal);
        var respUri = reply.Header.RespUri!;
        var token = respUri[(respUri.LastIndexOf('.') + 1)..];
        Assert.DoesNotContain(token, line, StringComparison.Ordinal);
        Assert.DoesNotContain("client-secret", line, StringComparison.Ordinal);
        var j = await Job(job);
        Assert.Equal("failed", j.State);
        Assert.Equal("command-failed", j.Reason);
        var actions = (await _audit.ReadAsync(cancellationToken: Ct)).Select(e => e.Action).ToList();
        Assert.Equal(["dm.session.start", "dm.job.running", "dm.job.failed", "dm.session.end"], actions);
        Assert.All(await _audit.ReadAsync(cancellationToken: Ct), e => Assert.DoesNotContain(token, e.Detail ?? "", StringComparison.Ordinal));
    }

    private sealed class ListLogger : ILogger
    {
        public List<string> Lines { get; } = [];

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            Lines.Add(formatter(state, exception));
    }
}
