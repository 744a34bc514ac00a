using System.Collections.Concurrent;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
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

    /// <summary>
    /// .NET builds a chain before every validation callback; the profile's options make it trust nothing and consult nothing
    /// (not the system's roots, which cost ≈ 0.5 ms a handshake, issue 19), so a callback that took .NET's verdict for its
    /// own would refuse a server that the system's store — or anything but the profile check — vouched for.
    /// </summary>
    [Fact]
    public async Task DotNetsOwnChain_TrustsNothing_OnlyTheProfileCheckCanAccept_SystemTrustStoreThreat()
    {
        using var f = new Fixture();
        var client = f.Pki.Issue("client", eku: ProfileChainValidator.ClientAuthOid);
        await using var server = f.StartServer();
        X509ChainPolicy? seen = null;
        var errorsSeen = SslPolicyErrors.None;

        using var tcp = new TcpClient();
        await tcp.ConnectAsync(IPAddress.Loopback, server.Port);
        await using var ssl = new SslStream(tcp.GetStream());
        var options = TlsProfile.CreateClientOptions("localhost", (_, _, chain, errors) =>
        {
            seen = chain?.ChainPolicy;
            errorsSeen = errors;
            return errors == SslPolicyErrors.None; // a callback that trusts .NET's verdict
        }, client.Certificate);

        await Assert.ThrowsAsync<AuthenticationException>(() => ssl.AuthenticateAsClientAsync(options, TestContext.Current.CancellationToken));
        Assert.Equal(SslPolicyErrors.RemoteCertificateChainErrors, errorsSeen);
        Assert.NotNull(seen);
        Assert.Equal(X509ChainTrustMode.CustomRootTrust, seen.TrustMode);
        Assert.Empty(seen.CustomTrustStore);
        Assert.True(seen.DisableCertificateDownloads);
        Assert.Contains(seen.ExtraStore, c => c.Subject.Contains("CN=server", StringComparison.Ordinal)); // what the server sent, for the profile check

        var serverPolicy = TlsProfile.CreateServerOptions(f.Pki.Issue("server2").Certificate, clientCertificates: new ClientCertificatePolicy(f.Pki.Anchor)).CertificateChainPolicy;
        Assert.NotNull(serverPolicy);
        Assert.Equal(X509ChainTrustMode.CustomRootTrust, serverPolicy.TrustMode);
        Assert.Empty(serverPolicy.CustomTrustStore);
    }

    /// <summary>The name check still comes from .NET's own chain, which trusts nothing now: a valid certificate for another name is refused.</summary>
    [Fact]
    public async Task ProfileCallback_RefusesAValidCertificateForAnotherName_ServerImpersonationThreat()
    {
        using var f = new Fixture();
        var client = f.Pki.Issue("client", eku: ProfileChainValidator.ClientAuthOid);
        await using var server = f.StartServer();
        var verdicts = new ConcurrentQueue<ChainVerdict>();

        using var tcp = new TcpClient();
        await tcp.ConnectAsync(IPAddress.Loopback, server.Port);
        await using var ssl = new SslStream(tcp.GetStream());
        var options = TlsProfile.CreateClientOptions("dm.elsewhere.example", ProfileChainValidator.ServerCallback(f.Pki.Anchor, onVerdict: verdicts.Enqueue), client.Certificate);

        await Assert.ThrowsAsync<AuthenticationException>(() => ssl.AuthenticateAsClientAsync(options, TestContext.Current.CancellationToken));
        var verdict = Assert.Single(verdicts);
        Assert.Equal(RefusalReason.WrongUsage, verdict.Reason);
        Assert.Contains("name mismatch", verdict.Detail, StringComparison.Ordinal);
    }
}
