using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using M2MSec.Device.Dm;
using M2MSec.Device.M2me;
using M2MSec.Device.Tre;
using M2MSec.Dm.Auth;
using M2MSec.NetworkFunctions.Dm;
using M2MSec.NetworkFunctions.Hosting;
using M2MSec.Pki.Authority;
using M2MSec.Pki.Tls;
using M2MSec.Pki.Validation;
using M2MSec.Storage.Dm;
using M2MSec.Storage.InMemory;
using M2MSec.Tests.Pki.Tls;
using M2MSec.Tests.Pki.Validation;

namespace M2MSec.Tests.Dm;

/// <summary>
/// OCSP stapling end to end: the DM listener staples the answer .NET fetched from our OCSP
/// responder (openssl s_client sees it in TLS 1.2 and 1.3), and the device in stapled mode reads
/// it with its BouncyCastle client and decides on it — good, revoked, or none stapled at all.
/// </summary>
public sealed class DmStapledEndToEndTests : IAsyncLifetime
{
    private const string ServerId = "m2msec-dm";
    private static readonly TimeSpan StapleWait = TimeSpan.FromSeconds(10);
    private readonly string _dir = Directory.CreateTempSubdirectory("m2msec-dmstaple-").FullName;
    private readonly InMemoryStateStore _store = new();
    private CheckerFixture _pki = null!;

    public async ValueTask InitializeAsync() => _pki = await CheckerFixture.StartAsync();

    public async ValueTask DisposeAsync()
    {
        await _pki.DisposeAsync();
        Directory.Delete(_dir, recursive: true);
    }

    private Task<X509Certificate2> IssueAsync() =>
        _pki.Hierarchy.IssueAsync(CertificateProfile.DmServer, new CertificateSubject("localhost", ["127.0.0.1"]));

    private Task<NetworkFunctionHost> StartDmAsync(X509Certificate2 cert, bool stapling) =>
        NetworkFunctionHost.StartAsync(new DmFunction(new DmFunctionOptions()), Path.Combine(_dir, "dm-" + Guid.NewGuid().ToString("N")[..6]),
            _store, "https://127.0.0.1:0",
            tls: NetworkFunctionTls.ServerOnly(new RenewingCertificate(cert), [_pki.Hierarchy.Issuing], stapling: stapling, root: _pki.Hierarchy.Root));

    /// <summary>
    /// .NET fetches the staple in the background once the listener's certificate context exists; a
    /// handshake before that carries none. Handshakes (BouncyCastle, as the device) until one does.
    /// </summary>
    private static async Task<byte[]> WaitForStapleAsync(NetworkFunctionHost dm)
    {
        var deadline = DateTime.UtcNow + StapleWait;
        while (true)
        {
            using (var tcp = new TcpClient { ReceiveTimeout = 5000, SendTimeout = 5000 })
            {
                await tcp.ConnectAsync(dm.Address.Host, dm.Address.Port);
                using var connection = await Task.Run(() => ProfileTlsClient.Connect(tcp.GetStream(), "localhost", _ => true));
                if (connection.Evidence.StapledOcspResponse is { } staple)
                    return staple;
            }
            Assert.True(DateTime.UtcNow < deadline, $"the DM listener stapled nothing within {StapleWait.TotalSeconds} s");
            await Task.Delay(100);
        }
    }

    private async Task<(DmClient Client, DmHttpTransport Transport, M2meDevice Device)> DeviceAsync(NetworkFunctionHost dm)
    {
        var (device, _) = _pki.Device(TimeSpan.Zero);
        Assert.True(await _store.Dm.AddAccountAsync(new DmAccount(device.Info.TreId, ServerId, "dev", "client-secret"u8.ToArray(), "server-secret"u8.ToArray(),
            "md5", "md5", DateTimeOffset.UtcNow)));
        var checker = new ServerCertificateChecker(device.Tre.TrustAnchor(TreCaller.DeviceManagement, "dm")!, device.Tre.TrustedClock(TreCaller.DeviceManagement), null,
            (_, _, _) => throw new InvalidOperationException("stapled mode must not query the responder"));
        var server = new Uri(dm.Address, "/dm");
        var account = new DmClientAccount(ServerId, server, "dev", "client-secret"u8.ToArray(), "server-secret"u8.ToArray(), DmAuthScheme.Md5);
        return (new DmClient(device, account), new DmHttpTransport(server, checker, CheckMode.Stapled), device);
    }

