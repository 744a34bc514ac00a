using M2MSec.Dm;
using M2MSec.Dm.Auth;
using M2MSec.Dm.SyncMl;
using M2MSec.NetworkFunctions.Dm;
using M2MSec.Storage.Dm;
using M2MSec.Storage.InMemory;
using M2MSec.Tests.Dm.SyncMl;

namespace M2MSec.Tests.Dm.Server;

/// <summary>
/// The DM server's session logic fed with the messages a real client (libdmclient) sent, and
/// judged by what that client accepts: the server's auth-md5 Cred equals the value the client
/// accepted with 212 (vector 1b), a wrong credential is challenged and then refused. The recorded
/// sessions are plain HTTP (a lab: the server runs with --allow-plain-http-sessions); every message
/// after the one that authenticates goes to the RespURI the server handed out (issue 13 item 1),
/// its SyncHdr Target rewritten as libdmclient does, and a test nonce source gives the nonce the
/// recorded credentials were computed over.
/// </summary>
public sealed class DmSessionEngineTests
{
    private const string ServerUri = "http://127.0.0.1:8080/funambol/dm";
    private readonly InMemoryDmStore _store = new(TimeProvider.System);

    /// <summary>The nonce the scripted server of the captures challenged with (NextNonce c3J2bm9uY2UtMDAwMQ==).</summary>
    internal static DmNonce RecordedNonce => DmNonce.FromBytes("srvnonce-0001"u8);

    /// <summary>A lab server (plain HTTP sessions allowed) whose first challenge nonce is the recorded one, then fresh ones.</summary>
    internal static DmSessionOptions LabOptions()
    {
        var first = true;
        return new() { AllowPlainHttpSessions = true, NonceSource = () => first && !(first = false) ? RecordedNonce : DmNonce.New() };
    }

    private async Task<DmSessionEngine> EngineAsync(string clientAuth, string clientPassword = "funambol")
    {
        Assert.True(await _store.AddAccountAsync(new DmAccount("DMCtest", "funambol", "funambol", System.Text.Encoding.UTF8.GetBytes(clientPassword),
            "srvpwd"u8.ToArray(), clientAuth, "md5", DateTimeOffset.UtcNow)));
        var now = DateTimeOffset.UtcNow;
        await _store.AddJobAsync(new DmJobRecord("job-1", "DMCtest", "queued", now, now,
        [
            new("job-1", 1, "replace", "./NASConfig/NAS_SignallingPriority", "1", null, null),
            new("job-1", 2, "get", "./NASConfig/NAS_SignallingPriority", null, null, null),
        ]));
        return new DmSessionEngine(_store, ServerUri, TimeProvider.System, new DmSessionOptions { AllowPlainHttpSessions = true });
    }

    /// <summary>A later message of the session: its SyncHdr Target is the RespURI (libdmclient sends it there).</summary>
    internal static SyncMlMessage At(SyncMlMessage message, SyncMlMessage reply) => At(message, Assert.IsType<string>(reply.Header.RespUri));

    internal static SyncMlMessage At(SyncMlMessage message, string respUri) =>
        message with { Header = message.Header with { Target = new SyncMlLocation(respUri) } };

    /// <summary>A recorded message's bytes with its SyncHdr Target rewritten to <paramref name="respUri"/>.</summary>
    internal static byte[] Retarget(byte[] body, string respUri) => System.Text.Encoding.UTF8.GetBytes(System.Text.Encoding.UTF8.GetString(body)
        .Replace($"<Target><LocURI>{ServerUri}</LocURI></Target>", $"<Target><LocURI>{System.Security.SecurityElement.Escape(respUri)}</LocURI></Target>", StringComparison.Ordinal));

