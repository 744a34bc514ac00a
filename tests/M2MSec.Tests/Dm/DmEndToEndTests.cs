using System.Security.Cryptography.X509Certificates;
using M2MSec.Device.Dm;
using M2MSec.Device.M2me;
using M2MSec.Device.Tre;
using M2MSec.Dm.Auth;
using M2MSec.Dm.SyncMl;
using M2MSec.Nas;
using M2MSec.NetworkFunctions.Dm;
using M2MSec.NetworkFunctions.Hosting;
using M2MSec.Pki.Authority;
using M2MSec.Pki.Tls;
using M2MSec.Pki.Validation;
using M2MSec.Storage.Dm;
using M2MSec.Storage.InMemory;
using M2MSec.Tests.Pki.Validation;

namespace M2MSec.Tests.Dm;

/// <summary>
/// Device and DM server end to end over HTTPS: the device checks the server certificate with its
/// TRE-held root (OCSP with a nonce), authenticates the server by auth-md5, applies NAS
/// configuration values it accepts and refuses the rest, and the server records the read-back.
/// </summary>
[Collection(Support.TlsSessionCacheCollection.Name)]
public sealed class DmEndToEndTests : IAsyncLifetime
{
    private const string ServerId = "m2msec-dm";
    private readonly string _dir = Directory.CreateTempSubdirectory("m2msec-dme2e-").FullName;
    private readonly InMemoryStateStore _store = new();
    private CheckerFixture _pki = null!;
    private NetworkFunctionHost _dm = null!;

    public async ValueTask InitializeAsync()
    {
        _pki = await CheckerFixture.StartAsync();
        var cert = await _pki.Hierarchy.IssueAsync(CertificateProfile.DmServer, new CertificateSubject("localhost", ["127.0.0.1"]));
        _dm = await StartDmAsync(cert, [_pki.Hierarchy.Issuing]);
    }

    public async ValueTask DisposeAsync()
    {
        await _dm.DisposeAsync();
        await _pki.DisposeAsync();
        Directory.Delete(_dir, recursive: true);
    }

    // The hosts share one in-memory store (its disposal is a no-op).
    private Task<NetworkFunctionHost> StartDmAsync(X509Certificate2 cert, X509Certificate2Collection chain) =>
        NetworkFunctionHost.StartAsync(new DmFunction(new DmFunctionOptions()), Path.Combine(_dir, "dm-" + Guid.NewGuid().ToString("N")[..6]),
            _store, "https://127.0.0.1:0", tls: NetworkFunctionTls.ServerOnly(new RenewingCertificate(cert), chain));

    private async Task<M2meDevice> DeviceWithAccountAsync(TimeSpan clockOffset = default, string auth = "md5")
    {
        var (device, _) = _pki.Device(clockOffset);
        Assert.True(await _store.Dm.AddAccountAsync(new DmAccount(device.Info.TreId, ServerId, "dev", "client-secret"u8.ToArray(), "server-secret"u8.ToArray(),
            auth, auth, DateTimeOffset.UtcNow)));
        return device;
    }

    private async Task QueueAsync(string devId, params (string Verb, string Uri, string? Value)[] commands)
    {
        var id = Guid.NewGuid().ToString("N");
        await _store.Dm.AddJobAsync(new DmJobRecord(id, devId, "queued", DateTimeOffset.UtcNow, DateTimeOffset.UtcNow,
            [.. commands.Select((c, i) => new DmCommandRecord(id, i + 1, c.Verb, c.Uri, c.Value, null, null))]));
    }

    private (DmClient Client, DmHttpTransport Transport) Client(M2meDevice device, NetworkFunctionHost dm, CheckMode mode = CheckMode.OcspNonce,
        DmAuthScheme auth = DmAuthScheme.Md5)
    {
        var root = device.Tre.TrustAnchor(TreCaller.DeviceManagement, "dm")!;
        var checker = new ServerCertificateChecker(root, device.Tre.TrustedClock(TreCaller.DeviceManagement), null, _pki.PostAsync);
        var server = new Uri(dm.Address, "/dm");
        var account = new DmClientAccount(ServerId, server, "dev", "client-secret"u8.ToArray(), "server-secret"u8.ToArray(), auth, auth);
        return (new DmClient(device, account), new DmHttpTransport(server, checker, mode));
    }

    [Fact]
    public async Task NasConfiguration_OverDmTls_AppliedInTheTre_WithReadBack_AndOutOfRangeRefused()
    {
        var device = await DeviceWithAccountAsync();
        await QueueAsync(device.Info.TreId,
            ("replace", "./NASConfig/NAS_SignallingPriority", "1"),
            ("replace", "./NASConfig/AttachWithIMSI", "7"), // a bool: refused, not applied
            ("get", "./NASConfig/NAS_SignallingPriority", null));
        var (client, transport) = Client(device, _dm);
        using (transport)
        {
            var outcome = await client.RunSessionAsync(transport.ExchangeAsync, TestContext.Current.CancellationToken);
            Assert.True(outcome.Completed, outcome.Detail);
            Assert.Equal(1, outcome.CommandsRefused);
            Assert.True(transport.LastVerdict!.Accepted);
        }
        var nas = device.ReadNasConfiguration(TreCaller.DeviceManagement);
        Assert.Equal(1, nas.Values.Single(v => v.Parameter == NasParameters.NasSignallingPriority).Value);
        Assert.DoesNotContain(nas.Values, v => v.Parameter.Leaf == "AttachWithIMSI");
        var job = Assert.Single(await _store.Dm.ListJobsAsync(device.Info.TreId));
        Assert.Equal([200, 405, 200], job.Commands.Select(c => c.Status));
        Assert.Equal("1", job.Commands[2].Results);
        Assert.Equal("failed", job.State); // one command refused
    }

