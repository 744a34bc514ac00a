using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using M2MSec.Aka;
using M2MSec.Device.M2me;
using M2MSec.Device.Tre;
using M2MSec.NetworkFunctions.Ccif;
using M2MSec.NetworkFunctions.Hosting;
using M2MSec.NetworkFunctions.Icf;
using M2MSec.NetworkFunctions.Pva;
using M2MSec.Pki.Authority;
using M2MSec.Pki.Tls;
using M2MSec.Provisioning.Validation;
using M2MSec.Storage.InMemory;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace M2MSec.Tests.Provisioning;

/// <summary>
/// Issue 16, rehabilitation of a locked-down TRE (docs/decisions/020): the manufacturer registers a firmware update through the
/// CCIF, the PVA judges fresh evidence over the TRE's own nonce and signs a rehabilitation statement, the TRE accepts it only for
/// a firmware lockdown, from a pva-role certificate under its operator root, bound to itself and its nonce; while locked it
/// signs attestations only. The ICF is a fake.
/// </summary>
public sealed class RehabilitationTests : IAsyncLifetime
{
    private const string Pcid = "001990000000161";
    private readonly string _dir = Directory.CreateTempSubdirectory("m2msec-rehab-").FullName;
    private readonly NetworkFunctionPeers _peers = new();
    private readonly List<NetworkFunctionHost> _hosts = [];
    private CertificateHierarchy _h = null!;
    private NetworkFunctionHost _pva = null!;
    private NetworkFunctionHost _ccif = null!;
    private HttpClient _admin = null!;