    /// <summary>Issue 13 item 1: the real client's recorded sessions (XML and WBXML) through the session binding.</summary>
    [Theory]
    [InlineData("session_basic", "basic", new[] { "01", "03" }, false)]
    [InlineData("session_md5_challenge", "md5", new[] { "01", "03", "05" }, false)]
    [InlineData("session_md5_challenge_wbxml", "md5", new[] { "01", "03", "05" }, true)]
    public async Task RealClientSession_ReplayedThroughTheRespUri_ServerCredAccepted_JobDone(string session, string clientAuth, string[] messages, bool wbxml)
    {
        Assert.True(await _store.AddAccountAsync(new DmAccount("DMCtest", "funambol", "funambol", "funambol"u8.ToArray(), "srvpwd"u8.ToArray(), clientAuth, "md5",
            DateTimeOffset.UtcNow)));
        var now = DateTimeOffset.UtcNow;
        // The commands the scripted server sent (CmdIDs 4–7 after the three Status): same CmdIDs from ours.
        await _store.AddJobAsync(new DmJobRecord("job-r", "DMCtest", "queued", now, now,
        [
            new("job-r", 1, "get", "./DevInfo/Mod", null, null, null),
            new("job-r", 2, "add", "./Vendor/memory/NASConfig", null, null, null),
            new("job-r", 3, "add", "./Vendor/memory/NASConfig/NAS_SignallingPriority", "1", null, null),
            new("job-r", 4, "replace", "./Vendor/memory/NASConfig/NAS_SignallingPriority", "0", null, null),
        ]));
        var engine = new DmSessionEngine(_store, ServerUri, TimeProvider.System, LabOptions());
        string? respUri = null;
        SyncMlMessage? reply = null;
        foreach (var n in messages)
        {
            byte[] body;
            if (wbxml)
            {
                body = SyncMlVectors.WbxmlBody($"{session}/{n}_client_to_server.http-wbxml.bin");
                if (respUri is not null)
                    body = SyncMlWbxml.Write(At(SyncMlWbxml.Parse(body), respUri));
            }
            else
            {
                body = SyncMlVectors.Body($"{session}/{n}_client_to_server.xml");
                if (respUri is not null)
                    body = Retarget(body, respUri);
            }
            var wire = await engine.ExchangeAsync(new SyncMlWireMessage(body), wbxml, TestContext.Current.CancellationToken, respUri ?? ServerUri);
            reply = wbxml ? SyncMlWbxml.Parse(wire!.Body) : SyncMlXml.Parse(wire!.Body);
            var expected = SyncMlXml.Parse(SyncMlVectors.Body($"{session}/{(int.Parse(n, System.Globalization.CultureInfo.InvariantCulture) + 1):D2}_server_to_client.xml"));
            var header = reply.Commands.OfType<StatusCommand>().First();
            // The SyncHdr status the client got from the scripted server, and the Cred it accepted (when it checked one).
            Assert.Equal(expected.Commands.OfType<StatusCommand>().First().Data, header.Data);
            if (header.Code == DmStatusCode.AuthenticationAccepted)
                Assert.Equal(expected.Header.Cred!.Data!.Text, reply.Header.Cred!.Data!.Text);
            if (header.Code is DmStatusCode.InvalidCredentials or DmStatusCode.MissingCredentials)
                Assert.Equal(expected.Commands.OfType<StatusCommand>().First().Chal!.Meta!.NextNonce, header.Chal!.Meta!.NextNonce);
            respUri ??= reply.Header.RespUri;
        }
        Assert.NotNull(respUri);
        Assert.StartsWith(ServerUri + "?session=", respUri, StringComparison.Ordinal);
        Assert.Empty(reply!.Commands.OfType<ItemCommand>());
        var job = Assert.Single(await _store.ListJobsAsync("DMCtest"));
        Assert.Equal("done", job.State);
        Assert.All(job.Commands, c => Assert.Equal(200, c.Status));
        Assert.StartsWith("test model", job.Commands[0].Results, StringComparison.Ordinal);
    }

    private static SyncMlMessage Package1() => SyncMlXml.Parse(SyncMlVectors.Body("session_basic/01_client_to_server.xml"));