    [Theory]
    [InlineData("-tls1_3")]
    [InlineData("-tls1_2")]
    public async Task StaplingListener_SendsTheRespondersAnswer_AsOpensslSeesIt(string version)
    {
        var openssl = OpenSsl.Require();
        var root = Path.Combine(_dir, "root.pem");
        await File.WriteAllTextAsync(root, _pki.Hierarchy.Root.ExportCertificatePem(), TestContext.Current.CancellationToken);
        var cert = await IssueAsync();
        await using var stapling = await StartDmAsync(cert, stapling: true);
        await using var plain = await StartDmAsync(cert, stapling: false);

        var deadline = DateTime.UtcNow + StapleWait;
        string output;
        while (true)
        {
            (_, output) = await OpenSsl.ClientAsync(openssl, stapling.Address.Port, root, "-status", version);
            if (output.Contains("OCSP Response Status: successful", StringComparison.Ordinal) || DateTime.UtcNow > deadline)
                break;
            await Task.Delay(100, TestContext.Current.CancellationToken);
        }
        Assert.Contains("OCSP Response Status: successful", output, StringComparison.Ordinal);
        Assert.Contains("Cert Status: good", output, StringComparison.Ordinal);
        Assert.Contains($"Serial Number: {cert.SerialNumber}", output, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("Verify return code: 0 (ok)", output, StringComparison.Ordinal);
        Assert.Contains(version == "-tls1_3" ? "TLSv1.3" : "TLSv1.2", output, StringComparison.Ordinal);

        var (_, none) = await OpenSsl.ClientAsync(openssl, plain.Address.Port, root, "-status", version);
        Assert.Contains("OCSP response: no response sent", none, StringComparison.Ordinal);
    }

    [Fact]
    public async Task StapledMode_SessionCompletes_OnTheServersStaple()
    {
        await using var dm = await StartDmAsync(await IssueAsync(), stapling: true);
        await WaitForStapleAsync(dm);
        var (client, transport, device) = await DeviceAsync(dm);
        var id = Guid.NewGuid().ToString("N");
        await _store.Dm.AddJobAsync(new DmJobRecord(id, device.Info.TreId, "queued", DateTimeOffset.UtcNow, DateTimeOffset.UtcNow,
            [new DmCommandRecord(id, 1, "replace", "./NASConfig/NAS_SignallingPriority", "1", null, null)]));
        using (transport)
        {
            var outcome = await client.RunSessionAsync(transport.ExchangeAsync, TestContext.Current.CancellationToken);
            Assert.True(outcome.Completed, outcome.Detail);
            Assert.True(transport.LastVerdict!.Accepted, transport.LastVerdict.Detail);
            Assert.Equal(CheckMode.Stapled, transport.LastVerdict.Mode);
            Assert.StartsWith("staple good", transport.LastVerdict.Detail, StringComparison.Ordinal);
        }
        Assert.Equal("done", Assert.Single(await _store.Dm.ListJobsAsync(device.Info.TreId)).State);
    }

    [Fact]
    public async Task StapledMode_RevokedCertificate_IsRefusedAsRevoked_OnceTheServerStaplesTheRevocation()
    {
        var cert = await IssueAsync();
        await using (var before = await StartDmAsync(cert, stapling: true))
        {
            await WaitForStapleAsync(before);
            Assert.True(await _pki.Hierarchy.RevokeAsync(M2MSec.Pki.CertificateSerial.Of(cert), 1));
            // The running listener keeps its "good" staple until .NET refreshes it (5 min before nextUpdate):
            // within that window the device, which asks no one, accepts — the reason ocsp-nonce stays the default.
            var (client, transport, _) = await DeviceAsync(before);
            using (transport)
            {
                var outcome = await client.RunSessionAsync(transport.ExchangeAsync, TestContext.Current.CancellationToken);
                Assert.True(outcome.Completed, outcome.Detail);
                Assert.True(transport.LastVerdict!.Accepted);
            }
        }

        // A listener started after the revocation fetches (and staples) the revoked answer.
        await using var after = await StartDmAsync(cert, stapling: true);
        await WaitForStapleAsync(after);
        var (refusing, refused, _) = await DeviceAsync(after);
        using (refused)
        {
            await Assert.ThrowsAsync<HttpRequestException>(() => refusing.RunSessionAsync(refused.ExchangeAsync, TestContext.Current.CancellationToken));
            Assert.Equal(RefusalReason.Revoked, refused.LastVerdict!.Reason);
        }
    }

    [Fact]
    public async Task StapledMode_ServerWithoutStapling_IsRefusedWithNoStaple()
    {
        await using var dm = await StartDmAsync(await IssueAsync(), stapling: false);
        var (client, transport, _) = await DeviceAsync(dm);
        using (transport)
        {
            var e = await Assert.ThrowsAsync<HttpRequestException>(() => client.RunSessionAsync(transport.ExchangeAsync, TestContext.Current.CancellationToken));
            Assert.Equal(RefusalReason.NoStaple, transport.LastVerdict!.Reason);
            Assert.IsType<Org.BouncyCastle.Tls.TlsFatalAlert>(e.InnerException);
        }
    }

    [Fact]
    public void Stapling_NeedsTheRoot_AndStapledModeOffersNoResumption()
    {
        using var key = System.Security.Cryptography.ECDsa.Create();
        var self = new CertificateRequest("CN=x", key, System.Security.Cryptography.HashAlgorithmName.SHA256).CreateSelfSigned(DateTimeOffset.UtcNow, DateTimeOffset.UtcNow.AddDays(1));
        Assert.Throws<ArgumentException>(() => NetworkFunctionTls.ServerOnly(new RenewingCertificate(self), stapling: true));
        var checker = new ServerCertificateChecker(self, new HostTrustedClock(TimeProvider.System));
        Assert.Throws<ArgumentException>(() => new DmHttpTransport(new Uri("https://localhost:1/dm"), checker, CheckMode.Stapled, tlsResumption: true));
    }
}