    [Fact]
    public async Task ResumedTlsSession_StillChecksTheServerCertificate_WithAFreshOcspNonce()
    {
        var cert = await _pki.Hierarchy.IssueAsync(CertificateProfile.DmServer, new CertificateSubject("localhost", ["127.0.0.1"]));
        await using var dm = await NetworkFunctionHost.StartAsync(new DmFunction(new DmFunctionOptions()), Path.Combine(_dir, "dm-resume"), _store,
            "https://127.0.0.1:0", tls: NetworkFunctionTls.ServerOnly(new RenewingCertificate(cert), [_pki.Hierarchy.Issuing], resumption: true));
        var device = await DeviceWithAccountAsync();
        var ocspQueries = 0;
        var checker = new ServerCertificateChecker(device.Tre.TrustAnchor(TreCaller.DeviceManagement, "dm")!, device.Tre.TrustedClock(TreCaller.DeviceManagement), null,
            (url, request, ct) =>
            {
                Interlocked.Increment(ref ocspQueries);
                return _pki.PostAsync(url, request, ct);
            });
        // .NET resumes only to a host name (its client cache is keyed by name, never an IP address).
        var server = new UriBuilder(dm.Address) { Host = "localhost", Path = "/dm" }.Uri;
        var account = new DmClientAccount(ServerId, server, "dev", "client-secret"u8.ToArray(), "server-secret"u8.ToArray(), DmAuthScheme.Md5);
        var resumed = new List<bool?>();
        for (var i = 0; i < 3; i++)
        {
            using var transport = new DmHttpTransport(server, checker, CheckMode.OcspNonce, tlsResumption: true,
                onHandshake: tls => resumed.Add(M2MSec.Cli.Bench.TlsResumptionProbe.IsResumed(tls)));
            var outcome = await new DmClient(device, account).RunSessionAsync(transport.ExchangeAsync, TestContext.Current.CancellationToken);
            Assert.True(outcome.Completed, outcome.Detail);
            Assert.True(transport.LastVerdict!.Accepted);
        }
        Assert.Null(M2MSec.Cli.Bench.TlsResumptionProbe.Unavailable);
        // A new connection per session: the first handshake full, the next two resumed — and the
        // certificate check with its OCSP round trip ran on every one of them.
        Assert.Equal([false, true, true], resumed);
        Assert.Equal(3, ocspQueries);
    }

    [Fact]
    public async Task OcspCheck_WaitsOnAHandshakeThread_NotOnAPoolThread_PoolStarvationThreat()
    {
        // Decision 058: the certificate callback waits for the OCSP answer; on a pool thread (before), a responder in the same
        // process could need that very thread to answer — with the pool capped at 12, demo devices failed.
        var device = await DeviceWithAccountAsync();
        await QueueAsync(device.Info.TreId, ("replace", "./NASConfig/NAS_SignallingPriority", "1"));
        var asked = new List<(bool Pool, string? Name)>();
        var checker = new ServerCertificateChecker(device.Tre.TrustAnchor(TreCaller.DeviceManagement, "dm")!, device.Tre.TrustedClock(TreCaller.DeviceManagement), null,
            (url, request, ct) =>
            {
                lock (asked)
                    asked.Add((Thread.CurrentThread.IsThreadPoolThread, Thread.CurrentThread.Name));
                return _pki.PostAsync(url, request, ct);
            });
        var account = new DmClientAccount(ServerId, new Uri(_dm.Address, "/dm"), "dev", "client-secret"u8.ToArray(), "server-secret"u8.ToArray(), DmAuthScheme.Md5);
        using var transport = new DmHttpTransport(account.ServerUri, checker, CheckMode.OcspNonce);
        var outcome = await new DmClient(device, account).RunSessionAsync(transport.ExchangeAsync, TestContext.Current.CancellationToken);
        Assert.True(outcome.Completed, outcome.Detail);
        Assert.True(transport.LastVerdict!.Accepted);
        Assert.Equal([(false, DmHttpTransport.HandshakeThreadName)], asked);
    }

