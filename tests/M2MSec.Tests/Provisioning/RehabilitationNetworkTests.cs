using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using M2MSec.Cli.Commands;
using M2MSec.Device.M2me;
using M2MSec.Device.Provisioning;
using M2MSec.Device.Tre;
using M2MSec.NetworkFunctions.Ccif;
using M2MSec.NetworkFunctions.Hosting;
using M2MSec.Pki.Authority;
using M2MSec.Pki.Tls;
using M2MSec.Provisioning.Validation;
using M2MSec.Tests.Support;

namespace M2MSec.Tests.Provisioning;

/// <summary>
/// Issue 16, the device side of rehabilitation (docs/decisions/020 "The network path"): with every role of the catalog in one process
/// (mutual TLS, as `serve all`), a provisioned TRE-based device boots changed firmware and locks down; it sends fresh evidence over its
/// own nonce to the DPF's device listener, the DPF asks the PVA (role dpf) and hands back the signed statement, and the TRE alone
/// decides. A registered update is rehabilitated and the device attaches with its MCIM again; an unregistered modification, a
/// replayed or a forged statement leave it locked. Also `m2msec device rehabilitate` and its exit codes.
/// </summary>
public sealed class RehabilitationNetworkTests : IAsyncLifetime
{
    private readonly string _dir = TestKeyRing.TempDirectory("m2msec-rehab-net-");
    private NetworkFunctionFleet _fleet = null!;

    private string Fuses => Path.Combine(_dir, "fuses");

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync() =>
        _fleet = await NetworkFunctionCatalog.StartAllAsync(new StoreOptions(Path.Combine(_dir, "nf"), Path.Combine(_dir, "kek.json")), createKeyRing: true,
            cancellationToken: Ct);

    public async ValueTask DisposeAsync()
    {
        await _fleet.DisposeAsync();
        Directory.Delete(_dir, true);
    }

    private Uri DpfDevice => _fleet["dpf"].DeviceAddress!;

    /// <summary>Manufactured through the CCIF, provisioned through the 21 steps: an active MCIM in the TRE.</summary>
    private async Task<(M2meDevice Device, string Imsi)> ProvisionedAsync(string pcid)
    {
        var device = M2meDevice.Create(Path.Combine(_dir, "dev-" + pcid), Fuses, pcid, M2meKind.Tre, platformKey: KeyAlgorithm.EcP256);
        using (var http = _fleet.AdminClient("ccif", TimeSpan.FromSeconds(30)))
            CcifCommand.Inject(device, await new CcifClient(http).ManufactureAsync(CcifCommand.Request(device, KeyAlgorithm.EcP256), Ct));
        using var provisioning = new M2meProvisioning(device, new ProvisioningEndpoints(_fleet["vno"].DeviceAddress!, _fleet["drf"].DeviceAddress!),
            new McimDownloadOptions { PollInterval = TimeSpan.FromMilliseconds(50), Deadline = TimeSpan.FromSeconds(30) });
        await provisioning.RunAsync(null, Ct);
        return (device, provisioning.Download!.Imsi!);
    }

    /// <summary>The firmware changes, the manufacturer registers it (or nobody does), the device reboots: locked for the mismatch.</summary>
    private async Task<M2meDevice> ChangeFirmwareAndRebootAsync(M2meDevice device, bool registered)
    {
        M2meDevice.Tamper(device.DataDirectory, Fuses, TamperKind.Firmware);
        if (registered)
        {
            using var http = _fleet.AdminClient("ccif", TimeSpan.FromSeconds(30));
            await new CcifClient(http).RegisterFirmwareUpdateAsync(device.Info.Pcid, M2meDevice.BuiltFirmwareMeasurements(device.DataDirectory), Ct);
        }
        var rebooted = M2meDevice.Open(device.DataDirectory, Fuses);
        Assert.Equal(LockdownReason.FirmwareMeasurement, rebooted.Tre.LockdownReason);
        return rebooted;
    }

    private Task<AttachOutcome> AttachAsync(M2meDevice device, string imsi)
    {
        var vno = RoProvisioningClient.Client(_fleet["vno"].DeviceAddress!, _fleet.Hierarchy!.Root);
        return RoProvisioningClient.AttachAsync(device, imsi, vno, Ct).ContinueWith(t =>
        {
            vno.Dispose();
            return t;
        }, TaskScheduler.Default).Unwrap();
    }