    [Fact]
    public async Task RealClientsPackage1_BasicAccepted_ServerCredIsWhatTheClientAccepts_CommandsGoOut_ResultsRecorded()
    {
        var engine = await EngineAsync("basic");
        var reply = (await engine.HandleAsync(Package1(), null, default, default)).Message;

        var statuses = reply.Commands.OfType<StatusCommand>().ToList();
        Assert.Equal("212", statuses[0].Data);
        Assert.Equal("SyncHdr", statuses[0].Cmd);
        Assert.All(statuses.Skip(1), s => Assert.Equal("200", s.Data)); // Alert 1201, Replace of DevInfo
        Assert.Equal(DmAuthSchemeNames.Md5, reply.Header.Cred!.Meta!.Type);
        Assert.Equal("Lx7CSZp0iHRedCEbryGJuw==", reply.Header.Cred.Data!.Text); // vector 1b: accepted by libdmclient with 212
        var replace = Assert.Single(reply.Commands.OfType<ReplaceCommand>());
        var get = Assert.Single(reply.Commands.OfType<GetCommand>());
        Assert.Equal("./NASConfig/NAS_SignallingPriority", replace.Items[0].Target!.LocUri);
        Assert.True(reply.Final);
        // What we write, a parser (ours, strict) reads back unchanged.
        Assert.Equal(reply, SyncMlXml.Parse(SyncMlXml.Write(reply)));

        // Package 3: the client's Status for Replace, Status + Results for Get.
        var package3 = new SyncMlMessage
        {
            Header = At(Package1(), reply).Header with { MsgId = "2", Cred = null },
            Commands =
            [
                new StatusCommand { CmdId = "1", MsgRef = "1", CmdRef = "0", Cmd = "SyncHdr", Data = "212" },
                new StatusCommand { CmdId = "2", MsgRef = "1", CmdRef = replace.CmdId, Cmd = "Replace", Data = "200" },
                new StatusCommand { CmdId = "3", MsgRef = "1", CmdRef = get.CmdId, Cmd = "Get", Data = "200" },
                new ResultsCommand { CmdId = "4", MsgRef = "1", CmdRef = get.CmdId, Items = [new SyncMlItem { Source = new("./NASConfig/NAS_SignallingPriority"), Data = "1" }] },
            ],
            Final = true,
        };
        var end = (await engine.HandleAsync(package3, null, default, default)).Message;
        Assert.Empty(end.Commands.OfType<ItemCommand>());
        var job = Assert.Single(await _store.ListJobsAsync("DMCtest"));
        Assert.Equal("done", job.State);
        Assert.Equal([200, 200], job.Commands.Select(c => c.Status));
        Assert.Equal("1", job.Commands[1].Results);
    }

    [Fact]
    public async Task WrongPassword_IsChallengedInsideANormalAnswer_ThenRefused()
    {
        var engine = await EngineAsync("basic", clientPassword: "not-funambol");
        var first = (await engine.HandleAsync(Package1(), null, default, default)).Message;
        var hdr = first.Commands.OfType<StatusCommand>().First();
        Assert.Equal("401", hdr.Data);
        Assert.NotNull(hdr.Chal?.Meta?.NextNonce);
        Assert.All(first.Commands.OfType<StatusCommand>().Skip(1), s => Assert.Equal("407", s.Data));
        Assert.Empty(first.Commands.OfType<ItemCommand>());

        var second = (await engine.HandleAsync(Package1() with { Header = Package1().Header with { MsgId = "2" } }, null, default, default)).Message;
        var refused = second.Commands.OfType<StatusCommand>().First();
        Assert.Equal("401", refused.Data);
        Assert.Null(refused.Chal);
        Assert.Empty(second.Commands.OfType<ItemCommand>());
        Assert.Equal("queued", (await _store.ListJobsAsync("DMCtest"))[0].State);
    }

