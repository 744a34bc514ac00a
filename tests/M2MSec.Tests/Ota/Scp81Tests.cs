using System.Security.Cryptography;
using System.Text;
using M2MSec.Device.Uicc;
using M2MSec.Ota.RemoteApdu;
using M2MSec.Ota.Scp81;
using M2MSec.Tests.Support;

namespace M2MSec.Tests.Ota;

/// <summary>SCP81: PSK-TLS admin sessions between the server and the card, and the OpenSSL CLI as a card.</summary>
public sealed class Scp81Tests : IAsyncLifetime
{
    private const string Identity = "8988211000000000701";
    private readonly byte[] _psk = RandomNumberGenerator.GetBytes(16);
    private Scp81AdminServer _server = null!;

    public ValueTask InitializeAsync()
    {
        _server = new Scp81AdminServer(id => id == Identity ? _psk : null);
        return ValueTask.CompletedTask;
    }

    public async ValueTask DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task QueuedRfmScript_ReachesTheCard_AndItsResponsesAreRecorded()
    {
        var files = UiccProfile.Create("8988211000000000701", "001010000000701");
        var script = RemoteCommandScript.EncodeExpanded(
        [
            new(0x00, 0xA4, 0x04, 0x0C, UiccProfile.UsimAid, null),
            new(0x00, 0xA4, 0x00, 0x0C, [0x6F, 0xE8], null),
            new(0x00, 0xD6, 0x00, 0x00, [0x82, 0x01, 0x01], null),
            new(0x00, 0xB0, 0x00, 0x00, [], 3),
        ]);
        _server.Enqueue(Identity, script);
        var session = files.NewSession();
        var agent = new Scp81CardAgent(Identity, _psk, $"//se-id/iccid/{Identity}", commands => [.. commands.Select(c => files.Execute(session, c))]);
        Assert.Equal(1, await agent.RunSessionAsync(_server.EndPoint, TestContext.Current.CancellationToken));

        var exchange = Assert.Single(_server.Exchanges);
        Assert.Equal(("ok", AdminHttp.ResponseMediaType), (exchange.ScriptStatus, exchange.ContentType));
        Assert.Equal(Scp81AdminServer.AdminPath + "?next", exchange.RequestUri); // the card followed X-Admin-Next-URI
        Assert.Equal(0xAB, exchange.Response[0]); // expanded response template
        Assert.Contains("82010190", Convert.ToHexStringLower(exchange.Response)); // the READ BINARY R-APDU: 820101 ‖ 9000
        var ef = (TransparentEf)files.Find(UiccProfile.AdfUsimFid, UiccProfile.EfNasConfig)!;
        Assert.Equal([0x82, 0x01, 0x01], ef.Content[..3]);
    }

