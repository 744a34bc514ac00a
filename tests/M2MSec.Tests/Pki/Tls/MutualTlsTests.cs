using System.Collections.Concurrent;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Text;
using M2MSec.Pki.Tls;
using M2MSec.Pki.Validation;

namespace M2MSec.Tests.Pki.Tls;

/// <summary>Mutual TLS under the profile (TS 33.210 §6.2.3): the server requires a client certificate from the provisioned root.</summary>
public sealed class MutualTlsTests
{
    private sealed class Fixture : IDisposable
    {
        public TestPki Pki { get; } = TestPki.Create("ca");
        public ConcurrentQueue<ChainVerdict> Verdicts { get; } = new();

        public Microsoft.Extensions.Time.Testing.FakeTimeProvider Clock { get; } = new(DateTimeOffset.UtcNow);

        public TlsTestServer StartServer() =>
            TlsTestServer.Start(TlsProfile.CreateServerOptions(Pki.Issue("server").Certificate, clientCertificates:
                new ClientCertificatePolicy(Pki.Anchor, time: Clock) { OnVerdict = Verdicts.Enqueue }));

        public void Dispose() => Pki.Dispose();
    }

    [Theory]
    [InlineData("-tls1_3")]
    [InlineData("-tls1_2")]
    public async Task OpenSsl_client_certificate_from_the_provisioned_root_is_accepted(string flag)
    {
        var openssl = OpenSsl.Require();
        using var f = new Fixture();
        var client = f.Pki.Issue("client", eku: ProfileChainValidator.ClientAuthOid);
        await using var server = f.StartServer();

        var (_, output) = await OpenSsl.ClientAsync(openssl, server.Port, f.Pki.RootPem.Cert, flag, "-cert", client.CertPem, "-key", client.KeyPem);

        Assert.Contains("Verify return code: 0 (ok)", output);
        var outcome = await server.NextOutcomeAsync();
        Assert.True(outcome.Authenticated, outcome.Error?.ToString());
        Assert.True(outcome.HasClientCertificate);
        Assert.True(Assert.Single(f.Verdicts).IsValid);
    }

    [Theory]
    [InlineData("-tls1_3")]
    [InlineData("-tls1_2")]
    public async Task OpenSsl_client_certificate_from_another_root_is_refused(string flag)
    {
        var openssl = OpenSsl.Require();
        using var f = new Fixture();
        using var other = TestPki.Create("other");
        var client = other.Issue("client", eku: ProfileChainValidator.ClientAuthOid);
        await using var server = f.StartServer();

        await OpenSsl.ClientAsync(openssl, server.Port, f.Pki.RootPem.Cert, flag, "-cert", client.CertPem, "-key", client.KeyPem);

        var outcome = await server.NextOutcomeAsync();
        Assert.False(outcome.Authenticated);
        Assert.IsType<AuthenticationException>(outcome.Error);
        Assert.Equal(RefusalReason.UntrustedRoot, Assert.Single(f.Verdicts).Reason);
    }

    [Theory]
    [InlineData("-tls1_3")]
    [InlineData("-tls1_2")]
    public async Task OpenSsl_without_client_certificate_is_refused(string flag)
    {
        var openssl = OpenSsl.Require();
        using var f = new Fixture();
        await using var server = f.StartServer();

        await OpenSsl.ClientAsync(openssl, server.Port, f.Pki.RootPem.Cert, flag);

        var outcome = await server.NextOutcomeAsync();
        Assert.False(outcome.Authenticated);
        Assert.False(Assert.Single(f.Verdicts).IsValid);
    }

    [Fact]
    public async Task Client_certificate_without_clientAuth_eku_is_refused()
    {
        var openssl = OpenSsl.Require();
        using var f = new Fixture();
        var client = f.Pki.Issue("client", eku: ProfileChainValidator.ServerAuthOid);
        await using var server = f.StartServer();

        await OpenSsl.ClientAsync(openssl, server.Port, f.Pki.RootPem.Cert, "-tls1_2", "-cert", client.CertPem, "-key", client.KeyPem);

        Assert.False((await server.NextOutcomeAsync()).Authenticated);
        Assert.Equal(RefusalReason.WrongUsage, Assert.Single(f.Verdicts).Reason);
    }

    [Fact]
    public async Task DotNet_client_with_profile_options_completes_mutual_tls()
    {
        using var f = new Fixture();
        var client = f.Pki.Issue("client", eku: ProfileChainValidator.ClientAuthOid);
        await using var server = f.StartServer();
        var serverVerdicts = new ConcurrentQueue<ChainVerdict>();

        using var tcp = new TcpClient();
        await tcp.ConnectAsync(IPAddress.Loopback, server.Port);
        await using var ssl = new SslStream(tcp.GetStream());
        var options = TlsProfile.CreateClientOptions("localhost", ProfileChainValidator.ServerCallback(f.Pki.Anchor, onVerdict: serverVerdicts.Enqueue), client.Certificate);
        await ssl.AuthenticateAsClientAsync(options, TestContext.Current.CancellationToken);
        var buffer = new byte[TlsTestServer.Greeting.Length];
        await ssl.ReadExactlyAsync(buffer, TestContext.Current.CancellationToken);
        var protocol = ssl.SslProtocol;
        var suite = ssl.NegotiatedCipherSuite;
        ssl.Close();

        Assert.Equal(TlsTestServer.Greeting, Encoding.ASCII.GetString(buffer));
        Assert.Equal(SslProtocols.Tls13, protocol);
        Assert.True(TlsProfile.IsProfileSuite(suite));
        Assert.True(Assert.Single(serverVerdicts).IsValid);
        var outcome = await server.NextOutcomeAsync();
        Assert.True(outcome.Authenticated, outcome.Error?.ToString());
        Assert.True(outcome.HasClientCertificate);
    }

    [Fact]
    public async Task DotNet_client_refuses_a_server_from_another_root()
    {
        using var f = new Fixture();
        using var other = TestPki.Create("other");
        await using var server = f.StartServer();
        var verdicts = new ConcurrentQueue<ChainVerdict>();

        using var tcp = new TcpClient();
        await tcp.ConnectAsync(IPAddress.Loopback, server.Port);
        await using var ssl = new SslStream(tcp.GetStream());
        var options = TlsProfile.CreateClientOptions("localhost", ProfileChainValidator.ServerCallback(other.Anchor, onVerdict: verdicts.Enqueue));

        await Assert.ThrowsAsync<AuthenticationException>(() => ssl.AuthenticateAsClientAsync(options, TestContext.Current.CancellationToken));
        Assert.Equal(RefusalReason.UntrustedRoot, Assert.Single(verdicts).Reason);
    }
}