    [Fact]
    public async Task AuthMac_BothWays_OverHttps_TheHeaderTravelsInHttp()
    {
        var device = await DeviceWithAccountAsync(auth: "hmac");
        await QueueAsync(device.Info.TreId, ("replace", "./NASConfig/NAS_SignallingPriority", "1"), ("get", "./NASConfig/NAS_SignallingPriority", null));
        var (client, transport) = Client(device, _dm, auth: DmAuthScheme.Hmac);
        var headers = new List<string?>();
        using (transport)
        {
            var outcome = await client.RunSessionAsync(async (m, ct) =>
            {
                Assert.NotNull(m.Hmac);
                var reply = await transport.ExchangeAsync(m, ct);
                headers.Add(reply.Hmac);
                return reply;
            }, TestContext.Current.CancellationToken);
            Assert.True(outcome.Completed, outcome.Detail);
        }
        // The first answer is the challenge (no server MAC to a peer that has not authenticated, issue 13 item 6).
        Assert.Null(headers[0]);
        Assert.All(headers.Skip(1), h => Assert.StartsWith($"algorithm=MD5, username=\"{ServerId}\", mac=", h, StringComparison.Ordinal));
        var job = Assert.Single(await _store.Dm.ListJobsAsync(device.Info.TreId));
        Assert.Equal("done", job.State);
        Assert.True(DmJobReadBack.Verified(job, job.Commands[0]));
    }

    [Fact]
    public async Task ReplayedServerMessage_IsRefused_NothingApplied()
    {
        var device = await DeviceWithAccountAsync();
        await QueueAsync(device.Info.TreId, ("replace", "./NASConfig/NAS_SignallingPriority", "1"));
        SyncMlWireMessage? recorded = null;
        var (client, transport) = Client(device, _dm);
        using (transport)
        {
            var first = await client.RunSessionAsync(async (m, ct) =>
            {
                var reply = await transport.ExchangeAsync(m, ct);
                recorded ??= reply;
                return reply;
            }, TestContext.Current.CancellationToken);
            Assert.True(first.Completed, first.Detail);
        }
        device.WriteNasConfiguration(TreCaller.DeviceManagement, NasConfiguration.Empty);

        // A man in the middle answers the next session with the server's recorded package 2.
        var replay = await client.RunSessionAsync((_, _) => Task.FromResult(recorded!), TestContext.Current.CancellationToken);
        Assert.False(replay.Completed);
        Assert.Contains("did not authenticate", replay.Detail, StringComparison.Ordinal);
        Assert.Empty(device.ReadNasConfiguration(TreCaller.DeviceManagement).Values);
    }

    [Fact]
    public async Task ServerWithAnotherCasCertificate_IsRefusedAtTheHandshake()
    {
        var other = await CertificateHierarchy.InitAsync(new InMemoryCertificateStore(TimeProvider.System), "operator", KeyAlgorithm.EcP256, null, TimeProvider.System);
        var forged = await other.IssueAsync(CertificateProfile.DmServer, new CertificateSubject("localhost", ["127.0.0.1"]));
        await using var mitm = await StartDmAsync(forged, [other.Issuing]);
        var device = await DeviceWithAccountAsync();
        var (client, transport) = Client(device, mitm);
        using (transport)
        {
            await Assert.ThrowsAsync<HttpRequestException>(() => client.RunSessionAsync(transport.ExchangeAsync, TestContext.Current.CancellationToken));
            Assert.Equal(RefusalReason.UntrustedRoot, transport.LastVerdict!.Reason);
        }
    }

    [Fact]
    public async Task RevokedServerCertificate_AndExpiredOneWithTheClockBack_AreRefused()
    {
        var revoked = await _pki.Hierarchy.IssueAsync(CertificateProfile.DmServer, new CertificateSubject("localhost", ["127.0.0.1"]));
        Assert.True(await _pki.Hierarchy.RevokeAsync(M2MSec.Pki.CertificateSerial.Of(revoked), 1));
        await using (var dm = await StartDmAsync(revoked, [_pki.Hierarchy.Issuing]))
        {
            var device = await DeviceWithAccountAsync();
            var (client, transport) = Client(device, dm);
            using (transport)
            {
                await Assert.ThrowsAsync<HttpRequestException>(() => client.RunSessionAsync(transport.ExchangeAsync, TestContext.Current.CancellationToken));
                Assert.Equal(RefusalReason.Revoked, transport.LastVerdict!.Reason);
            }
        }

        var expired = await _pki.DmServerAsync(TimeSpan.FromDays(3), TimeSpan.FromDays(1));
        using var expiredWithKey = X509CertificateLoader.LoadPkcs12(expired.Export(X509ContentType.Pkcs12), null);
        await using (var dm = await StartDmAsync(expiredWithKey, [_pki.Hierarchy.Issuing]))
        {
            var device = await DeviceWithAccountAsync(TimeSpan.FromDays(-2.5)); // its clock is behind: it alone would not see the expiry
            var (client, transport) = Client(device, dm);
            using (transport)
            {
                await Assert.ThrowsAsync<HttpRequestException>(() => client.RunSessionAsync(transport.ExchangeAsync, TestContext.Current.CancellationToken));
                Assert.Equal(RefusalReason.ExpiredAtTrustedTime, transport.LastVerdict!.Reason);
            }
        }
    }
}