    [Fact]
    public async Task Agent_RetriesAfterAFailedConnection_AndResumes()
    {
        // A port nobody listens on yet: the first attempt fails, the admin server comes up, the retry resumes.
        int port;
        using (var probe = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0))
        {
            probe.Start();
            port = ((System.Net.IPEndPoint)probe.LocalEndpoint).Port;
        }
        var endpoint = new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, port);
        var files = UiccProfile.Create("8988211000000000702", "001010000000702");
        var agent = new Scp81CardAgent(Identity, _psk, "//se-id/iccid/8988211000000000702", commands => [.. commands.Select(c => files.Execute(files.NewSession(), c))]);
        var session = agent.RunSessionAsync(endpoint, TestContext.Current.CancellationToken);
        await Task.Delay(30, TestContext.Current.CancellationToken);
        await using var late = new Scp81AdminServer(id => id == Identity ? _psk : null, endpoint);
        Assert.Equal(0, await session);
        Assert.Equal(1, late.ResumedSessions);
    }

    private async Task<(int Code, string Out, string Err)> OpenSslAsync(string identity, byte[] psk, string request)
    {
        var openssl = ExternalTool.Require("openssl", "Debian package openssl");
        return await ExternalTool.RunAsync(openssl,
            ["s_client", "-connect", _server.EndPoint.ToString(), "-tls1_2", "-psk", Convert.ToHexStringLower(psk), "-psk_identity", identity,
             "-cipher", "PSK-AES128-CBC-SHA256", "-quiet"],
            Encoding.ASCII.GetBytes(request), TimeSpan.FromSeconds(30));
    }

    [Fact]
    public async Task OpenSslClient_CompletesTheHandshake_AndGetsAnAdminProtocolAnswer()
    {
        var request = $"POST /server/admin HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Admin-Protocol: globalplatform-remote-admin/1.0\r\nX-Admin-From: //se-id/iccid/{Identity}\r\nContent-Length: 0\r\n\r\n";
        var (_, stdout, stderr) = await OpenSslAsync(Identity, _psk, request);
        Assert.Contains("HTTP/1.1 204 No Content", stdout + stderr);
        Assert.Contains("X-Admin-Protocol: globalplatform-remote-admin/1.0", stdout);
    }

    [Fact]
    public async Task WrongPsk_AndUnknownIdentity_AreRefusedInTheHandshake()
    {
        var request = "POST /server/admin HTTP/1.1\r\nX-Admin-Protocol: globalplatform-remote-admin/1.0\r\nContent-Length: 0\r\n\r\n";
        var wrong = await OpenSslAsync(Identity, RandomNumberGenerator.GetBytes(16), request);
        Assert.DoesNotContain("HTTP/1.1", wrong.Out);
        Assert.Contains("alert", wrong.Err, StringComparison.OrdinalIgnoreCase); // the server's Finished check fails: a fatal alert
        var unknown = await OpenSslAsync("8988211000000000999", _psk, request);
        Assert.DoesNotContain("HTTP/1.1", unknown.Out);
        Assert.Contains("unknown psk identity", unknown.Err, StringComparison.OrdinalIgnoreCase);
        Assert.True(_server.Refusals.Count >= 2);
    }
}

public sealed class ServeScp81Tests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("m2msec-serve-scp81-").FullName;

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_root, true);
    }

    [Fact]
    public async Task ServeScp81_OnTheCardsRegisteredInDir_AnswersOpenSsl()
    {
        var openssl = ExternalTool.Require("openssl", "Debian package openssl");
        var data = Path.Combine(_root, "ota");
        var kek = TestKeyRing.CreateIn(_root);
        Assert.Equal(0, (await CliRunner.RunAsync("ota", "card", "add", "--iccid", "8988211000000000901", "--psk-identity", "card-901", "--psk", "00112233445566778899aabbccddeeff", "--data", data, "--kek-file", kek)).ExitCode);

        using var cts = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        using var output = new SyncWriter();
        var run = M2MSec.Cli.M2MSecCli.RunAsync(["serve", "scp81", "--data", data, "--kek-file", kek], output, output, cts.Token);
        string? endpoint = null;
        for (var i = 0; i < 100 && endpoint is null; i++)
        {
            await Task.Delay(50, TestContext.Current.CancellationToken);
            endpoint = output.ToString().Split(' ').FirstOrDefault(w => w.StartsWith("https://", StringComparison.Ordinal))?.TrimEnd('/')["https://".Length..];
        }
        Assert.NotNull(endpoint);
        var request = "POST /server/admin HTTP/1.1\r\nX-Admin-Protocol: globalplatform-remote-admin/1.0\r\nX-Admin-From: //se-id/iccid/8988211000000000901\r\nContent-Length: 0\r\n\r\n";
        var (_, stdout, _) = await ExternalTool.RunAsync(openssl,
            ["s_client", "-connect", endpoint!, "-tls1_2", "-psk", "00112233445566778899aabbccddeeff", "-psk_identity", "card-901", "-cipher", "PSK-AES128-CBC-SHA256", "-quiet"],
            Encoding.ASCII.GetBytes(request), TimeSpan.FromSeconds(30));
        Assert.Contains("HTTP/1.1 204 No Content", stdout);
        await cts.CancelAsync();
        Assert.Equal(0, await run);
    }
}

/// <summary>The SCP80 push that triggers an SCP81 session, end to end on the card.</summary>
public sealed class AdminSessionTriggerTests
{
    private static AdminSessionTrigger Sample(System.Net.IPEndPoint server) =>
        new(server, "card-1001", 0x41, 0x05, "admin.host", "//se-id/iccid/8988211000000001001", "/server/admin");

