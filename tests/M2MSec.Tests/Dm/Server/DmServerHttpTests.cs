using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using M2MSec.Dm.SyncMl;
using M2MSec.Pki.Tls;
using M2MSec.Tests.Dm.SyncMl;
using M2MSec.Tests.Support;

namespace M2MSec.Tests.Dm.Server;

/// <summary>
/// `m2msec serve dm` over HTTPS with a dm-server certificate of the operator PKI: the real client's
/// packages (XML and WBXML) get a SyncML answer inside HTTP 200, hostile bodies never an exception,
/// and testssl.sh sees only the TS 33.310 Annex E profile.
/// </summary>
[LongRunning(21)]
public sealed class DmServerHttpTests : IAsyncLifetime
{
    private readonly string _dir = TestKeyRing.TempDirectory("m2msec-dmhttp-");
    private readonly CancellationTokenSource _stop = new();
    private readonly SyncWriter _output = new();
    private Task<int>? _serve;
    private Uri _url = null!;

    private string F(string name) => Path.Combine(_dir, name);

    public async ValueTask InitializeAsync()
    {
        string[] pki = ["--data", F("pki"), "--kek-file", F("kek.json")];
        string[] dm = ["--data", F("dm"), "--kek-file", F("kek.json")];
        Assert.Equal(0, (await CliRunner.RunAsync(["pki", "init", .. pki])).ExitCode);
        Assert.Equal(0, (await CliRunner.RunAsync(["pki", "issue", "--profile", "dm-server", "--subject", "localhost", "--san", "127.0.0.1", "--san", "localhost",
            "--out-cert", F("dm.pem"), "--out-key", F("dm.key"), .. pki])).ExitCode);
        Assert.Equal(0, (await CliRunner.RunAsync(["pki", "export", "--what", "root", "--out", F("root.pem"), .. pki])).ExitCode);
        Assert.Equal(0, (await CliRunner.RunAsync(["pki", "export", "--what", "issuing", "--out", F("issuing.pem"), .. pki])).ExitCode);
        Assert.Equal(0, (await CliRunner.RunAsync(["dm", "account", "add", "--dev-id", "DMCtest", "--server-id", "funambol", "--client-user", "funambol",
            "--client-password", "funambol", "--server-password", "srvpwd", "--client-auth", "basic", .. dm])).ExitCode);
        Assert.Equal(0, (await CliRunner.RunAsync(["dm", "job", "add", "--dev-id", "DMCtest", "--get", "./DevInfo/Mod", .. dm])).ExitCode);

        var port = LoopbackPort.Free();
        _serve = M2MSec.Cli.M2MSecCli.RunAsync(["serve", "dm", "--urls", $"https://127.0.0.1:{port}", "--path", "/funambol/dm", "--cert", F("dm.pem"),
            "--key", F("dm.key"), "--chain", F("issuing.pem"), .. dm], _output, _output, _stop.Token);
        for (var i = 0; i < 300 && !_output.ToString().Contains("listening on", StringComparison.Ordinal); i++)
            await Task.Delay(50);
        Assert.Contains("dm listening on", _output.ToString(), StringComparison.Ordinal);
        _url = new Uri($"https://127.0.0.1:{port}/funambol/dm");
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        if (_serve is not null)
            Assert.Equal(0, await _serve);
        _stop.Dispose();
        _output.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    private HttpClient Device()
    {
        var root = X509CertificateLoader.LoadCertificateFromFile(F("root.pem"));
        return new HttpClient(new SocketsHttpHandler
        {
            SslOptions = TlsProfile.CreateClientOptions("127.0.0.1", ProfileChainValidator.ServerCallback(root)),
        });
    }

    private async Task<(HttpStatusCode Code, byte[] Body, string? Type)> PostAsync(byte[] body, string mediaType, Uri? url = null)
    {
        using var http = Device();
        using var content = new ByteArrayContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue(mediaType);
        using var response = await http.PostAsync(url ?? _url, content, TestContext.Current.CancellationToken);
        return (response.StatusCode, await response.Content.ReadAsByteArrayAsync(TestContext.Current.CancellationToken), response.Content.Headers.ContentType?.MediaType);
    }

    /// <summary>
    /// Issue 13 item 1 over the real listener: the 212 carries a RespURI on our scheme, host and port; the real client's
    /// package 3 at the base URI is a new, unauthenticated session (nothing recorded); at the RespURI it completes the job.
    /// </summary>
    [Fact]
    public async Task RealClientSession_Package3OnlyAtTheRespUri_CompletesTheJob_ForgedStatusThreat()
    {
        var (_, body, _) = await PostAsync(SyncMlVectors.Body("session_basic/01_client_to_server.xml"), "application/vnd.syncml+xml");
        var reply = SyncMlXml.Parse(body);
        var respUri = reply.Header.RespUri!;
        Assert.StartsWith(_url + "?session=", respUri, StringComparison.Ordinal);
        var package3 = SyncMlVectors.Body("session_basic/03_client_to_server.xml");
        var (_, atBase, _) = await PostAsync(package3, "application/vnd.syncml+xml");
        Assert.Equal("407", SyncMlXml.Parse(atBase).Commands.OfType<StatusCommand>().First().Data);
        var shown = await CliRunner.RunAsync(["dm", "job", "show", "--dev-id", "DMCtest", "--json", "--data", F("dm"), "--kek-file", F("kek.json")]);
        Assert.Equal("running", JsonDocument.Parse(shown.Stdout).RootElement.GetProperty("jobs")[0].GetProperty("state").GetString());

        var retargeted = System.Text.Encoding.UTF8.GetBytes(System.Text.Encoding.UTF8.GetString(package3)
            .Replace("<Target><LocURI>http://127.0.0.1:8080/funambol/dm</LocURI></Target>", $"<Target><LocURI>{respUri}</LocURI></Target>", StringComparison.Ordinal));
        var (code, atResp, _) = await PostAsync(retargeted, "application/vnd.syncml+xml", new Uri(respUri));
        Assert.Equal(HttpStatusCode.OK, code);
        Assert.Equal("200", SyncMlXml.Parse(atResp).Commands.OfType<StatusCommand>().First().Data);
        shown = await CliRunner.RunAsync(["dm", "job", "show", "--dev-id", "DMCtest", "--json", "--data", F("dm"), "--kek-file", F("kek.json")]);
        Assert.Equal("done", JsonDocument.Parse(shown.Stdout).RootElement.GetProperty("jobs")[0].GetProperty("state").GetString());
    }

    [Fact]
    public async Task RealClientsXmlPackage1_Gets212_AndTheQueuedGet()
    {
        var (code, body, type) = await PostAsync(SyncMlVectors.Body("session_basic/01_client_to_server.xml"), "application/vnd.syncml+xml");
        Assert.Equal(HttpStatusCode.OK, code);
        Assert.Equal("application/vnd.syncml+xml", type);
        var reply = SyncMlXml.Parse(body);
        Assert.Equal("212", reply.Commands.OfType<StatusCommand>().First().Data);
        Assert.Equal(_url.ToString(), reply.Header.Source.LocUri);
        Assert.Equal("./DevInfo/Mod", Assert.Single(reply.Commands.OfType<GetCommand>()).Items[0].Target!.LocUri);
        Assert.Equal("Lx7CSZp0iHRedCEbryGJuw==", reply.Header.Cred!.Data!.Text);
    }

    [Fact]
    public async Task RealClientsWbxmlPackage1_IsAnsweredInWbxml()
    {
        var (code, body, _) = await PostAsync(SyncMlVectors.Bytes("pkg1_client_init.wbxml"), "application/vnd.syncml.dm+wbxml");
        Assert.Equal(HttpStatusCode.OK, code);
        Assert.Equal("212", SyncMlWbxml.Parse(body).Commands.OfType<StatusCommand>().First().Data);
    }

    [Fact]
    public async Task HostileBodies_GetAStatusOrA4xx_NeverAnException()
    {
        const string laughs = "<?xml version=\"1.0\"?><!DOCTYPE l [<!ENTITY a \"aaaaaaaaaa\"><!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;\">]><SyncML>&b;</SyncML>";
        Assert.Equal(HttpStatusCode.BadRequest, (await PostAsync(System.Text.Encoding.UTF8.GetBytes(laughs), "application/vnd.syncml.dm+xml")).Code);
        Assert.Equal(HttpStatusCode.BadRequest, (await PostAsync([0x02, 0xA4, 0x01, 0x6A, 0x00, 0x6D, 0x6C], "application/vnd.syncml.dm+wbxml")).Code);
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, (await PostAsync("{}"u8.ToArray(), "application/json")).Code);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, (await PostAsync(new byte[200_000], "application/vnd.syncml.dm+xml")).Code);