    /// <summary>Issue 16: a registered update is rehabilitated over the network (device → DPF → PVA → DPF → TRE), then the device attaches with its MCIM.</summary>
    [Fact]
    public async Task LockedTre_RegisteredFirmwareUpdate_RehabilitatedThroughDpfAndPva_AttachesAgainWithItsMcim()
    {
        var (provisioned, imsi) = await ProvisionedAsync("001900000000601");
        var device = await ChangeFirmwareAndRebootAsync(provisioned, registered: true);
        // While locked: no AKA with the MCIM (attestations only).
        await Assert.ThrowsAsync<TreLockedException>(() => AttachAsync(device, imsi));

        using var dpf = TreRehabilitationClient.DpfClient(device, DpfDevice);
        var outcome = await TreRehabilitationClient.RehabilitateAsync(device, dpf, Ct);

        Assert.True(outcome.IsRehabilitated, $"{outcome.Code}: {outcome.Detail}");
        Assert.False(device.Tre.IsLocked);
        Assert.Contains(device.Tre.Events, e => e.Kind == "rehabilitated");
        Assert.Equal(imsi, device.Tre.InstalledMcims().ActiveImsi);
        var attached = await AttachAsync(device, imsi);
        Assert.Null(attached.RestrictedTo);
        // The accepted measurements are the reference now: the next boot is unlocked; a second attempt has nothing to do.
        var rebooted = M2meDevice.Open(device.DataDirectory, Fuses);
        Assert.False(rebooted.Tre.IsLocked);
        Assert.Equal(RehabilitationOutcome.NotLocked, (await TreRehabilitationClient.RehabilitateAsync(rebooted, dpf, Ct)).Result);
    }

    /// <summary>Issue 16: a modification the manufacturer never registered is judged invalid by the PVA; the TRE stays locked and runs no AKA.</summary>
    [Fact]
    public async Task LockedTre_UnregisteredModification_PvaJudgesInvalid_TreStaysLocked_NoAka_UnregisteredModificationStaysLockedThreat()
    {
        var (provisioned, imsi) = await ProvisionedAsync("001900000000602");
        var device = await ChangeFirmwareAndRebootAsync(provisioned, registered: false);

        using var dpf = TreRehabilitationClient.DpfClient(device, DpfDevice);
        var outcome = await TreRehabilitationClient.RehabilitateAsync(device, dpf, Ct);

        Assert.Equal(RehabilitationOutcome.Refused, outcome.Result);
        Assert.Equal("judged-invalid", outcome.Code);
        Assert.True(device.Tre.IsLocked);
        Assert.Contains(device.Tre.Events, e => e.Kind == "rehabilitation-refused");
        await Assert.ThrowsAsync<TreLockedException>(() => AttachAsync(device, imsi));
        Assert.True(M2meDevice.Open(device.DataDirectory, Fuses).Tre.IsLocked);
    }

    /// <summary>
    /// Issue 16: a valid statement from an earlier rehabilitation, replayed on the network path in place of the DPF's answer, is refused
    /// by the TRE (bound to another nonce); the TRE stays locked, and a fresh attempt then succeeds.
    /// </summary>
    [Fact]
    public async Task ReplayedStatement_OnTheNetworkPath_RefusedByTheTre_StaysLocked_ReplayedRehabilitationThreat()
    {
        var (provisioned, _) = await ProvisionedAsync("001900000000603");
        var device = await ChangeFirmwareAndRebootAsync(provisioned, registered: true);
        var recorder = new Rewriter(null);
        using (var dpf = Client(recorder))
            Assert.True((await TreRehabilitationClient.RehabilitateAsync(device, dpf, Ct)).IsRehabilitated);
        var old = recorder.LastStatement!;
        // The image changes back (a registered set: the manufacturer's original); locked again at the next boot.
        M2meDevice.Tamper(device.DataDirectory, Fuses, TamperKind.Firmware);
        device = M2meDevice.Open(device.DataDirectory, Fuses);
        Assert.True(device.Tre.IsLocked);

        using (var replaying = Client(new Rewriter((_, _) => old)))
        {
            var outcome = await TreRehabilitationClient.RehabilitateAsync(device, replaying, Ct);
            Assert.Equal(RehabilitationOutcome.Refused, outcome.Result);
            Assert.Equal("nonce-mismatch", outcome.Code);
        }
        Assert.True(device.Tre.IsLocked);
        using (var dpf = Client(new Rewriter(null)))
            Assert.True((await TreRehabilitationClient.RehabilitateAsync(device, dpf, Ct)).IsRehabilitated);
    }