    [Fact]
    public void Trigger_RoundTrips_AndHasTheAmendmentBNesting()
    {
        var t = Sample(new System.Net.IPEndPoint(System.Net.IPAddress.Parse("127.0.0.1"), 8080));
        var bytes = t.Encode();
        Assert.Equal(0x81, bytes[0]);
        Assert.Equal(0x83, bytes[2]);
        Assert.Contains("3c03021f90", Convert.ToHexStringLower(bytes)); // TCP, port 8080
        Assert.Contains("3e05217f000001", Convert.ToHexStringLower(bytes)); // IPv4 127.0.0.1
        Assert.Contains("8a0a61646d696e2e686f7374", Convert.ToHexStringLower(bytes)); // "admin.host", as in pySim's test
        Assert.Equal(t, AdminSessionTrigger.Decode(bytes));
        for (var n = 0; n < bytes.Length; n++)
            Assert.Throws<FormatException>(() => AdminSessionTrigger.Decode(bytes.AsSpan(0, n)));
    }

    [Fact]
    public async Task ScpEightyPush_OpensTheAdminSession_AndTheQueuedScriptRunsOnTheCard()
    {
        var psk = RandomNumberGenerator.GetBytes(16);
        await using var server = new Scp81AdminServer(id => id == "card-1001" ? psk : null);
        var files = UiccProfile.Create("8988211000000001001", "001010000001001");
        var card = new UiccOtaCard(files);
        var keys = new M2MSec.Ota.Scp80.Scp80Keys(RandomNumberGenerator.GetBytes(16), RandomNumberGenerator.GetBytes(16));
        byte[] isdTar = [0x00, 0x00, 0x00];
        card.AddKeySet(isdTar, new CardKeySet(1, keys.KicKey, keys.KidKey));
        Task<int>? session = null;
        card.AdminSessionRequested += trigger =>
        {
            var fs = files.NewSession();
            var agent = new Scp81CardAgent(trigger.PskIdentity, psk, trigger.AgentId, commands => [.. commands.Select(c => files.Execute(fs, c))]);
            session = agent.RunSessionAsync(trigger.Server);
        };
        server.Enqueue("card-1001", RemoteCommandScript.EncodeExpanded(
        [
            new(0x00, 0xA4, 0x04, 0x0C, UiccProfile.UsimAid, null),
            new(0x00, 0xA4, 0x00, 0x0C, [0x6F, 0xE8], null),
            new(0x00, 0xD6, 0x00, 0x00, [0x83, 0x01, 0x3C], null),
        ]));

        var spi = new M2MSec.Ota.Scp80.Spi(M2MSec.Ota.Scp80.IntegrityMode.CryptographicChecksum, true, M2MSec.Ota.Scp80.CounterMode.MustBeHigher,
            M2MSec.Ota.Scp80.PorMode.Required, M2MSec.Ota.Scp80.IntegrityMode.CryptographicChecksum, true, false);
        var push = M2MSec.Ota.Scp80.CommandPacketCodec.Encode(new M2MSec.Ota.Scp80.CommandPacket(spi, 0x12, 0x12, isdTar, 1, Sample(server.EndPoint).Encode()), keys);
        var outcome = card.Process(push);
        Assert.Equal(M2MSec.Ota.Scp80.PorStatus.PorOk, outcome.Status);
        Assert.NotNull(session);
        Assert.Equal(1, await session!);
        Assert.Equal("ok", Assert.Single(server.Exchanges).ScriptStatus);
        var ef = (TransparentEf)files.Find(UiccProfile.AdfUsimFid, UiccProfile.EfNasConfig)!;
        Assert.Equal([0x83, 0x01, 0x3C], ef.Content[..3]);

        // A push under the wrong keys opens nothing.
        session = null;
        var forged = M2MSec.Ota.Scp80.CommandPacketCodec.Encode(new M2MSec.Ota.Scp80.CommandPacket(spi, 0x12, 0x12, isdTar, 2, Sample(server.EndPoint).Encode()),
            new M2MSec.Ota.Scp80.Scp80Keys(RandomNumberGenerator.GetBytes(16), RandomNumberGenerator.GetBytes(16)));
        Assert.Equal(M2MSec.Ota.Scp80.PorStatus.IntegrityCheckFailed, card.Process(forged).Status);
        Assert.Null(session);
    }
}
