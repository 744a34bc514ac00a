using M2MSec.Device.Tre;
using M2MSec.Pki.Authority;
using M2MSec.Pki.Ocsp;
using M2MSec.Pki.Validation;
using M2MSec.Storage.InMemory;

namespace M2MSec.Tests.Pki.Validation;

/// <summary>
/// The device's check of the DM server certificate against the real OCSP network function, with
/// the TRE's secure clock: each refusal reason of the issue, and the expired-but-unrevoked case
/// that motivates the nonce (seed 001).
/// </summary>
public sealed class ServerCertificateCheckerTests : IAsyncLifetime
{
    private CheckerFixture _f = null!;

    public async ValueTask InitializeAsync() => _f = await CheckerFixture.StartAsync();

    public ValueTask DisposeAsync() => _f.DisposeAsync();

    [Fact]
    public async Task OcspNonce_Good_AcceptedAtProducedAt_AndTheTreClockMovesForward()
    {
        using var cert = await _f.DmServerAsync(TimeSpan.FromHours(1), TimeSpan.FromDays(7));
        var (device, _) = _f.Device(TimeSpan.FromHours(-2));
        var before = device.Tre.Now();
        var verdict = await _f.Checker(device.Tre.TrustedClock(TreCaller.DeviceManagement)).CheckAsync(CheckMode.OcspNonce, cert, _f.Chain);
        Assert.True(verdict.Accepted, verdict.Detail);
        Assert.True(verdict.TrustedTime > before.AddHours(1.9));
        Assert.True(device.Tre.Now() >= verdict.TrustedTime, "the secure clock took the responder's signed time");
    }

