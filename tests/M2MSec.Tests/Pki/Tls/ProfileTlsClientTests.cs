using System.Net;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Text;
using M2MSec.Pki.Tls;
using Org.BouncyCastle.Tls;

namespace M2MSec.Tests.Pki.Tls;

/// <summary>The device's BouncyCastle client: against the SslStream profile server and against openssl s_server stapling OCSP.</summary>
public sealed class ProfileTlsClientTests
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(20);

    [Theory]
    [InlineData(SslProtocols.Tls13)]
    [InlineData(SslProtocols.Tls12)]
    public async Task Connects_to_the_profile_server_and_reports_the_chain(SslProtocols version)
    {
        using var pki = TestPki.Create("ecdsa");
        var leaf = pki.Issue("server");
        var options = TlsProfile.CreateServerOptions(leaf.Certificate);
        options.EnabledSslProtocols = version;
        await using var server = TlsTestServer.Start(options);

        using var tcp = await ConnectAsync(server.Port);
        using var connection = await Task.Run(() => ProfileTlsClient.Connect(tcp.GetStream(), "localhost", e => Trusted(pki, e))).WaitAsync(Limit);
        var greeting = new byte[TlsTestServer.Greeting.Length];
        connection.Stream.ReadExactly(greeting);

        Assert.Equal(TlsTestServer.Greeting, Encoding.ASCII.GetString(greeting));
        Assert.Equal(version, connection.Protocol);
        Assert.True(TlsProfile.IsProfileSuite(connection.CipherSuite));
        Assert.Equal(leaf.Certificate.RawData, connection.Evidence.Leaf.RawData);
        Assert.Null(connection.Evidence.StapledOcspResponse); // offline certificate context: SslStream staples nothing
        connection.Dispose();
        Assert.False(tcp.Connected); // BouncyCastle closes the transport too
        var outcome = await server.NextOutcomeAsync();
        Assert.Equal(version, outcome.Protocol);
        Assert.Equal(connection.CipherSuite, outcome.CipherSuite);
    }

    [Theory]
    [InlineData("-tls1_3", SslProtocols.Tls13)]
    [InlineData("-tls1_2", SslProtocols.Tls12)]
    public async Task Receives_exactly_the_staple_openssl_sends(string flag, SslProtocols version)
    {
        var openssl = OpenSsl.Require();
        using var pki = TestPki.Create("ecdsa");
        var leaf = pki.Issue("server");
        var staple = await MakeStapleAsync(openssl, pki, leaf);
        using var server = await OpenSsl.StartServerAsync(openssl, "-cert", leaf.CertPem, "-key", leaf.KeyPem, "-status_file", staple, flag);

        using var tcp = await ConnectAsync(server.Port);
        using var connection = await Task.Run(() => ProfileTlsClient.Connect(tcp.GetStream(), "localhost", e => Trusted(pki, e))).WaitAsync(Limit);

        Assert.Equal(version, connection.Protocol);
        Assert.True(TlsProfile.IsProfileSuite(connection.CipherSuite));
        Assert.Equal(await File.ReadAllBytesAsync(staple, TestContext.Current.CancellationToken), connection.Evidence.StapledOcspResponse);
        Assert.Equal(leaf.Certificate.RawData, connection.Evidence.Leaf.RawData);
    }

    [Fact]
    public async Task No_staple_when_the_server_has_none()
    {
        var openssl = OpenSsl.Require();
        using var pki = TestPki.Create("ecdsa");
        var leaf = pki.Issue("server");
        using var server = await OpenSsl.StartServerAsync(openssl, "-cert", leaf.CertPem, "-key", leaf.KeyPem, "-tls1_3");

        using var tcp = await ConnectAsync(server.Port);
        using var connection = await Task.Run(() => ProfileTlsClient.Connect(tcp.GetStream(), "localhost", e => Trusted(pki, e))).WaitAsync(Limit);

        Assert.Null(connection.Evidence.StapledOcspResponse);
    }

    [Theory]
    [InlineData(SslProtocols.Tls13)]
    [InlineData(SslProtocols.Tls12)]
    public async Task Refusal_by_the_callback_aborts_the_handshake(SslProtocols version)
    {
        using var pki = TestPki.Create("ecdsa");
        var options = TlsProfile.CreateServerOptions(pki.Issue("server").Certificate);
        options.EnabledSslProtocols = version;
        await using var server = TlsTestServer.Start(options);
        var called = 0;

        using var tcp = await ConnectAsync(server.Port);
        var connect = Task.Run(() => ProfileTlsClient.Connect(tcp.GetStream(), "localhost", _ => { called++; return false; }));

        var alert = await Assert.ThrowsAsync<TlsFatalAlert>(() => connect.WaitAsync(Limit));
        Assert.Equal(AlertDescription.bad_certificate, alert.AlertDescription);
        Assert.Equal(1, called);
        Assert.False((await server.NextOutcomeAsync()).Authenticated);
    }

    [Fact]
    public async Task Server_without_profile_suites_is_refused()
    {
        var openssl = OpenSsl.Require();
        using var pki = TestPki.Create("ecdsa");
        var leaf = pki.Issue("server");
        using var server = await OpenSsl.StartServerAsync(openssl, "-cert", leaf.CertPem, "-key", leaf.KeyPem, "-tls1_2", "-cipher", "ECDHE-ECDSA-AES128-SHA256");

        using var tcp = await ConnectAsync(server.Port);
        var connect = Task.Run(() => ProfileTlsClient.Connect(tcp.GetStream(), "localhost", e => Trusted(pki, e)));

        await Assert.ThrowsAnyAsync<IOException>(() => connect.WaitAsync(Limit));
    }

    [Theory]
    [InlineData(SslProtocols.Tls13)]
    [InlineData(SslProtocols.Tls12)]
    public async Task Client_certificate_satisfies_mutual_tls(SslProtocols version)
    {
        using var pki = TestPki.Create("ecdsa");
        var client = pki.Issue("device", eku: ProfileChainValidator.ClientAuthOid);
        var options = TlsProfile.CreateServerOptions(pki.Issue("server").Certificate, clientCertificates: new ClientCertificatePolicy(pki.Anchor));
        options.EnabledSslProtocols = version;
        await using var server = TlsTestServer.Start(options);

        using var tcp = await ConnectAsync(server.Port);
        using var connection = await Task.Run(() => ProfileTlsClient.Connect(tcp.GetStream(), "localhost", e => Trusted(pki, e), client.Certificate)).WaitAsync(Limit);
        var greeting = new byte[TlsTestServer.Greeting.Length];
        connection.Stream.ReadExactly(greeting);
        connection.Dispose();

        var outcome = await server.NextOutcomeAsync();
        Assert.True(outcome.Authenticated, outcome.Error?.ToString());
        Assert.True(outcome.HasClientCertificate);
        Assert.Equal(version, outcome.Protocol);
    }

    [Fact]
    public void Tls13_status_request_entry_is_unwrapped_and_checked()
    {
        Assert.Equal([0x30, 0x03, 0x0A, 0x01, 0x00], DeviceTlsClient.OcspFromCertificateStatus([1, 0, 0, 5, 0x30, 0x03, 0x0A, 0x01, 0x00]));
        Assert.Throws<TlsFatalAlert>(() => DeviceTlsClient.OcspFromCertificateStatus([2, 0, 0, 1, 0x30]));
        Assert.Throws<TlsFatalAlert>(() => DeviceTlsClient.OcspFromCertificateStatus([1, 0, 0, 9, 0x30, 0x03]));
    }

    private static bool Trusted(TestPki pki, TlsServerEvidence e) =>
        ProfileChainValidator.Validate(e.Leaf, pki.Anchor, e.Chain.Skip(1), DateTimeOffset.UtcNow, ProfileChainValidator.ServerAuthOid).IsValid;

    private static async Task<TcpClient> ConnectAsync(int port)
    {
        var tcp = new TcpClient { ReceiveTimeout = 15000, SendTimeout = 15000 };
        await tcp.ConnectAsync(IPAddress.Loopback, port);
        return tcp;
    }

    /// <summary>A real OCSPResponse (good) from <c>openssl ocsp</c> acting as responder over a one-line CA index.</summary>
    private static async Task<string> MakeStapleAsync(string openssl, TestPki pki, TestPki.Leaf leaf)
    {
        var index = Path.Combine(pki.Directory, "index.txt");
        var expiry = leaf.Certificate.NotAfter.ToUniversalTime().ToString("yyMMddHHmmss", System.Globalization.CultureInfo.InvariantCulture) + "Z";
        await File.WriteAllTextAsync(index, $"V\t{expiry}\t\t{leaf.Certificate.SerialNumber}\tunknown\t/CN=server\n");
        var response = Path.Combine(pki.Directory, "resp.der");
        var (exit, output) = await OpenSsl.RunAsync(openssl,
            ["ocsp", "-index", index, "-rsigner", pki.RootPem.Cert, "-rkey", pki.RootPem.Key, "-CA", pki.RootPem.Cert,
             "-issuer", pki.RootPem.Cert, "-cert", leaf.CertPem, "-respout", response, "-ndays", "1", "-no_nonce"]);
        Assert.True(exit == 0 && File.Exists(response), output);
        return response;
    }
}