    /// <summary>
    /// Issue 16: a statement forged on the network path — right TRE, PCID, PfC, nonce and measurements, result valid, but signed by a
    /// network function of the operator that is not the PVA (role dpf) — is refused by the TRE; it stays locked.
    /// </summary>
    [Fact]
    public async Task ForgedStatement_SignedByANonPvaFunction_RefusedByTheTre_StaysLocked_ForgedRehabilitationThreat()
    {
        var (provisioned, _) = await ProvisionedAsync("001900000000604");
        var device = await ChangeFirmwareAndRebootAsync(provisioned, registered: false);
        var h = _fleet.Hierarchy!;
        using var dpfCert = await h.IssueAsync(CertificateProfile.NetworkFunction, new CertificateSubject("dpf", ["127.0.0.1"]), role: "dpf", cancellationToken: Ct);
        var pfcA = device.Tre.ReadObject(TreCaller.Platform, TreObjects.PfcAttestation)!;
        var pfcE = device.Tre.ReadObject(TreCaller.Platform, TreObjects.PfcEncryption)!;
        var measured = M2meDevice.BuiltFirmwareMeasurements(device.DataDirectory);
        var forger = new Rewriter((request, _) => PvaRehabilitation.Sign(new PvaRehabilitation(device.Tre.TreId, device.Tre.Pcid!, PvaVerdict.Fingerprint(pfcA, pfcE),
            Convert.FromHexString(request["tre_nonce"]!.GetValue<string>()), measured, PvaVerdict.Valid, null, DateTimeOffset.UtcNow), dpfCert, [h.Issuing]));

        using var dpf = Client(forger);
        var outcome = await TreRehabilitationClient.RehabilitateAsync(device, dpf, Ct);

        Assert.Equal(RehabilitationOutcome.Refused, outcome.Result);
        Assert.Equal("bad-rehabilitation", outcome.Code);
        Assert.True(device.Tre.IsLocked);
    }

