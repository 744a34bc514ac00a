using System.Security.Cryptography;
using M2MSec.Aka;
using M2MSec.Device.Dm;
using M2MSec.Device.Power;
using M2MSec.Device.Tre;
using M2MSec.Device.Triggering;
using M2MSec.Dm.Auth;
using M2MSec.Nas.Trigger;
using M2MSec.NetworkFunctions.Dm;
using M2MSec.NetworkFunctions.Hosting;
using M2MSec.Pki.Authority;
using M2MSec.Pki.Tls;
using M2MSec.Pki.Validation;
using M2MSec.Storage.Dm;
using M2MSec.Storage.InMemory;
using M2MSec.Tests.Pki.Validation;

namespace M2MSec.Tests.Triggering;

/// <summary>
/// Issue 17: a DM-session trigger really runs the DM session on the device (<see cref="DmTriggerActions"/>) — a client-initiated session
/// with the DM server the device has an account with, over HTTPS (the server's certificate checked by OCSP with a nonce), executing the
/// job queued for it; the bytes it sends count on the battery (decision 026). A fake trigger starts nothing.
/// </summary>
[Collection(Support.TlsSessionCacheCollection.Name)]
public sealed class DmTriggerTests : IAsyncLifetime
{
    private const string ServerId = "m2msec-dm";
    private const string Plmn = "00102";
    private readonly string _dir = Directory.CreateTempSubdirectory("m2msec-dmtrigger-").FullName;
    private readonly InMemoryStateStore _store = new();
    private CheckerFixture _pki = null!;
    private NetworkFunctionHost _dm = null!;

    public async ValueTask InitializeAsync()
    {
        _pki = await CheckerFixture.StartAsync();
        var cert = await _pki.Hierarchy.IssueAsync(CertificateProfile.DmServer, new CertificateSubject("localhost", ["127.0.0.1"]));
        _dm = await NetworkFunctionHost.StartAsync(new DmFunction(new DmFunctionOptions()), Path.Combine(_dir, "dm"), _store, "https://127.0.0.1:0",
            tls: NetworkFunctionTls.ServerOnly(new RenewingCertificate(cert), [_pki.Hierarchy.Issuing]));
    }

    public async ValueTask DisposeAsync()
    {
        await _dm.DisposeAsync();
        await _pki.DisposeAsync();
        Directory.Delete(_dir, recursive: true);
    }

    [Fact]
    public async Task DmSessionTrigger_RunsTheDmSessionOnTheDevice_ExecutesItsQueuedJob_BytesSentCounted_FakeTriggerStartsNothing()
    {
        var ct = TestContext.Current.CancellationToken;
        var (device, _) = _pki.Device(TimeSpan.Zero);
        Assert.True(await _store.Dm.AddAccountAsync(new DmAccount(device.Info.TreId, ServerId, "dev", "client-secret"u8.ToArray(), "server-secret"u8.ToArray(),
            "md5", "md5", DateTimeOffset.UtcNow), ct));
        var jobId = Guid.NewGuid().ToString("N");
        await _store.Dm.AddJobAsync(new DmJobRecord(jobId, device.Info.TreId, "queued", DateTimeOffset.UtcNow, DateTimeOffset.UtcNow,
        [
            new DmCommandRecord(jobId, 1, "replace", "./NASConfig/NAS_SignallingPriority", "1", null, null),
            new DmCommandRecord(jobId, 2, "get", "./NASConfig/NAS_SignallingPriority", null, null, null),
        ]), ct);
        // The device's last EPS NAS security context, as an attach leaves it in the TRE.
        var kasme = RandomNumberGenerator.GetBytes(32);
        device.Tre.StoreNasContext(TreCaller.Network, Plmn, kasme);
        var server = new Uri(_dm.Address, "/dm");
        var account = new DmClientAccount(ServerId, server, "dev", "client-secret"u8.ToArray(), "server-secret"u8.ToArray(), DmAuthScheme.Md5, DmAuthScheme.Md5);
        var checker = new ServerCertificateChecker(device.Tre.TrustAnchor(TreCaller.DeviceManagement, "dm")!, device.Tre.TrustedClock(TreCaller.DeviceManagement), null,
            _pki.PostAsync);
        using var transport = new DmHttpTransport(server, checker, CheckMode.OcspNonce);
        var battery = new BatteryMeter();
        var actions = new DmTriggerActions(device, account, transport.ExchangeAsync, battery);
        var receiver = new TriggerReceiver(new TreNasContextHolder(device.Tre), battery);

        // A fake network's trigger (a key it guessed): dropped at the paging check, no session.
        var fake = ProtectedTrigger.Protect(RandomNumberGenerator.GetBytes(16), 0, new TriggerIndication(Plmn, 1, TriggerAction.DmSession, ReadOnlyMemory<byte>.Empty));
        Assert.False((await ServingNetworkClient.HandleAsync(receiver, actions, fake, "paging", ct)).Outcome.IsAccepted);
        Assert.Empty(actions.Sessions);
        Assert.Equal(0, battery.Reading.BytesSent);

        var genuine = ProtectedTrigger.Protect(NasKeys.KnasInt(kasme), 0, new TriggerIndication(Plmn, 2, TriggerAction.DmSession, ReadOnlyMemory<byte>.Empty));
        var (outcome, _) = await ServingNetworkClient.HandleAsync(receiver, actions, genuine, "paging", ct);

        Assert.True(outcome.IsAccepted, outcome.Detail);
        var session = Assert.Single(actions.Sessions);
        Assert.True(session.Completed, session.Detail);
        Assert.True(transport.LastVerdict!.Accepted);
        var job = Assert.Single(await _store.Dm.ListJobsAsync(device.Info.TreId, ct));
        Assert.Equal(("done", "1"), (job.State, job.Commands[1].Results));
        // What the device sent in the session is counted (decision 026: energy per byte sent).
        var reading = battery.Reading;
        Assert.True(reading.BytesSent > 200, $"{reading.BytesSent} bytes");
        Assert.Equal(1, reading.ConnectionSetups);
    }
}
