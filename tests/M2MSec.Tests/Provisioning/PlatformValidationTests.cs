using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
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
/// Issue 15 items 3, 4, 6: the CCIF manufactures (temporary credential to the ICF, reference to the PVA, PfC from its
/// manufacturer hierarchy, OCSP for it), the PVA validates (seed 004 steps 13–15) and refuses swapped and emulated TREs, a
/// revoked PfC, a modified platform, replayed evidence and references from anyone but the CCIF — each a signed verdict.
/// The ICF is a fake here (helper H3 owns it).
/// </summary>
public sealed class PlatformValidationTests : IAsyncLifetime
{
    private readonly string _dir = Directory.CreateTempSubdirectory("m2msec-pva-").FullName;
    private readonly NetworkFunctionPeers _peers = new();
    private readonly FakeIcf _icf = new();
    private readonly List<NetworkFunctionHost> _hosts = [];
    private readonly InMemoryStateStore _ccifStore = new();
    private CertificateHierarchy _h = null!;
    private NetworkFunctionHost _pva = null!;
    private NetworkFunctionHost _ccif = null!;
    private HttpClient _admin = null!;

    private string Fuse => Path.Combine(_dir, "fuse");

    public async ValueTask InitializeAsync()
    {
        _h = await CertificateHierarchy.InitAsync(new InMemoryCertificateStore(TimeProvider.System), "operator", KeyAlgorithm.EcP256, null, TimeProvider.System);
        foreach (var (role, function) in new (string, INetworkFunction)[] { ("icf", _icf), ("pva", new PvaFunction()), ("ccif", new CcifFunction()) })
        {
            var state = role == "ccif" ? _ccifStore : new InMemoryStateStore();
            var host = await NetworkFunctionHost.StartAsync(function, Path.Combine(_dir, role), state, tls: await TlsAsync(role), peers: _peers);
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

    private async Task<NetworkFunctionTls> TlsAsync(string? role, X509Certificate2? admin = null) => new(
        new RenewingCertificate(admin ?? await _h.IssueAsync(CertificateProfile.NetworkFunction, new CertificateSubject(role!, ["127.0.0.1"]), role: role)), _h.Root, [_h.Issuing]);

    private async Task<HttpClient> ClientAsync(string role, Uri address) => (await TlsAsync(role)).CreateClient(address, TimeSpan.FromSeconds(30));

    /// <summary>The factory line: make the TRE, register it at the CCIF, inject the answer.</summary>
    private async Task<(M2meDevice Device, DeviceManufactured Answer)> ManufactureAsync(string pcid, string name, KeyAlgorithm key = KeyAlgorithm.EcP256)
    {
        var device = M2meDevice.Create(Path.Combine(_dir, name), Fuse, pcid, M2meKind.Tre, "TRE-" + name, platformKey: key);
        var answer = await new CcifClient(_admin).ManufactureAsync(new DeviceRegistrationRequest(pcid, device.Info.TreId, key.Name(),
            Convert.ToBase64String(device.Tre.IdentityPublicKey()), Convert.ToBase64String(device.Tre.PkD()),
            M2meDevice.BuiltFirmwareMeasurements(device.DataDirectory).ToDictionary(m => m.Key, m => Convert.ToHexStringLower(m.Value)), null),
            TestContext.Current.CancellationToken);
        using var attestation = X509CertificateLoader.LoadCertificate(Convert.FromBase64String(answer.PfcAttestation));
        using var encryption = X509CertificateLoader.LoadCertificate(Convert.FromBase64String(answer.PfcEncryption));
        using var dmRoot = X509CertificateLoader.LoadCertificate(Convert.FromBase64String(answer.DmRoot!));
        device.Tre.InstallPlatformCredential(TreCaller.Manufacturer, attestation, encryption, Convert.FromHexString(answer.K), Convert.FromHexString(answer.Opc), dmRoot, null);
        return (device, answer);
    }

    /// <summary>The SHO's step 13 and the DPF's step 14 with <paramref name="tre"/> answering the challenge.</summary>
    private async Task<ValidationVerdict> ValidateAsync(string pcid, DeviceManufactured pfc, TrustedEnvironment tre, byte[]? nonce = null)
    {
        var ct = TestContext.Current.CancellationToken;
        using var sho = await ClientAsync("sho", _pva.Address);
        var started = await new PvaClient(sho).RequestValidationAsync(new ValidationRequest(pcid, pfc.PfcAttestation, pfc.PfcEncryption,
            Convert.ToHexStringLower(nonce ?? RandomNumberGenerator.GetBytes(16))), ct);
        var evidence = tre.Attest(TreCaller.Platform, Convert.FromHexString(started.Challenge));
        using var dpf = await ClientAsync("dpf", _pva.Address);
        return await new PvaClient(dpf).SubmitEvidenceAsync(started.ValidationId, Convert.ToBase64String(evidence), ct);
    }

    private PvaVerdict Check(ValidationVerdict answer) => PvaVerdict.Verify(answer.Verdict, _h.Root, [_h.Issuing], DateTimeOffset.UtcNow, TimeSpan.FromMinutes(5));

    [Theory]
    [InlineData(KeyAlgorithm.EcP256)]
    [InlineData(KeyAlgorithm.Rsa2048)]
    public async Task ManufacturedDevice_IsValid_VerdictSignedByPva_NamesPcidPfcAndShoNonce(KeyAlgorithm key)
    {
        var ct = TestContext.Current.CancellationToken;
        var (device, answer) = await ManufactureAsync("001990000000001", "a", key);
        Assert.Equal(["001990000000001"], _icf.Pcids);
        Assert.Equal(32, answer.K.Length);
        using (var pfc = X509CertificateLoader.LoadCertificate(Convert.FromBase64String(answer.PfcAttestation)))
        {
            Assert.Equal("TRE-a", pfc.GetNameInfo(X509NameType.SimpleName, false));
            Assert.Contains("/ocsp", pfc.Extensions.OfType<X509AuthorityInformationAccessExtension>().Single().EnumerateOcspUris().Single(), StringComparison.Ordinal);
        }
        var nonce = RandomNumberGenerator.GetBytes(16);
        var answerVerdict = await ValidateAsync("001990000000001", answer, device.Tre, nonce);
        Assert.True(answerVerdict.Result == PvaVerdict.Valid, answerVerdict.Reason);
        var verdict = Check(answerVerdict);
        Assert.True(verdict.IsValid);
        Assert.Equal("001990000000001", verdict.Pcid);
        Assert.Equal(nonce, verdict.ShoNonce);
        Assert.Equal(PvaVerdict.Fingerprint(Convert.FromBase64String(answer.PfcAttestation), Convert.FromBase64String(answer.PfcEncryption)), verdict.PfcFingerprint);

        // The CCIF shows the device without secrets; a PCID is manufactured once.
        var info = await new CcifClient(_admin).GetDeviceAsync("001990000000001", ct);
        Assert.Equal("TRE-a", info.TreId);
        Assert.DoesNotContain(answer.K, await _admin.GetStringAsync("devices/001990000000001", ct), StringComparison.OrdinalIgnoreCase);
        var again = await _admin.PostAsJsonAsync("devices", new DeviceRegistrationRequest("001990000000001", "TRE-z", null, answer.PfcAttestation, null, null, null),
            NetworkFunctionHost.JsonOptions, ct);
        Assert.Equal(HttpStatusCode.BadRequest, again.StatusCode); // keys are checked first
        // pva show: the administrator's listing.
        using var pvaAdmin = (await TlsAsync(null, await _h.IssueAsync(CertificateProfile.Admin, new CertificateSubject(NetworkFunctionTls.DefaultAdminSubject))))
            .CreateClient(_pva.Address, TimeSpan.FromSeconds(30));
        var list = await new PvaClient(pvaAdmin).ListValidationsAsync("001990000000001", ct);
        Assert.True(list.ReferenceRegistered);
        Assert.Equal("valid", Assert.Single(list.Validations).State);
    }

    [Fact]
    public async Task EvidenceSignedByAnotherDevicesAttestationKey_IsInvalid_SwappedTreThreat()
    {
        var (_, victim) = await ManufactureAsync("001990000000001", "victim");
        var (swapped, _) = await ManufactureAsync("001990000000002", "swapped");
        var verdict = await ValidateAsync("001990000000001", victim, swapped.Tre);
        Assert.Equal((PvaVerdict.Invalid, "bad-signature"), (verdict.Result, verdict.Reason));
        Assert.False(Check(verdict).IsValid);
    }

    [Fact]
    public async Task PfcNotIssuedByTheManufacturerHierarchy_IsInvalid_EmulatedTreThreat()
    {
        var (_, genuine) = await ManufactureAsync("001990000000001", "genuine");
        // An emulation: its own keys, certified by an attacker's look-alike "manufacturer" hierarchy, same TRE id.
        var emulated = M2meDevice.Create(Path.Combine(_dir, "emu"), Path.Combine(_dir, "emulator-fuse"), "001990000000001", M2meKind.Tre, "TRE-genuine");
        var fake = await CertificateHierarchy.InitAsync(new InMemoryCertificateStore(TimeProvider.System), "manufacturer", KeyAlgorithm.EcP256, null, TimeProvider.System);
        string Issue(CertificateProfile p, byte[] spki) => Convert.ToBase64String(fake.IssueForKeyAsync(p, new CertificateSubject("TRE-genuine"),
            PublicKey.CreateFromSubjectPublicKeyInfo(spki, out _)).GetAwaiter().GetResult().RawData);
        var forged = genuine with
        {
            PfcAttestation = Issue(CertificateProfile.PlatformAttestation, emulated.Tre.IdentityPublicKey()),
            PfcEncryption = Issue(CertificateProfile.PlatformEncryption, emulated.Tre.PkD()),
        };
        var verdict = await ValidateAsync("001990000000001", forged, emulated.Tre);
        Assert.Equal((PvaVerdict.Invalid, "pfc-untrusted"), (verdict.Result, verdict.Reason));
        Assert.False(Check(verdict).IsValid);
    }

    [Fact]
    public async Task RevokedPfc_IsInvalid_ByOcspAtTheCcif_RevokedPfcThreat()
    {
        var ct = TestContext.Current.CancellationToken;
        var (device, answer) = await ManufactureAsync("001990000000001", "a");
        Assert.Equal(PvaVerdict.Valid, (await ValidateAsync("001990000000001", answer, device.Tre)).Result);
        var revoked = await new CcifClient(_admin).RevokePfcAsync("001990000000001", "keyCompromise", ct);
        Assert.Equal(2, revoked.Serials.Count);
        var verdict = await ValidateAsync("001990000000001", answer, device.Tre);
        Assert.Equal((PvaVerdict.Invalid, "pfc-revoked"), (verdict.Result, verdict.Reason));
        Assert.Equal(HttpStatusCode.Conflict, (await _admin.PostAsJsonAsync("devices/001990000000001/revocation", new PfcRevocationRequest("keyCompromise"), ct)).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await _admin.PostAsJsonAsync("devices/001990000000001/revocation", new PfcRevocationRequest("because"), ct)).StatusCode);
    }

    /// <summary>
    /// Issue 19: both PfC certificates are asked about in one OCSP request; each is judged by the answer for its own CertID, so
    /// the encryption certificate revoked alone (the attestation one still good) still makes the platform invalid.
    /// </summary>
    [Fact]
    public async Task OnlyTheEncryptionCertificateRevoked_IsInvalid_EachCertIdJudgedOnItsOwn_RevokedPfcThreat()
    {
        var ct = TestContext.Current.CancellationToken;
        var (device, answer) = await ManufactureAsync("001990000000001", "a");
        using var encryption = X509CertificateLoader.LoadCertificate(Convert.FromBase64String(answer.PfcEncryption));
        var authority = (ManufacturerAuthority)_ccif.Services.GetService(typeof(ManufacturerAuthority))!;
        await authority.Hierarchy.RevokeAsync(M2MSec.Pki.CertificateSerial.Of(encryption), 1, ct);

        var verdict = await ValidateAsync("001990000000001", answer, device.Tre);

        Assert.Equal((PvaVerdict.Invalid, "pfc-revoked"), (verdict.Result, verdict.Reason));
    }

    [Fact]
    public async Task OcspUnreachable_IsInvalid_FailClosed()
    {
        var (device, answer) = await ManufactureAsync("001990000000001", "a");
        _peers.Set("ccif", new Uri($"https://127.0.0.1:{Support.LoopbackPort.Free()}/"));
        var verdict = await ValidateAsync("001990000000001", answer, device.Tre);
        Assert.Equal((PvaVerdict.Invalid, "pfc-revocation-unknown"), (verdict.Result, verdict.Reason));
    }

    [Fact]
    public async Task MeasurementsDifferingFromTheReference_AreInvalid_ModifiedPlatformThreat()
    {
        var (device, answer) = await ManufactureAsync("001990000000001", "a");
        M2meDevice.Tamper(device.DataDirectory, Fuse, TamperKind.Firmware);
        var modified = M2meDevice.Open(device.DataDirectory, Fuse);
        Assert.Equal(LockdownReason.FirmwareMeasurement, modified.Tre.LockdownReason); // locked, yet it attests for the PVA
        var verdict = await ValidateAsync("001990000000001", answer, modified.Tre);
        Assert.Equal((PvaVerdict.Invalid, "measurements-mismatch"), (verdict.Result, verdict.Reason));
    }

    [Fact]
    public async Task ReplayedEvidence_OrReusedChallenge_IsRefused_ReplayedEvidenceThreat()
    {
        var ct = TestContext.Current.CancellationToken;
        var (device, answer) = await ManufactureAsync("001990000000001", "a");
        using var sho = await ClientAsync("sho", _pva.Address);
        using var dpf = await ClientAsync("dpf", _pva.Address);
        var pva = new PvaClient(sho);
        var first = await pva.RequestValidationAsync(new ValidationRequest("001990000000001", answer.PfcAttestation, answer.PfcEncryption, new string('a', 32)), ct);
        var evidence = Convert.ToBase64String(device.Tre.Attest(TreCaller.Platform, Convert.FromHexString(first.Challenge)));
        Assert.Equal(PvaVerdict.Valid, (await new PvaClient(dpf).SubmitEvidenceAsync(first.ValidationId, evidence, ct)).Result);
        // The same evidence again: the challenge is single-use.
        var reused = await dpf.PostAsJsonAsync($"validations/{first.ValidationId}/evidence", new EvidenceRequest(evidence), ct);
        Assert.Equal(HttpStatusCode.Conflict, reused.StatusCode);
        Assert.Contains("challenge-used", await reused.Content.ReadAsStringAsync(ct), StringComparison.Ordinal);
        // The old evidence for a new validation: another challenge.
        var second = await pva.RequestValidationAsync(new ValidationRequest("001990000000001", answer.PfcAttestation, answer.PfcEncryption, new string('b', 32)), ct);
        var replayed = await new PvaClient(dpf).SubmitEvidenceAsync(second.ValidationId, evidence, ct);
        Assert.Equal((PvaVerdict.Invalid, "challenge-mismatch"), (replayed.Result, replayed.Reason));
    }

    [Fact]
    public async Task ReferencesFromAnyoneButTheCcif_AreRefused_DeviceSuppliedReferenceThreat()
    {
        var ct = TestContext.Current.CancellationToken;
        var (device, answer) = await ManufactureAsync("001990000000001", "a");
        // A "reference" made from a modified device's own measurements, pushed by every other kind of caller.
        var forged = new ReferenceRequest("001990000000002", "TRE-x", new Dictionary<string, string> { ["application.img"] = new string('0', 64) }, answer.PfcAttestation,
            answer.PfcEncryption, answer.ManufacturerRoot, answer.ManufacturerIssuing);
        foreach (var role in new[] { "sho", "dpf", "drf", "icf", "vno" })
        {
            using var caller = await ClientAsync(role, _pva.Address);
            var refused = await caller.PostAsJsonAsync("references", forged, NetworkFunctionHost.JsonOptions, ct);
            Assert.True(refused.StatusCode == HttpStatusCode.Forbidden, $"{role}: {refused.StatusCode}");
        }
        using (var admin = (await TlsAsync(null, await _h.IssueAsync(CertificateProfile.Admin, new CertificateSubject(NetworkFunctionTls.DefaultAdminSubject))))
            .CreateClient(_pva.Address, TimeSpan.FromSeconds(30)))
            Assert.Equal(HttpStatusCode.Forbidden, (await admin.PostAsJsonAsync("references", forged, NetworkFunctionHost.JsonOptions, ct)).StatusCode);
        // Nor can the CCIF's registration be replaced later (the first registration stands).
        using var ccif = await ClientAsync("ccif", _pva.Address);
        var replace = await ccif.PostAsJsonAsync("references", forged with { Pcid = "001990000000001", TreId = "TRE-a" }, NetworkFunctionHost.JsonOptions, ct);
        Assert.Equal(HttpStatusCode.Conflict, replace.StatusCode);
        Assert.Equal(PvaVerdict.Valid, (await ValidateAsync("001990000000001", answer, device.Tre)).Result);
        // Bad fields are a 400 naming the field.
        var bad = await ccif.PostAsJsonAsync("references", forged with { Measurements = new() { ["x"] = "zz" } }, NetworkFunctionHost.JsonOptions, ct);
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Contains("measurements", await bad.Content.ReadAsStringAsync(ct), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ManufactureRequest_BadFields_Are400NamingTheField_NothingIssued()
    {
        var ct = TestContext.Current.CancellationToken;
        var device = M2meDevice.Create(Path.Combine(_dir, "b"), Fuse, "001990000000009", M2meKind.Tre, "TRE-b");
        var good = new DeviceRegistrationRequest("001990000000009", "TRE-b", "ec-p256", Convert.ToBase64String(device.Tre.IdentityPublicKey()),
            Convert.ToBase64String(device.Tre.PkD()), new() { ["a.img"] = new string('1', 64) }, null);
        foreach (var (request, field) in new (DeviceRegistrationRequest, string)[]
        {
            (good with { Pcid = "12ab" }, "pcid"), (good with { TreId = "TRE b" }, "tre_id"), (good with { PlatformKey = "ec-p384" }, "platform_key"),
            (good with { PlatformKey = "rsa-2048" }, "attestation_public_key"), (good with { EncryptionPublicKey = good.AttestationPublicKey }, "encryption_public_key"),
            (good with { ReferenceMeasurements = [] }, "reference_measurements"), (good with { AuthTokenSha256 = "00" }, "auth_token_sha256"),
        })
        {
            var response = await _admin.PostAsJsonAsync("devices", request, NetworkFunctionHost.JsonOptions, ct);
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            Assert.Contains(field + ":", await response.Content.ReadAsStringAsync(ct), StringComparison.Ordinal);
        }
        Assert.Empty(_icf.Pcids);
        // Not an administrator: 403 on every administrative endpoint of the CCIF, nothing done.
        using var sho = await ClientAsync("sho", _ccif.Address);
        Assert.Equal(HttpStatusCode.Forbidden, (await sho.PostAsJsonAsync("devices", good, NetworkFunctionHost.JsonOptions, ct)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await sho.GetAsync("devices/001990000000001", ct)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await sho.PostAsJsonAsync("devices/001990000000001/revocation", new PfcRevocationRequest("keyCompromise"),
            NetworkFunctionHost.JsonOptions, ct)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await sho.PostAsJsonAsync("devices/001990000000001/firmware-updates",
            new FirmwareUpdateRequest(new() { ["application.img"] = new string('a', 64) }), NetworkFunctionHost.JsonOptions, ct)).StatusCode);
        // A malformed PCID in the path: 400 naming it, before any lookup.
        foreach (var response in new[]
        {
            await _admin.GetAsync("devices/12x", ct),
            await _admin.PostAsJsonAsync("devices/12x/revocation", new PfcRevocationRequest("keyCompromise"), NetworkFunctionHost.JsonOptions, ct),
            await _admin.PostAsJsonAsync("devices/12x/firmware-updates", new FirmwareUpdateRequest(new() { ["a.img"] = new string('a', 64) }),
                NetworkFunctionHost.JsonOptions, ct),
        })
        {
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            Assert.Contains("pcid:", await response.Content.ReadAsStringAsync(ct), StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task ValidationAndEvidence_BadFields_Are400NamingTheField_NoValidationStarted()
    {
        var ct = TestContext.Current.CancellationToken;
        var (_, answer) = await ManufactureAsync("001990000000001", "a");
        using var sho = await ClientAsync("sho", _pva.Address);
        var good = new ValidationRequest("001990000000001", answer.PfcAttestation, answer.PfcEncryption, new string('c', 32));
        foreach (var (request, field) in new (ValidationRequest, string)[]
        {
            (good with { Pcid = "x" }, "pcid"), (good with { PfcAttestation = "bm90IGEgY2VydA==" }, "pfc_attestation"), (good with { PfcEncryption = null }, "pfc_encryption"),
            (good with { ShoNonce = "abcd" }, "sho_nonce"),
        })
        {
            var response = await sho.PostAsJsonAsync("validations", request, NetworkFunctionHost.JsonOptions, ct);
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            Assert.Contains(field + ":", await response.Content.ReadAsStringAsync(ct), StringComparison.Ordinal);
        }
        using var pvaAdmin = (await TlsAsync(null, await _h.IssueAsync(CertificateProfile.Admin, new CertificateSubject(NetworkFunctionTls.DefaultAdminSubject))))
            .CreateClient(_pva.Address, TimeSpan.FromSeconds(30));
        Assert.Empty((await new PvaClient(pvaAdmin).ListValidationsAsync("001990000000001", ct)).Validations);
        // Only the SHO starts validations; only the DPF or the SHO brings evidence.
        using var dpf = await ClientAsync("dpf", _pva.Address);
        Assert.Equal(HttpStatusCode.Forbidden, (await dpf.PostAsJsonAsync("validations", good, NetworkFunctionHost.JsonOptions, ct)).StatusCode);
        var started = await new PvaClient(sho).RequestValidationAsync(good, ct);
        using var vno = await ClientAsync("vno", _pva.Address);
        Assert.Equal(HttpStatusCode.Forbidden, (await vno.PostAsJsonAsync($"validations/{started.ValidationId}/evidence", new EvidenceRequest("AAAA"), ct)).StatusCode);
        var notBase64 = await dpf.PostAsJsonAsync($"validations/{started.ValidationId}/evidence", new EvidenceRequest("%%%"), ct);
        Assert.Equal(HttpStatusCode.BadRequest, notBase64.StatusCode);
        Assert.Contains("evidence:", await notBase64.Content.ReadAsStringAsync(ct), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotFound, (await dpf.PostAsJsonAsync("validations/val-nope/evidence", new EvidenceRequest("AAAA"), ct)).StatusCode);
        // A malformed statement is still a verdict (invalid), and settles the validation.
        var garbage = await new PvaClient(dpf).SubmitEvidenceAsync(started.ValidationId, Convert.ToBase64String(new byte[40]), ct);
        Assert.Equal((PvaVerdict.Invalid, "bad-attestation"), (garbage.Result, garbage.Reason));
        Assert.Equal("invalid", Assert.Single((await new PvaClient(pvaAdmin).ListValidationsAsync("001990000000001", ct)).Validations).State);
    }

    /// <summary>Item 5: `ccif manufacture` makes and registers a device through the running CCIF; `pva show` lists its validations.</summary>
    [Fact]
    public async Task CliManufacture_RegistersAndInjects_NeverPrintsKOrOpc_PvaShowListsValidations()
    {
        var ct = TestContext.Current.CancellationToken;
        var serve = Path.Combine(_dir, "serve");
        Directory.CreateDirectory(serve);
        await AdminCredentials.WriteAsync(serve, await _h.IssueAsync(CertificateProfile.Admin, new CertificateSubject(NetworkFunctionTls.DefaultAdminSubject)), _h, ct);
        var endpoints = Path.Combine(serve, "endpoints.json");
        await File.WriteAllTextAsync(endpoints, System.Text.Json.JsonSerializer.Serialize(new Dictionary<string, string>
        {
            ["ccif"] = _ccif.Address.ToString(),
            ["pva"] = _pva.Address.ToString(),
        }), ct);
        var dir = Path.Combine(_dir, "cli-device");
        var made = await Support.CliRunner.RunAsync("ccif", "manufacture", "--data", dir, "--fuse-dir", Fuse, "--pcid", "001990000000007",
            "--tre-id", "TRE-CLI", "--endpoints", endpoints, "--auth-token", "pass:open-sesame", "--json");
        Assert.True(made.ExitCode == 0, made.Stderr);
        using (var doc = System.Text.Json.JsonDocument.Parse(made.Stdout))
        {
            Assert.Equal("TRE-CLI", doc.RootElement.GetProperty("tre_id").GetString());
            Assert.True(doc.RootElement.GetProperty("dm_root_installed").GetBoolean());
            Assert.False(doc.RootElement.TryGetProperty("k", out _));
        }
        var device = M2meDevice.Open(dir, Fuse);
        Assert.NotNull(device.Tre.ReadObject(TreCaller.Platform, TreObjects.PfcAttestation));
        Assert.Contains("001990000000007", device.Tre.GetStatus().Subscriptions);
        // The token went into the TRE, where only InstallMcim compares it: no caller reads it back.
        Assert.Throws<TreAccessDeniedException>(() => device.Tre.ReadObject(TreCaller.Provisioning, TreObjects.AuthorisationToken));
        Assert.Equal(SHA256.HashData("open-sesame"u8), (await _ccifStore.Ccif.FindDeviceAsync("001990000000007", ct))!.AuthTokenHash);
        Assert.DoesNotContain("open-sesame", made.Stdout + made.Stderr, StringComparison.Ordinal);
        var k = (await _ccifStore.Ccif.FindDeviceAsync("001990000000007", ct))!.K;
        Assert.DoesNotContain(Convert.ToHexString(k), made.Stdout + made.Stderr, StringComparison.OrdinalIgnoreCase);

        // The same PCID again: the CCIF refuses (exit 2), and nothing is left behind.
        var again = await Support.CliRunner.RunAsync("ccif", "manufacture", "--data", Path.Combine(_dir, "cli-2"), "--fuse-dir", Fuse, "--pcid", "001990000000007",
            "--endpoints", endpoints);
        Assert.Equal(2, again.ExitCode);
        Assert.Contains("pcid", again.Stderr, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(_dir, "cli-2")));
        Assert.Equal(2, (await Support.CliRunner.RunAsync("ccif", "manufacture", "--data", Path.Combine(_dir, "cli-3"), "--pcid", "12x", "--endpoints", endpoints)).ExitCode);

        var verdict = await ValidateAsync("001990000000007", await new CcifClient(_admin).GetDeviceAsync("001990000000007", ct) is { } info
            ? new DeviceManufactured(info.Pcid, info.TreId, info.PlatformKey, "", "", info.PfcAttestation, info.PfcEncryption, "", "", null, null) : null!, device.Tre);
        Assert.Equal(PvaVerdict.Valid, verdict.Result);
        var shown = await Support.CliRunner.RunAsync("pva", "show", "--pcid", "001990000000007", "--endpoints", endpoints, "--json");
        Assert.True(shown.ExitCode == 0, shown.Stderr);
        Assert.Contains("\"latest\":\"valid\"", shown.Stdout, StringComparison.Ordinal);
        var text = await Support.CliRunner.RunAsync("pva", "show", "--pcid", "001990000000007", "--endpoints", endpoints);
        Assert.Contains("reference_registered", text.Stdout, StringComparison.Ordinal);
        // A service that is not running: exit 4.
        await File.WriteAllTextAsync(endpoints, $"{{\"pva\": \"https://127.0.0.1:{Support.LoopbackPort.Free()}/\"}}", ct);
        Assert.Equal(4, (await Support.CliRunner.RunAsync("pva", "show", "--pcid", "001990000000007", "--endpoints", endpoints)).ExitCode);
    }

    /// <summary>Stands in for the ICF (helper H3's role): accepts temporary credentials from the CCIF.</summary>
    private sealed class FakeIcf : INetworkFunction
    {
        public List<string> Pcids { get; } = [];

        public string Role => "icf";

        public void ConfigureServices(IServiceCollection services, string dataDirectory)
        {
        }

        public void MapEndpoints(WebApplication app) => app.MapPost("/temporary-credentials", (TemporaryCredentialRequest r) =>
        {
            lock (Pcids)
                Pcids.Add(r.Pcid!);
            return Results.Created($"/temporary-credentials/{r.Pcid}", new TemporaryCredentialCreated(r.Pcid!));
        }).RequireRole(["ccif"]);
    }
}