    [Fact]
    public async Task Md5Client_ChallengedWithAFreshNonce_ThenAcceptedWithIt_AndTheNonceIsSingleUse()
    {
        var engine = await EngineAsync("md5");
        var first = (await engine.HandleAsync(Package1(), null, default, default)).Message;
        var chal = first.Commands.OfType<StatusCommand>().First();
        Assert.Equal("401", chal.Data); // a basic Cred where the account requires auth-md5 is an invalid credential
        Assert.Equal(DmAuthSchemeNames.Md5, chal.Chal!.Meta!.Type);
        Assert.True(DmNonce.TryFromWire(chal.Chal.Meta.NextNonce, out var nonce));
        Assert.Equal(DmNonce.GeneratedLength, nonce.Bytes.Length);

        var withMd5 = Package1() with
        {
            Header = Package1().Header with
            {
                MsgId = "2",
                Cred = new SyncMlCred
                {
                    Meta = new SyncMlMeta { Type = DmAuthSchemeNames.Md5, Format = "b64" },
                    Data = AuthMd5.Compute(new DmCredentials("funambol", "funambol"), nonce),
                },
            },
        };
        var accepted = (await engine.HandleAsync(withMd5, null, default, default)).Message;
        Assert.Equal("212", accepted.Commands.OfType<StatusCommand>().First().Data);

        // A new session replaying the same credential (the nonce was used): refused.
        var replay = withMd5 with { Header = withMd5.Header with { SessionId = "2", MsgId = "1" } };
        Assert.Equal("401", (await engine.HandleAsync(replay, null, default, default)).Message.Commands.OfType<StatusCommand>().First().Data);

        // Another server instance on the same store (or this one after a restart) challenges with the same pending
        // nonce (it lives in the store), which the client then uses: success.
        var other = new DmSessionEngine(_store, ServerUri, TimeProvider.System, LabOptions() with { NonceSource = DmNonce.New });
        var fresh = (await other.HandleAsync(Package1() with { Header = Package1().Header with { SessionId = "3" } }, null, default, default)).Message;
        var chal2 = fresh.Commands.OfType<StatusCommand>().First();
        Assert.Equal("401", chal2.Data);
        Assert.True(DmNonce.TryFromWire(chal2.Chal!.Meta!.NextNonce, out var n2));
        var retry = withMd5 with
        {
            Header = withMd5.Header with
            {
                SessionId = "3",
                MsgId = "2",
                Cred = withMd5.Header.Cred! with { Data = AuthMd5.Compute(new DmCredentials("funambol", "funambol"), n2) },
            },
        };
        Assert.Equal("212", (await other.HandleAsync(retry, null, default, default)).Message.Commands.OfType<StatusCommand>().First().Data);
    }

    [Fact]
    public async Task ChalFromAnUnauthenticatedMessage_DoesNotResetTheDevicesNonce()
    {
        var engine = await EngineAsync("md5");
        var forged = Package1() with
        {
            Commands =
            [
                new StatusCommand
                {
                    CmdId = "9", MsgRef = "1", CmdRef = "0", Cmd = "SyncHdr", Data = "212",
                    Chal = new SyncMlChal { Meta = new SyncMlMeta { Type = DmAuthSchemeNames.Md5, Format = "b64", NextNonce = "YXR0YWNrZXI=" } },
                },
                .. Package1().Commands,
            ],
        };
        var reply = (await engine.HandleAsync(forged, null, default, default)).Message;
        Assert.NotEqual("212", reply.Commands.OfType<StatusCommand>().First().Data);
        Assert.Null((await _store.FindAccountAsync("DMCtest"))!.ServerNonce);
    }

    [Fact]
    public async Task ChunkedResults_BeyondTheLargeObjectCap_Get413_AndTheJobFails()
    {
        var engine = await EngineAsync("basic");
        var reply = (await engine.HandleAsync(Package1(), null, default, default)).Message;
        var get = Assert.Single(reply.Commands.OfType<GetCommand>());
        var target = At(Package1(), reply).Header.Target;
        var chunk = new string('x', 300_000);
        string? last = null;
        for (var i = 0; i < 4; i++)
        {
            var message = new SyncMlMessage
            {
                Header = Package1().Header with { MsgId = (2 + i).ToString(System.Globalization.CultureInfo.InvariantCulture), Cred = null, Target = target },
                Commands =
                [
                    new StatusCommand { CmdId = "1", MsgRef = "1", CmdRef = "0", Cmd = "SyncHdr", Data = "212" },
                    new ResultsCommand { CmdId = "2", MsgRef = "1", CmdRef = get.CmdId, Items = [new SyncMlItem { Source = new("./x"), Data = chunk, MoreData = true }] },
                ],
                Final = false,
            };
            last = (await engine.HandleAsync(message, null, default, default)).Message.Commands.OfType<StatusCommand>().Single(s => s.Cmd == "Results").Data;
            if (last != "213")
                break;
        }
        Assert.Equal("413", last); // the fourth 300 kB chunk passes 1 MiB
        var job = Assert.Single(await _store.ListJobsAsync("DMCtest"));
        Assert.Equal(413, job.Commands[1].Status);
        Assert.Null(job.Commands[1].Results);
    }
}