    private string Fuse => Path.Combine(_dir, "fuse");

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        _h = await CertificateHierarchy.InitAsync(new InMemoryCertificateStore(TimeProvider.System), "operator", KeyAlgorithm.EcP256, null, TimeProvider.System);
        foreach (var (role, function) in new (string, INetworkFunction)[] { ("icf", new FakeIcf()), ("pva", new PvaFunction()), ("ccif", new CcifFunction()) })
        {
            var host = await NetworkFunctionHost.StartAsync(function, Path.Combine(_dir, role), new InMemoryStateStore(), tls: await TlsAsync(role), peers: _peers);
            _hosts.Add(host);
            _peers.Set(role, host.Address);
        }
        (_pva, _ccif) = (_hosts[1], _hosts[2]);
        var admin = new NetworkFunctionTls(new RenewingCertificate(await _h.IssueAsync(CertificateProfile.Admin, new CertificateSubject(NetworkFunctionTls.DefaultAdminSubject))),
            _h.Root, [_h.Issuing]);
        _admin = admin.CreateClient(_ccif.Address, TimeSpan.FromSeconds(30));
    }

    public async ValueTask DisposeAsync()
    {
        _admin.Dispose();
        foreach (var host in _hosts)
            await host.DisposeAsync();
        Directory.Delete(_dir, true);
    }

    private async Task<NetworkFunctionTls> TlsAsync(string role) => new(
        new RenewingCertificate(await _h.IssueAsync(CertificateProfile.NetworkFunction, new CertificateSubject(role, ["127.0.0.1"]), role: role)), _h.Root, [_h.Issuing]);

    private async Task<HttpClient> ClientAsync(string role, Uri address) => (await TlsAsync(role)).CreateClient(address, TimeSpan.FromSeconds(30));

    private string Data(string name) => Path.Combine(_dir, name);

    /// <summary>The factory line: make the TRE, register it at the CCIF, inject the answer (PfC, temporary credential, operator root).</summary>
    private async Task<DeviceManufactured> ManufactureAsync(string pcid, string name)
    {
        var device = M2meDevice.Create(Data(name), Fuse, pcid, M2meKind.Tre, "TRE-" + name);
        var answer = await new CcifClient(_admin).ManufactureAsync(new DeviceRegistrationRequest(pcid, device.Info.TreId, KeyAlgorithm.EcP256.Name(),
            Convert.ToBase64String(device.Tre.IdentityPublicKey()), Convert.ToBase64String(device.Tre.PkD()),
            M2meDevice.BuiltFirmwareMeasurements(device.DataDirectory).ToDictionary(m => m.Key, m => Convert.ToHexStringLower(m.Value)), null), Ct);
        using var attestation = X509CertificateLoader.LoadCertificate(Convert.FromBase64String(answer.PfcAttestation));
        using var encryption = X509CertificateLoader.LoadCertificate(Convert.FromBase64String(answer.PfcEncryption));
        using var dmRoot = X509CertificateLoader.LoadCertificate(Convert.FromBase64String(answer.DmRoot!));
        device.Tre.InstallPlatformCredential(TreCaller.Manufacturer, attestation, encryption, Convert.FromHexString(answer.K), Convert.FromHexString(answer.Opc), dmRoot, null);
        return answer;
    }

    /// <summary>The firmware images change (an update, or an attacker's modification); the next boot locks the TRE.</summary>
    private TrustedEnvironment ChangeFirmwareAndReboot(string name)
    {
        M2meDevice.Tamper(Data(name), Fuse, TamperKind.Firmware);
        var tre = M2meDevice.Open(Data(name), Fuse).Tre;
        Assert.Equal(LockdownReason.FirmwareMeasurement, tre.LockdownReason);
        return tre;
    }

    /// <summary>The device's side: a fresh nonce from the TRE, the attestation over it, the PfC the TRE shows while locked — to the PVA via a DPF.</summary>
    private async Task<RehabilitationAnswer> AskPvaAsync(TrustedEnvironment tre, byte[]? evidence = null)
    {
        var nonce = tre.RehabilitationChallenge(TreCaller.Platform);
        evidence ??= tre.Attest(TreCaller.Platform, nonce);
        using var dpf = await ClientAsync("dpf", _pva.Address);
        return await new PvaClient(dpf).RehabilitateAsync(new RehabilitationRequest(tre.Pcid,
            Convert.ToBase64String(tre.ReadObject(TreCaller.Platform, TreObjects.PfcAttestation)!),
            Convert.ToBase64String(tre.ReadObject(TreCaller.Platform, TreObjects.PfcEncryption)!), Convert.ToHexStringLower(nonce), Convert.ToBase64String(evidence)), Ct);
    }

    private Task<MeasurementSetRegistered> RegisterUpdateAsync(string pcid, string name) =>
        new CcifClient(_admin).RegisterFirmwareUpdateAsync(pcid, M2meDevice.BuiltFirmwareMeasurements(Data(name)), Ct);

    private static UsimAuthenticationResult Aka(TrustedEnvironment tre, DeviceManufactured answer, ulong seq)
    {
        var av = AkaVectors.Generate(Milenage.Default, Convert.FromHexString(answer.K), Convert.FromHexString(answer.Opc), RandomNumberGenerator.GetBytes(16),
            SqnScheme.Default.Compose(seq, 0), [0x80, 0]);
        var r = tre.RunAka(TreCaller.Network, answer.Pcid, av.Rand, av.Autn);
        Assert.True(!r.IsSuccess || r.Res!.AsSpan().SequenceEqual(av.Xres));
        return r;
    }

    /// <summary>Issue 16: a registered firmware update, judged valid by the PVA, rehabilitates the TRE; it then runs AKA again and boots unlocked.</summary>
    [Fact]
    public async Task FirmwareUpdated_RegisteredByManufacturer_PvaValidates_TreRehabilitated_RunsAkaAgain_RehabilitationAfterRegisteredUpdate()
    {
        var answer = await ManufactureAsync(Pcid, "a");
        Assert.True(Aka(M2meDevice.Open(Data("a"), Fuse).Tre, answer, 1).IsSuccess);
        var tre = ChangeFirmwareAndReboot("a");
        Assert.True(tre.CanBeRehabilitated);
        Assert.Throws<TreLockedException>(() => Aka(tre, answer, 2));

        var registered = await RegisterUpdateAsync(Pcid, "a");
        Assert.Equal(1, registered.FirmwareUpdates);
        var judged = await AskPvaAsync(tre);
        Assert.True(judged.Result == PvaVerdict.Valid, judged.Reason);
        var statement = PvaRehabilitation.Verify(judged.Statement, _h.Root, null, DateTimeOffset.UtcNow, TimeSpan.FromMinutes(5));
        Assert.Equal(M2meDevice.BuiltFirmwareMeasurements(Data("a")).OrderBy(m => m.Key).Select(m => m.Value), statement.Measurements.OrderBy(m => m.Key).Select(m => m.Value));

        tre.Rehabilitate(TreCaller.Platform, judged.Statement);
        Assert.False(tre.IsLocked);
        Assert.Contains(tre.Events, e => e.Kind == "rehabilitated");
        Assert.True(Aka(tre, answer, 3).IsSuccess);
        // The accepted measurements are the reference now: the next boot is not locked, keys and subscription intact.
        var rebooted = M2meDevice.Open(Data("a"), Fuse).Tre;
        Assert.False(rebooted.IsLocked);
        Assert.True(Aka(rebooted, answer, 4).IsSuccess);
        // The PVA's history: an ordinary validation (the SHO's, step 13) now accepts the updated platform too.
        using var sho = await ClientAsync("sho", _pva.Address);
        var started = await new PvaClient(sho).RequestValidationAsync(new ValidationRequest(Pcid, answer.PfcAttestation, answer.PfcEncryption,
            Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16))), Ct);
        var verdict = await new PvaClient(sho).SubmitEvidenceAsync(started.ValidationId,
            Convert.ToBase64String(rebooted.Attest(TreCaller.Platform, Convert.FromHexString(started.Challenge))), Ct);
        Assert.True(verdict.Result == PvaVerdict.Valid, verdict.Reason);
    }

    /// <summary>Issue 16: a modification the manufacturer never registered is judged invalid; the TRE refuses the statement and stays locked, across reboots.</summary>
    [Fact]
    public async Task UnregisteredFirmwareModification_JudgedInvalid_TreStaysLocked_UnregisteredModificationStaysLockedThreat()
    {
        var answer = await ManufactureAsync(Pcid, "a");
        var tre = ChangeFirmwareAndReboot("a");
        // Some other update is registered — not this one.
        var other = M2meDevice.BuiltFirmwareMeasurements(Data("a")).ToDictionary(m => m.Key, _ => RandomNumberGenerator.GetBytes(32));
        await new CcifClient(_admin).RegisterFirmwareUpdateAsync(Pcid, other, Ct);
        var judged = await AskPvaAsync(tre);
        Assert.Equal(PvaVerdict.Invalid, judged.Result);
        Assert.Equal("measurements-mismatch", judged.Reason);
        var refused = Assert.Throws<TreRehabilitationRefusedException>(() => tre.Rehabilitate(TreCaller.Platform, judged.Statement));
        Assert.Equal("judged-invalid", refused.Code);
        Assert.True(tre.IsLocked);
        Assert.Throws<TreLockedException>(() => Aka(tre, answer, 1));
        Assert.Equal(LockdownReason.FirmwareMeasurement, M2meDevice.Open(Data("a"), Fuse).Tre.LockdownReason);
    }

    /// <summary>Issue 16: a TRE locked for a rolled-back sealed store (or any store/RPMB integrity failure) cannot be rehabilitated at all.</summary>
    [Fact]
    public async Task RolledBackSealedStore_CannotBeRehabilitated_RollbackNotRehabilitableThreat()
    {
        await ManufactureAsync(Pcid, "a");
        M2meDevice.Tamper(Data("a"), Fuse, TamperKind.Rollback);
        var tre = M2meDevice.Open(Data("a"), Fuse).Tre;
        Assert.Equal(LockdownReason.SealedStoreRollback, tre.LockdownReason);
        Assert.False(tre.CanBeRehabilitated);
        Assert.Throws<TreLockedException>(() => tre.RehabilitationChallenge(TreCaller.Platform));
        Assert.Throws<TreLockedException>(() => tre.Rehabilitate(TreCaller.Platform, "pva-rehabilitation.v1.x.y.z"));
        Assert.Throws<TreLockedException>(() => tre.Attest(TreCaller.Platform, new byte[32]));
        Assert.Throws<TreLockedException>(() => tre.ReadObject(TreCaller.Platform, TreObjects.PfcAttestation));
        foreach (var reason in new[] { LockdownReason.SealedStoreRollback, LockdownReason.SealedStoreIntegrity, LockdownReason.ReplayProtectedStoreIntegrity })
            Assert.False(TrustedEnvironment.IsRehabilitable(reason));
        Assert.True(TrustedEnvironment.IsRehabilitable(LockdownReason.FirmwareMeasurement));
    }

    /// <summary>
    /// Issue 16: a statement signed by a pva certificate of a foreign hierarchy, by another role of the operator, one made for
    /// another TRE, or a validation verdict in its place — each refused, the TRE stays locked.
    /// </summary>
    [Fact]
    public async Task ForgedForeignOrMisdirectedStatements_Refused_ForgedRehabilitationThreat()
    {
        var answer = await ManufactureAsync(Pcid, "a");
        await ManufactureAsync("001990000000162", "b");
        var tre = ChangeFirmwareAndReboot("a");
        var other = ChangeFirmwareAndReboot("b");
        await RegisterUpdateAsync(Pcid, "a");
        await RegisterUpdateAsync("001990000000162", "b");
        var fingerprint = PvaVerdict.Fingerprint(Convert.FromBase64String(answer.PfcAttestation), Convert.FromBase64String(answer.PfcEncryption));
        var measurements = M2meDevice.BuiltFirmwareMeasurements(Data("a"));

        string Forge(X509Certificate2 signer, byte[] nonce) =>
            PvaRehabilitation.Sign(new PvaRehabilitation(tre.TreId, Pcid, fingerprint, nonce, measurements, PvaVerdict.Valid, null, DateTimeOffset.UtcNow), signer);

        // A pva-role certificate from another operator's hierarchy.
        var foreign = await CertificateHierarchy.InitAsync(new InMemoryCertificateStore(TimeProvider.System), "operator", KeyAlgorithm.EcP256, null, TimeProvider.System);
        using var foreignPva = await foreign.IssueAsync(CertificateProfile.NetworkFunction, new CertificateSubject("pva", ["127.0.0.1"]), role: "pva");
        Assert.Equal("bad-rehabilitation", Assert.Throws<TreRehabilitationRefusedException>(() =>
            tre.Rehabilitate(TreCaller.Platform, Forge(foreignPva, tre.RehabilitationChallenge(TreCaller.Platform)))).Code);
        // The operator's own hierarchy, but a sho-role certificate.
        using var sho = await _h.IssueAsync(CertificateProfile.NetworkFunction, new CertificateSubject("sho", ["127.0.0.1"]), role: "sho");
        Assert.Equal("bad-rehabilitation", Assert.Throws<TreRehabilitationRefusedException>(() =>
            tre.Rehabilitate(TreCaller.Platform, Forge(sho, tre.RehabilitationChallenge(TreCaller.Platform)))).Code);
        // A genuine, valid statement — for the other TRE.
        var forOther = await AskPvaAsync(other);
        Assert.Equal(PvaVerdict.Valid, forOther.Result);
        tre.RehabilitationChallenge(TreCaller.Platform);
        Assert.Equal("not-this-tre", Assert.Throws<TreRehabilitationRefusedException>(() => tre.Rehabilitate(TreCaller.Platform, forOther.Statement)).Code);
        // A validation verdict is not a rehabilitation statement.
        using var pvaCert = await _h.IssueAsync(CertificateProfile.NetworkFunction, new CertificateSubject("pva", ["127.0.0.1"]), role: "pva");
        var verdict = PvaVerdict.Sign(new PvaVerdict("val-1", Pcid, fingerprint, PvaVerdict.Valid, null, DateTimeOffset.UtcNow, new byte[16]), pvaCert, [_h.Issuing]);
        tre.RehabilitationChallenge(TreCaller.Platform);
        Assert.Equal("bad-rehabilitation", Assert.Throws<TreRehabilitationRefusedException>(() => tre.Rehabilitate(TreCaller.Platform, verdict)).Code);
        // The right signer, but measurements the TRE did not measure at this boot.
        var wrong = PvaRehabilitation.Sign(new PvaRehabilitation(tre.TreId, Pcid, fingerprint, tre.RehabilitationChallenge(TreCaller.Platform),
            measurements.ToDictionary(m => m.Key, _ => RandomNumberGenerator.GetBytes(32)), PvaVerdict.Valid, null, DateTimeOffset.UtcNow), pvaCert, [_h.Issuing]);
        Assert.Equal("measurements-mismatch", Assert.Throws<TreRehabilitationRefusedException>(() => tre.Rehabilitate(TreCaller.Platform, wrong)).Code);
        Assert.True(tre.IsLocked);
        Assert.Equal(LockdownReason.FirmwareMeasurement, M2meDevice.Open(Data("a"), Fuse).Tre.LockdownReason);
        // Only the manufacturer's CCIF registers updates; only a DPF or SHO asks for a rehabilitation.
        using (var asSho = await ClientAsync("sho", _pva.Address))
        {
            var r = await asSho.PostAsJsonAsync($"references/{Pcid}/measurements", new MeasurementSetRequest(new() { ["x"] = new string('0', 64) }),
                NetworkFunctionHost.JsonOptions, Ct);
            Assert.Equal(HttpStatusCode.Forbidden, r.StatusCode);
        }
        using (var asCcif = await ClientAsync("ccif", _pva.Address))
        {
            var r = await asCcif.PostAsJsonAsync("rehabilitations", new RehabilitationRequest(Pcid, null, null, null, null), NetworkFunctionHost.JsonOptions, Ct);
            Assert.Equal(HttpStatusCode.Forbidden, r.StatusCode);
        }
        var bad = await _admin.PostAsJsonAsync($"devices/{Pcid}/firmware-updates", new FirmwareUpdateRequest(new() { ["x"] = "zz" }), NetworkFunctionHost.JsonOptions, Ct);
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Contains("measurements", await bad.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
    }

    /// <summary>
    /// Issue 16: a valid statement is single-use — bound to the TRE's nonce, consumed by the first attempt; recorded and replayed after
    /// a later lockdown it is refused, and old evidence replayed to the PVA under a new nonce is judged invalid.
    /// </summary>
    [Fact]
    public async Task RecordedStatementOrEvidence_Replayed_Refused_ReplayedRehabilitationThreat()
    {
        await ManufactureAsync(Pcid, "a");
        var tre = ChangeFirmwareAndReboot("a");
        await RegisterUpdateAsync(Pcid, "a");
        var nonce = tre.RehabilitationChallenge(TreCaller.Platform);
        var evidence = tre.Attest(TreCaller.Platform, nonce);
        using var dpf = await ClientAsync("dpf", _pva.Address);
        var pfcA = Convert.ToBase64String(tre.ReadObject(TreCaller.Platform, TreObjects.PfcAttestation)!);
        var pfcE = Convert.ToBase64String(tre.ReadObject(TreCaller.Platform, TreObjects.PfcEncryption)!);
        var first = await new PvaClient(dpf).RehabilitateAsync(new RehabilitationRequest(Pcid, pfcA, pfcE, Convert.ToHexStringLower(nonce), Convert.ToBase64String(evidence)), Ct);
        Assert.Equal(PvaVerdict.Valid, first.Result);
        // A new nonce was asked for in between: the recorded statement names the old one.
        tre.RehabilitationChallenge(TreCaller.Platform);
        Assert.Equal("nonce-mismatch", Assert.Throws<TreRehabilitationRefusedException>(() => tre.Rehabilitate(TreCaller.Platform, first.Statement)).Code);
        // That attempt consumed the nonce: the same statement again finds none pending.
        Assert.Equal("no-nonce", Assert.Throws<TreRehabilitationRefusedException>(() => tre.Rehabilitate(TreCaller.Platform, first.Statement)).Code);
        Assert.True(tre.IsLocked);
        // The old evidence replayed to the PVA under a fresh TRE nonce: its challenge is the old nonce.
        var fresh = tre.RehabilitationChallenge(TreCaller.Platform);
        var replayed = await new PvaClient(dpf).RehabilitateAsync(new RehabilitationRequest(Pcid, pfcA, pfcE, Convert.ToHexStringLower(fresh), Convert.ToBase64String(evidence)), Ct);
        Assert.Equal("challenge-mismatch", replayed.Reason);

        // Rehabilitated properly; the firmware changes again (back to the original build) and the TRE locks; the recorded statement stays refused.
        var good = await AskPvaAsync(tre);
        tre.Rehabilitate(TreCaller.Platform, good.Statement);
        Assert.False(tre.IsLocked);
        var relocked = ChangeFirmwareAndReboot("a");
        relocked.RehabilitationChallenge(TreCaller.Platform);
        Assert.Throws<TreRehabilitationRefusedException>(() => relocked.Rehabilitate(TreCaller.Platform, good.Statement));
        Assert.True(relocked.IsLocked);
    }

    /// <summary>
    /// Issue 16: while locked for a firmware mismatch the TRE signs attestation statements and shows its PCID, TRE id and PfC;
    /// AKA, Sign, decryption, MAC, identity assertions, object writes and non-public reads are all refused.
    /// </summary>
    [Fact]
    public async Task LockedTre_AttestsAndShowsPfc_RefusesEveryOtherOperation_LockedTreSignsAttestationsOnlyThreat()
    {
        var answer = await ManufactureAsync(Pcid, "a");
        var tre = ChangeFirmwareAndReboot("a");
        Assert.Equal(Pcid, tre.Pcid);
        Assert.Equal("TRE-a", tre.TreId);
        Assert.Equal(Convert.FromBase64String(answer.PfcAttestation), tre.ReadObject(TreCaller.Platform, TreObjects.PfcAttestation));
        Assert.Equal(Convert.FromBase64String(answer.PfcEncryption), tre.ReadObject(TreCaller.Provisioning, TreObjects.PfcEncryption));
        var challenge = RandomNumberGenerator.GetBytes(32);
        Assert.True(AttestationStatement.TryDecode(tre.Attest(TreCaller.Platform, challenge), out var statement, out _, out _));
        using (var pfc = X509CertificateLoader.LoadCertificate(Convert.FromBase64String(answer.PfcAttestation)))
            Assert.True(statement.Verify(pfc.PublicKey.ExportSubjectPublicKeyInfo()));

        Assert.Throws<TreLockedException>(() => Aka(tre, answer, 1));
        Assert.Throws<TreLockedException>(() => tre.Sign(TreCaller.Platform, [1, 2, 3]));
        Assert.Throws<TreLockedException>(() => tre.AuthenticateIdentities(TreCaller.Platform, challenge));
        Assert.Throws<TreLockedException>(() => tre.TryDecrypt(TreCaller.Provisioning, new byte[100], [], out _));
        Assert.Throws<TreLockedException>(() => tre.Mac(TreCaller.DeviceManagement, [1, 2, 3]));
        Assert.Throws<TreLockedException>(() => tre.WriteObject(TreCaller.Manufacturer, "cert/probe", [1]));
        Assert.Throws<TreLockedException>(() => tre.WriteObject(TreCaller.Provisioning, TreObjects.PfcAttestation, [1]));
        Assert.Throws<TreLockedException>(() => tre.WriteObjects(TreCaller.Provisioning, [new(TreObjects.RegistrationNonce, new byte[16])]));
        Assert.Throws<TreLockedException>(() => tre.InstallSubscription(TreCaller.Provisioning, "001010000000999", new byte[16], new byte[16]));
        // Issue 16, the network path: the operator root (a public certificate) stays readable, so the device can check the DPF it
        // sends its evidence to; the DM account's secret does not (no DM session while locked).
        Assert.NotNull(tre.ReadObject(TreCaller.DeviceManagement, TreObjects.DmRoot));
        Assert.Throws<TreLockedException>(() => tre.ReadObject(TreCaller.DeviceManagement, M2MSec.Device.Dm.DmClientAccounts.ObjectPrefix + "dpf"));
        Assert.Throws<TreLockedException>(() => tre.ReadObject(TreCaller.Provisioning, TreObjects.DesignatedSho));
        // Reading the PfC is still subject to the policy: the network stack may not.
        Assert.Throws<TreAccessDeniedException>(() => tre.ReadObject(TreCaller.Network, TreObjects.PfcAttestation));
    }

    /// <summary>Stands in for the ICF: accepts temporary credentials from the CCIF.</summary>
    private sealed class FakeIcf : INetworkFunction
    {
        public string Role => "icf";

        public void ConfigureServices(IServiceCollection services, string dataDirectory)
        {
        }

        public void MapEndpoints(WebApplication app) => app.MapPost("/temporary-credentials", (TemporaryCredentialRequest r) =>
            Results.Created($"/temporary-credentials/{r.Pcid}", new TemporaryCredentialCreated(r.Pcid!))).RequireRole(["ccif"]);
    }
}