    /// <summary>Issue 16: the DPF's device endpoint checks the request before asking the PVA: 400 with a problem naming the field.</summary>
    [Fact]
    public async Task DpfRehabilitationEndpoint_MalformedRequest_Is400NamingTheField_UnknownPcid404()
    {
        using var dpf = RoProvisioningClient.Client(DpfDevice, _fleet.Hierarchy!.Root);
        using var bad = await dpf.PostAsJsonAsync("rehabilitations", new { pcid = "12ab", tre_nonce = "00", evidence = "AA==" }, Ct);
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Contains("pcid:", await bad.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);

        var (provisioned, _) = await ProvisionedAsync("001900000000605");
        var pfcA = Convert.ToBase64String(provisioned.Tre.ReadObject(TreCaller.Platform, TreObjects.PfcAttestation)!);
        var pfcE = Convert.ToBase64String(provisioned.Tre.ReadObject(TreCaller.Platform, TreObjects.PfcEncryption)!);
        using var noNonce = await dpf.PostAsJsonAsync("rehabilitations",
            new { pcid = "001900000000605", pfc_attestation = pfcA, pfc_encryption = pfcE, tre_nonce = "00", evidence = "AA==" }, Ct);
        Assert.Equal(HttpStatusCode.BadRequest, noNonce.StatusCode);
        Assert.Contains("tre_nonce:", await noNonce.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
        using var unknown = await dpf.PostAsJsonAsync("rehabilitations",
            new { pcid = "001900000000699", pfc_attestation = pfcA, pfc_encryption = pfcE, tre_nonce = new string('0', 64), evidence = "AAAA" }, Ct);
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
    }

    /// <summary>
    /// Issue 16: `m2msec device rehabilitate` — exit 0 rehabilitated (and attached with the MCIM again), 1 an unregistered modification
    /// (still locked), 2 a missing or incomplete --endpoints, 4 the DPF not reachable.
    /// </summary>
    [Fact]
    public async Task DeviceRehabilitateCommand_ExitCodes_0Rehabilitated_1StillLocked_2BadArguments_4PeerDown()
    {
        var endpoints = Path.Combine(_dir, "endpoints.json");
        await File.WriteAllTextAsync(endpoints, JsonSerializer.Serialize(new Dictionary<string, string>
        {
            ["dpf-device"] = DpfDevice.ToString(),
            ["vno-device"] = _fleet["vno"].DeviceAddress!.ToString(),
        }), Ct);
        var (updated, imsi) = await ProvisionedAsync("001900000000606");
        await ChangeFirmwareAndRebootAsync(updated, registered: true);
        var (modified, _) = await ProvisionedAsync("001900000000607");
        await ChangeFirmwareAndRebootAsync(modified, registered: false);

        var (code, stdout, stderr) = await CliRunner.RunAsync("device", "rehabilitate", "--data", updated.DataDirectory, "--fuse-dir", Fuses, "--endpoints", endpoints, "--json");
        Assert.True(code == 0, stdout + stderr);
        using (var json = JsonDocument.Parse(stdout))
        {
            Assert.Equal("rehabilitated", json.RootElement.GetProperty("result").GetString());
            Assert.Equal(imsi, json.RootElement.GetProperty("imsi").GetString());
            Assert.False(string.IsNullOrEmpty(json.RootElement.GetProperty("ip_address").GetString()));
        }
        Assert.False(M2meDevice.Open(updated.DataDirectory, Fuses).Tre.IsLocked);

        (code, stdout, stderr) = await CliRunner.RunAsync("device", "rehabilitate", "--data", modified.DataDirectory, "--fuse-dir", Fuses, "--endpoints", endpoints, "--json");
        Assert.True(code == 1, stdout + stderr);
        using (var json = JsonDocument.Parse(stdout))
            Assert.Equal("judged-invalid", json.RootElement.GetProperty("code").GetString());
        Assert.True(M2meDevice.Open(modified.DataDirectory, Fuses).Tre.IsLocked);

        (code, _, stderr) = await CliRunner.RunAsync("device", "rehabilitate", "--data", modified.DataDirectory, "--fuse-dir", Fuses);
        Assert.Equal(2, code);
        Assert.Contains("--endpoints", stderr, StringComparison.Ordinal);
        var partial = Path.Combine(_dir, "partial.json");
        await File.WriteAllTextAsync(partial, JsonSerializer.Serialize(new Dictionary<string, string> { ["vno-device"] = "https://127.0.0.1:1/" }), Ct);
        (code, _, stderr) = await CliRunner.RunAsync("device", "rehabilitate", "--data", modified.DataDirectory, "--fuse-dir", Fuses, "--endpoints", partial);
        Assert.Equal(2, code);
        Assert.StartsWith("--endpoints: ", stderr, StringComparison.Ordinal);

        var down = Path.Combine(_dir, "down.json");
        var port = LoopbackPort.Free();
        await File.WriteAllTextAsync(down, JsonSerializer.Serialize(new Dictionary<string, string>
        {
            ["dpf-device"] = $"https://127.0.0.1:{port}/",
            ["vno-device"] = $"https://127.0.0.1:{port}/",
        }), Ct);
        (code, _, stderr) = await CliRunner.RunAsync("device", "rehabilitate", "--data", modified.DataDirectory, "--fuse-dir", Fuses, "--endpoints", down);
        Assert.True(code == 4, stderr);
        Assert.True(M2meDevice.Open(modified.DataDirectory, Fuses).Tre.IsLocked);
    }

    /// <summary>A device's client to the DPF's device listener (server checked against the operator root) through <paramref name="rewriter"/>.</summary>
    private HttpClient Client(Rewriter rewriter)
    {
        rewriter.InnerHandler = new SocketsHttpHandler
        {
            SslOptions = TlsProfile.CreateClientOptions(DpfDevice.Host, ProfileChainValidator.ServerCallback(_fleet.Hierarchy!.Root)),
        };
        return new HttpClient(rewriter) { BaseAddress = DpfDevice };
    }

    /// <summary>On the network path: records the statement the DPF answered, or puts another in its place (a replay, a forgery).</summary>
    private sealed class Rewriter(Func<JsonObject, string, string>? replace) : DelegatingHandler
    {
        public string? LastStatement { get; private set; }

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var body = JsonNode.Parse(await request.Content!.ReadAsStringAsync(cancellationToken))!.AsObject();
            var response = await base.SendAsync(request, cancellationToken);
            var answer = JsonNode.Parse(await response.Content.ReadAsStringAsync(cancellationToken))!.AsObject();
            LastStatement = answer["statement"]!.GetValue<string>();
            if (replace is not null)
                answer["statement"] = replace(body, LastStatement);
            response.Content = new StringContent(answer.ToJsonString(), System.Text.Encoding.UTF8, "application/json");
            return response;
        }
    }
}