        // A readable header with a wrong VerProto: a SyncML status for it, inside HTTP 200.
        var wrong = System.Text.Encoding.UTF8.GetString(SyncMlVectors.Body("session_basic/01_client_to_server.xml")).Replace("DM/1.2", "DM/9.9", StringComparison.Ordinal);
        var (code, body, _) = await PostAsync(System.Text.Encoding.UTF8.GetBytes(wrong), "application/vnd.syncml+xml");
        Assert.Equal(HttpStatusCode.OK, code);
        Assert.Equal("513", SyncMlXml.Parse(body).Commands.OfType<StatusCommand>().Single().Data);
    }

    [Fact]
    public async Task TestSsl_SeesOnlyTheProfile()
    {
        var testssl = ExternalTool.Require("testssl", "Debian package testssl.sh");
        var json = F("testssl.json");
        var run = await ExternalTool.RunAsync(testssl, ["--quiet", "--color", "0", "--warnings", "off", "-p", "-E", "--jsonfile", json, _url.ToString()],
            timeout: TimeSpan.FromMinutes(3));
        Assert.True(File.Exists(json), run.Stdout + run.Stderr);
        var findings = JsonDocument.Parse(await File.ReadAllTextAsync(json, TestContext.Current.CancellationToken)).RootElement.EnumerateArray()
            .ToDictionary(f => f.GetProperty("id").GetString()!, f => f.GetProperty("finding").GetString()!, StringComparer.Ordinal);
        foreach (var old in new[] { "SSLv2", "SSLv3", "TLS1", "TLS1_1" })
            Assert.StartsWith("not offered", findings[old], StringComparison.Ordinal);
        Assert.StartsWith("offered", findings["TLS1_2"], StringComparison.Ordinal);
        Assert.StartsWith("offered", findings["TLS1_3"], StringComparison.Ordinal);

        // Every cipher testssl found offered is a profile suite (ECDHE + AEAD, or a TLS 1.3 suite).
        var offered = findings.Where(f => f.Key.StartsWith("cipher-tls1_", StringComparison.Ordinal) || f.Key.StartsWith("cipher_x", StringComparison.Ordinal))
            .Select(f => f.Value).ToList();
        Assert.NotEmpty(offered);
        var profile = TlsProfile.CipherSuites.Select(s => s.ToString()).ToList();
        Assert.All(offered, finding => Assert.Contains(profile, p => finding.Contains(p, StringComparison.Ordinal)));
        Assert.DoesNotContain(offered, f => f.Contains("CBC", StringComparison.Ordinal) || f.Contains("_RSA_WITH", StringComparison.Ordinal) && !f.Contains("ECDHE", StringComparison.Ordinal));
    }
}