    [Fact]
    public async Task ExpiredButNeverRevoked_WithTheDeviceClockBehind_SecureClockWouldAccept_OcspNonceRefuses()
    {
        // Issued 3 days ago for 1 day: expired two days ago, never revoked — the responder says "good".
        using var cert = await _f.DmServerAsync(TimeSpan.FromDays(3), TimeSpan.FromDays(1));
        var (device, host) = _f.Device(TimeSpan.FromDays(-2.5));
        host.Advance(TimeSpan.FromMinutes(1));
        var clock = device.Tre.TrustedClock(TreCaller.DeviceManagement);

        var byClock = await _f.Checker(clock).CheckAsync(CheckMode.SecureClock, cert, _f.Chain);
        Assert.True(byClock.Accepted, "with its clock behind, the device alone cannot see the expiry");

        var byOcsp = await _f.Checker(clock).CheckAsync(CheckMode.OcspNonce, cert, _f.Chain);
        Assert.Equal(RefusalReason.ExpiredAtTrustedTime, byOcsp.Reason);
        Assert.Equal("expired-at-trusted-time", byOcsp.ReasonName);
        Assert.Contains("producedAt", byOcsp.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Revoked_IsRefused_WithItsReason()
    {
        using var cert = await _f.DmServerAsync(TimeSpan.FromHours(1), TimeSpan.FromDays(7));
        Assert.True(await _f.Hierarchy.RevokeAsync(M2MSec.Pki.CertificateSerial.Of(cert), 1));
        var verdict = await _f.Checker(new HostTrustedClock(TimeProvider.System)).CheckAsync(CheckMode.OcspNonce, cert, _f.Chain);
        Assert.Equal(RefusalReason.Revoked, verdict.Reason);
        Assert.Contains("keyCompromise", verdict.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ManInTheMiddle_WithAnotherCasCertificate_IsUntrustedRoot_BeforeAnyOcsp()
    {
        var other = await CertificateHierarchy.InitAsync(new InMemoryCertificateStore(TimeProvider.System), "operator", KeyAlgorithm.EcP256, null, TimeProvider.System);
        using var forged = await other.IssueAsync(CertificateProfile.DmServer, new CertificateSubject("dm.operator.example"));
        var asked = 0;
        var checker = _f.Checker(new HostTrustedClock(TimeProvider.System), (u, r, c) => { asked++; return _f.PostAsync(u, r, c); });
        foreach (var mode in new[] { CheckMode.OcspNonce, CheckMode.SecureClock, CheckMode.Stapled })
        {
            var verdict = await checker.CheckAsync(mode, forged, [other.Issuing], staple: mode == CheckMode.Stapled ? [0x30, 0x00] : null);
            Assert.True(verdict.Reason == RefusalReason.UntrustedRoot, $"{mode}: {verdict.Reason} {verdict.Detail}");
        }
        Assert.Equal(0, asked);
    }

    [Fact]
    public async Task ReplayedResponse_IsNonceMismatch_StrippedNonce_IsNoNonce()
    {
        using var cert = await _f.DmServerAsync(TimeSpan.FromHours(1), TimeSpan.FromDays(7));
        var clock = new HostTrustedClock(TimeProvider.System);
        var old = OcspRequestBuilder.Build(cert, _f.Hierarchy.Issuing);
        var recorded = await _f.PostAsync(_f.OcspUrl, old.Der, default);

        var replay = await _f.Checker(clock, (_, _, _) => Task.FromResult(recorded)).CheckAsync(CheckMode.OcspNonce, cert, _f.Chain);
        Assert.Equal(RefusalReason.NonceMismatch, replay.Reason);

        var stripped = await _f.Checker(clock, (u, _, c) => _f.PostAsync(u, OcspRequestBuilder.Build(cert, _f.Hierarchy.Issuing, nonceLength: null).Der, c))
            .CheckAsync(CheckMode.OcspNonce, cert, _f.Chain);
        Assert.Equal(RefusalReason.NoNonce, stripped.Reason);
    }

    [Fact]
    public async Task TamperedSignature_IsBadSignature_ForeignSigner_IsUnauthorisedResponder()
    {
        using var cert = await _f.DmServerAsync(TimeSpan.FromHours(1), TimeSpan.FromDays(7));
        var clock = new HostTrustedClock(TimeProvider.System);
        var tampered = await _f.Checker(clock, async (u, r, c) =>
        {
            var response = await _f.PostAsync(u, r, c);
            response[^3] ^= 0x01; // inside the signature BIT STRING at the end of the BasicOCSPResponse... or its certs
            return response;
        }).CheckAsync(CheckMode.OcspNonce, cert, _f.Chain);
        Assert.True(tampered.Reason is RefusalReason.BadSignature or RefusalReason.UnauthorisedResponder, tampered.Reason.ToString());

        // A responder key the issuing CA never authorised (another hierarchy's signer) answering for our CA.
        var other = await CertificateHierarchy.InitAsync(new InMemoryCertificateStore(TimeProvider.System), "sho", KeyAlgorithm.EcP256, null, TimeProvider.System);
        using var rogue = new OcspResponder(_f.Hierarchy.Issuing, other.OcspSigner, (_, _) => ValueTask.FromResult(OcspCertificateStatus.Good), TimeProvider.System);
        var unauthorised = await _f.Checker(clock, async (_, r, c) => await rogue.RespondAsync(r, c)).CheckAsync(CheckMode.OcspNonce, cert, _f.Chain);
        Assert.Equal(RefusalReason.UnauthorisedResponder, unauthorised.Reason);
    }

    [Fact]
    public async Task ResponderTimeBehindTheSecureClock_IsClockRollback()
    {
        using var cert = await _f.DmServerAsync(TimeSpan.FromHours(1), TimeSpan.FromDays(7));
        var (device, _) = _f.Device(TimeSpan.FromHours(6));
        var verdict = await _f.Checker(device.Tre.TrustedClock(TreCaller.DeviceManagement)).CheckAsync(CheckMode.OcspNonce, cert, _f.Chain);
        Assert.Equal(RefusalReason.ClockRollback, verdict.Reason);
    }

    [Fact]
    public async Task UnreachableResponder_IsResponderError_UnknownSerial_IsUnknownCertificate()
    {
        using var cert = await _f.DmServerAsync(TimeSpan.FromHours(1), TimeSpan.FromDays(7));
        var clock = new HostTrustedClock(TimeProvider.System);
        var down = await _f.Checker(clock).CheckAsync(CheckMode.OcspNonce, cert, _f.Chain, ocspUrl: new Uri("http://127.0.0.1:1/"));
        Assert.Equal(RefusalReason.ResponderError, down.Reason);

        // A responder (or a man in the middle) answering about another certificate than the one asked about.
        using var other = await _f.DmServerAsync(TimeSpan.FromHours(1), TimeSpan.FromDays(7));
        var swapped = await _f.Checker(clock, (u, r, c) => _f.PostAsync(u, OcspRequestBuilder.Build(other, _f.Hierarchy.Issuing).Der, c))
            .CheckAsync(CheckMode.OcspNonce, cert, _f.Chain);
        Assert.True(swapped.Reason is RefusalReason.UnknownCertificate or RefusalReason.NonceMismatch, swapped.Reason.ToString());
    }

    [Fact]
    public async Task SecureClock_RefusesLongLivedAndExpired_EvenWhenTheHostClockIsSetBack()
    {
        var (device, host) = _f.Device(TimeSpan.Zero);
        var clock = device.Tre.TrustedClock(TreCaller.DeviceManagement);
        using var longLived = await _f.DmServerAsync(TimeSpan.FromHours(1), TimeSpan.FromDays(30));
        Assert.Equal(RefusalReason.ValidityTooLong, (await _f.Checker(clock).CheckAsync(CheckMode.SecureClock, longLived, _f.Chain)).Reason);
        Assert.True((await _f.Checker(clock, policy: new CheckPolicy { MaxValidity = TimeSpan.FromDays(31) })
            .CheckAsync(CheckMode.SecureClock, longLived, _f.Chain)).Accepted);

        using var expired = await _f.DmServerAsync(TimeSpan.FromDays(2), TimeSpan.FromDays(1));
        host.Advance(TimeSpan.FromDays(-3)); // someone sets the device's host clock back: the secure clock holds
        var verdict = await _f.Checker(clock).CheckAsync(CheckMode.SecureClock, expired, _f.Chain);
        Assert.Equal(RefusalReason.ExpiredAtTrustedTime, verdict.Reason);
        Assert.True(device.Tre.GetStatus().ClockRollbackAttempts > 0);
    }

    [Fact]
    public async Task Stapled_FreshAccepted_StaleRefused_MissingOrDisallowedIsNoStaple()
    {
        using var cert = await _f.DmServerAsync(TimeSpan.FromHours(1), TimeSpan.FromDays(7));
        var clock = new HostTrustedClock(TimeProvider.System);
        var staple = await _f.PostAsync(_f.OcspUrl, OcspRequestBuilder.Build(cert, _f.Hierarchy.Issuing, nonceLength: null).Der, default);
        Assert.True((await _f.Checker(clock).CheckAsync(CheckMode.Stapled, cert, _f.Chain, staple)).Accepted);
        Assert.Equal(RefusalReason.NoStaple, (await _f.Checker(clock).CheckAsync(CheckMode.Stapled, cert, _f.Chain)).Reason);
        Assert.Equal(RefusalReason.NoStaple, (await _f.Checker(clock, policy: new CheckPolicy { AllowStaple = false }).CheckAsync(CheckMode.Stapled, cert, _f.Chain, staple)).Reason);

        // The same staple two hours later (a server replaying an old "good"): stale.
        var later = new HostTrustedClock(new Support.HostClock(DateTimeOffset.UtcNow.AddHours(2)));
        Assert.Equal(RefusalReason.StaleResponse, (await _f.Checker(later).CheckAsync(CheckMode.Stapled, cert, _f.Chain, staple)).Reason);
    }

    [Fact]
    public async Task TreRoot_RollsOverOnlyThroughALinkSignedByTheCurrentRoot()
    {
        var (device, _) = _f.Device(TimeSpan.Zero);
        var other = await CertificateHierarchy.InitAsync(new InMemoryCertificateStore(TimeProvider.System), "operator", KeyAlgorithm.EcP256, null, TimeProvider.System);
        var forgedRollover = await other.RollOverRootAsync();
        Assert.False(device.Tre.RollOverTrustAnchor(TreCaller.DeviceManagement, "dm", forgedRollover.NewRoot, forgedRollover.LinkCertificate, out var why));
        Assert.Contains("link certificate", why, StringComparison.Ordinal);
        Assert.Equal(_f.Hierarchy.Root.Thumbprint, device.Tre.TrustAnchor(TreCaller.DeviceManagement, "dm")!.Thumbprint);

        using var before = await _f.DmServerAsync(TimeSpan.FromHours(1), TimeSpan.FromDays(7));
        var rollover = await _f.Hierarchy.RollOverRootAsync();
        Assert.True(device.Tre.RollOverTrustAnchor(TreCaller.DeviceManagement, "dm", rollover.NewRoot, rollover.LinkCertificate, out why), why);
        var root = device.Tre.TrustAnchor(TreCaller.DeviceManagement, "dm")!;
        Assert.Equal(rollover.NewRoot.Thumbprint, root.Thumbprint);
        Assert.Throws<InvalidOperationException>(() => device.Tre.ProvisionTrustAnchor(TreCaller.Manufacturer, "dm", _f.Hierarchy.Root));
        Assert.Throws<TreAccessDeniedException>(() => device.Tre.RollOverTrustAnchor(TreCaller.Network, "dm", rollover.NewRoot, rollover.LinkCertificate, out _));

        // Certificates issued before the rollover still validate under the new root (same issuing key, re-certified).
        var checker = new ServerCertificateChecker(root, new HostTrustedClock(TimeProvider.System), null, _f.PostAsync);
        Assert.True((await checker.CheckAsync(CheckMode.SecureClock, before, [_f.Hierarchy.Issuing])).Accepted);
    }
}
