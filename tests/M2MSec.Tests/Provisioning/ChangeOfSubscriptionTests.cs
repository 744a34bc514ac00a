using System.Net;
using System.Net.Http.Json;
using M2MSec.Cli.Commands;
using M2MSec.Device.M2me;
using M2MSec.Device.Provisioning;
using M2MSec.Device.Tre;
using M2MSec.NetworkFunctions.Ccif;
using M2MSec.NetworkFunctions.Dpf;
using M2MSec.NetworkFunctions.Drf;
using M2MSec.NetworkFunctions.Hosting;
using M2MSec.NetworkFunctions.Hss;
using M2MSec.NetworkFunctions.Sho;
using M2MSec.Pki.Authority;
using M2MSec.Provisioning.Objects;
using M2MSec.Tests.Support;
using Microsoft.Extensions.DependencyInjection;

namespace M2MSec.Tests.Provisioning;

/// <summary>
/// Issue 16: change of subscription between two running SHOs (docs/decisions/021) with every role of `serve all` in one process —
/// the second SHO "sho-b" with its own HSS "hss-b" — and real devices: the new SHO starts it at the RO, the DPF designates it to the
/// TRE over DM, steps 11–21 run again with a fresh PVA validation, the old SHO deletes its MCIM by its own signed instructions
/// through the DPF and retires the IMSI in its HSS.
/// </summary>
[LongRunning(47)]
public sealed partial class ChangeOfSubscriptionTests : IAsyncLifetime
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);
    private readonly string _dir = TestKeyRing.TempDirectory("m2msec-change-");
    private NetworkFunctionFleet _fleet = null!;

    public async ValueTask InitializeAsync() =>
        _fleet = await NetworkFunctionCatalog.StartAllAsync(new StoreOptions(Path.Combine(_dir, "nf"), Path.Combine(_dir, "kek.json")), createKeyRing: true,
            cancellationToken: TestContext.Current.CancellationToken);

    public async ValueTask DisposeAsync()
    {
        await _fleet.DisposeAsync();
        Directory.Delete(_dir, true);
    }

    /// <summary>A device manufactured through the CCIF, its token handed to both SHOs, provisioned at "sho" (steps 1–21).</summary>
    private async Task<(M2meDevice Device, string Imsi)> ProvisionedAtShoAsync(string pcid, CancellationToken ct, bool tokenToShoB = true)
    {
        var token = System.Text.Encoding.UTF8.GetBytes("owner-token-" + pcid);
        var device = M2meDevice.Create(Path.Combine(_dir, "dev-" + pcid), Path.Combine(_dir, "fuses"), pcid, M2meKind.Tre, platformKey: KeyAlgorithm.EcP256);
        using (var http = _fleet.AdminClient("ccif", Timeout))
        {
            var answer = await new CcifClient(http).ManufactureAsync(CcifCommand.Request(device, KeyAlgorithm.EcP256, token), ct);
            CcifCommand.Inject(device, answer, token);
        }
        foreach (var sho in tokenToShoB ? new[] { "sho", ShoOptions.SecondShoId } : ["sho"])
        {
            using var http = _fleet.AdminClient(sho, Timeout);
            (await http.PutAsJsonAsync($"authorisation-tokens/{pcid}", new AuthorisationTokenRequest(Convert.ToHexStringLower(token)), NetworkFunctionHost.JsonOptions, ct))
                .EnsureSuccessStatusCode();
        }
        using var provisioning = new M2meProvisioning(device, Endpoints(), Poll());
        await provisioning.RunAsync(null, ct);
        return (device, provisioning.Download!.Imsi!);
    }

    private ProvisioningEndpoints Endpoints() => new(_fleet["vno"].DeviceAddress!, _fleet["drf"].DeviceAddress!);

    private static McimDownloadOptions Poll() => new() { PollInterval = TimeSpan.FromMilliseconds(50), Deadline = Timeout };

    /// <summary>DM sessions until the old MCIM is gone (or, with <paramref name="idle"/>, until the DPF had nothing for that many sessions).</summary>
    private async Task<SubscriptionChangeResult> SessionsAsync(M2meDevice device, CancellationToken ct, int idle = 400)
    {
        using var change = new M2meSubscriptionChange(device, Endpoints(), Poll()) { IdleSessions = idle };
        return await change.RunSessionsAsync(ct);
    }

    private async Task<ShoSubscriptionDto> SubscriptionAsync(string sho, string pcid, CancellationToken ct)
    {
        using var http = _fleet.AdminClient(sho, Timeout);
        return (await new ShoClient(http).ListSubscriptionsAsync(ct)).Subscriptions.Single(s => s.Pcid == pcid);
    }

    /// <summary>The step that follows a device session runs beside it: waits until <paramref name="sho"/>'s subscription is <paramref name="state"/>.</summary>
    private async Task<ShoSubscriptionDto> WaitForAsync(string sho, string pcid, string state, CancellationToken ct)
    {
        var until = DateTime.UtcNow + Timeout;
        while (true)
        {
            var s = await SubscriptionAsync(sho, pcid, ct);
            if (s.State == state || DateTime.UtcNow > until)
                return s;
            await Task.Delay(50, ct);
        }
    }

    private async Task<ChangeAccepted> RequestChangeAsync(string pcid, CancellationToken ct)
    {
        using var http = _fleet.AdminClient(ShoOptions.SecondShoId, Timeout);
        return await new ShoClient(http).RequestChangeAsync(new ShoChangeRequest(pcid, null), ct);
    }

    /// <summary>An SHO's own signed instruction, as its signing identity makes it.</summary>
    private async Task<string> InstructionAsync(string signingSho, M2meDevice device, string imsi, McimOperation operation, ulong sequence, CancellationToken ct)
    {
        var signer = await _fleet[signingSho].Services.GetRequiredService<ShoSigningIdentity>().GetAsync(ct);
        return Convert.ToBase64String(McimInstruction.Sign(new McimInstructionContent(device.Info.Pcid, device.Info.TreId, imsi, operation, sequence, signingSho),
            signer.Certificate, signer.Chain));
    }

    /// <summary>Hands instructions to the DPF as the network function <paramref name="asSho"/> (role sho, its certificate's CN).</summary>
    private async Task<HttpResponseMessage> DeliverAsync(string asSho, string claimedSho, string pcid, IReadOnlyList<string> instructions, CancellationToken ct)
    {
        using var http = await _fleet.ClientAsAsync("sho", "dpf", Timeout, ct, name: asSho);
        return await http.PostAsJsonAsync($"instructions/{pcid}", new InstructionDelivery(claimedSho, instructions), NetworkFunctionHost.JsonOptions, ct);
    }

    /// <summary>
    /// Issue 16: the full change — sho-b takes the device over; the device attaches with sho-b's IMSI (its HSS hss-b); the old MCIM
    /// is gone from the TRE (disabled then deleted by sho's own instructions); the old IMSI is refused by sho's HSS and by the VNO.
    /// </summary>
    [Fact]
    public async Task ChangeToShoB_NewImsiAttaches_OldMcimDeletedByItsOwner_OldImsiAkaRefused_OldImsiAkaRefusedThreat()
    {
        var ct = TestContext.Current.CancellationToken;
        var (device, oldImsi) = await ProvisionedAtShoAsync("001900000000301", ct);
        Assert.StartsWith("00101", oldImsi);

        var accepted = await RequestChangeAsync("001900000000301", ct);
        Assert.Equal(("sho", ShoOptions.SecondShoId, "provisioning"), (accepted.FromSho, accepted.ToSho, accepted.State));
        var result = await SessionsAsync(device, ct);

        Assert.True(result.Changed && result.OldDeleted, $"{result.Outcome}: {result.Detail}");
        Assert.Equal(oldImsi, result.OldImsi);
        Assert.StartsWith("00102", result.NewImsi);
        var mcims = device.Tre.InstalledMcims();
        Assert.Equal(result.NewImsi, mcims.ActiveImsi);
        Assert.Equal(ShoOptions.SecondShoId, Assert.Single(mcims.Mcims).ShoId);
        using (var change = new M2meSubscriptionChange(device, Endpoints(), Poll()))
            Assert.Equal(result.NewImsi, (await change.AttachAsync(ct)).Identity);

        // Both SHOs learn the outcome: sho-b's subscription is active, sho's moved once the TRE confirmed the delete.
        Assert.Equal("active", (await SubscriptionAsync(ShoOptions.SecondShoId, "001900000000301", ct)).State);
        Assert.Equal("moved", (await WaitForAsync("sho", "001900000000301", "moved", ct)).State);
        using (var drf = _fleet.AdminClient("drf", Timeout))
            Assert.Equal("released", (await new DrfClient(drf).GetChangeAsync("001900000000301", ct)).State);

        // The old IMSI: no vector from sho's HSS, and the VNO refuses its attach.
        using (var asVno = await _fleet.ClientAsAsync("vno", "hss", Timeout, ct))
        {
            var refused = await Assert.ThrowsAsync<HssRequestException>(() => new HssClient(asVno).GetVectorsAsync(oldImsi, 1, null, Convert.ToHexStringLower(M2MSec.NetworkFunctions.Vno.PlmnId.Encode("00102")), ct));
            Assert.Equal(HttpStatusCode.NotFound, refused.StatusCode);
        }
        var root = device.Tre.TrustAnchor(TreCaller.DeviceManagement, "dm")!;
        var attach = await Assert.ThrowsAsync<RoProvisioningException>(() => RoProvisioningClient.AttachAsync(device, oldImsi, _fleet["vno"].DeviceAddress!, root, ct));
        Assert.Equal("attach-refused", attach.Code);
    }

    /// <summary>
    /// Issue 16: a change to an SHO the PVA has not validated the device for — its platform certificate was revoked after the first
    /// provisioning, so the PVA judges the platform invalid for sho-b's own request — is refused: sho-b seals nothing, nothing is
    /// downloaded, the old MCIM stays the active one and the RO keeps the device with sho.
    /// </summary>
    [Fact]
    public async Task ChangeToShoB_PlatformJudgedInvalid_NothingSealedOrInstalled_OldMcimStillActive_ChangeToShoNotValidatedByPvaRefusedThreat()
    {
        var ct = TestContext.Current.CancellationToken;
        var (device, oldImsi) = await ProvisionedAtShoAsync("001900000000302", ct);
        using (var ccif = _fleet.AdminClient("ccif", Timeout))
            await new CcifClient(ccif).RevokePfcAsync("001900000000302", "keyCompromise", ct);

        await RequestChangeAsync("001900000000302", ct);
        var result = await SessionsAsync(device, ct, idle: 12);

        Assert.Equal("nothing-pending", result.Outcome);
        var refused = await WaitForAsync(ShoOptions.SecondShoId, "001900000000302", "refused", ct);
        Assert.Equal("refused", refused.State);
        Assert.Null(refused.Imsi);
        Assert.Contains("pfc-revoked", refused.Reason, StringComparison.Ordinal);
        var mcims = device.Tre.InstalledMcims();
        Assert.Equal(oldImsi, mcims.ActiveImsi);
        Assert.Equal("sho", Assert.Single(mcims.Mcims).ShoId);
        Assert.Equal("active", (await SubscriptionAsync("sho", "001900000000302", ct)).State);
        using var drf = _fleet.AdminClient("drf", Timeout);
        var until = DateTime.UtcNow + Timeout;
        DrfChangeDto change;
        while ((change = await new DrfClient(drf).GetChangeAsync("001900000000302", ct)).State == "provisioning" && DateTime.UtcNow < until)
            await Task.Delay(50, ct);
        Assert.Equal("failed", change.State);
        using (var sho = _fleet.AdminClient(ShoOptions.SecondShoId, Timeout))
            Assert.Equal(0, (await new ShoClient(sho).ListSubscriptionsAsync(ct)).Pool.GetValueOrDefault("assigned"));
    }

    /// <summary>
    /// Issue 16: sho-b signs a delete (and a disable) for the MCIM sho installed and hands it to the DPF as itself: the DPF carries it
    /// (it cannot judge ownership), the TRE refuses it, the MCIM stays enabled and active; sho-b cannot pass its instruction off as sho's.
    /// </summary>
    [Fact]
    public async Task ShoBInstructionForShosMcim_ThroughTheDpf_TreRefuses_StateUnchanged_AnotherShoCannotDisableOrDeleteThreat()
    {
        var ct = TestContext.Current.CancellationToken;
        var (device, imsi) = await ProvisionedAtShoAsync("001900000000303", ct, tokenToShoB: false);
        var delete = await InstructionAsync(ShoOptions.SecondShoId, device, imsi, McimOperation.Delete, 1, ct);
        var disable = await InstructionAsync(ShoOptions.SecondShoId, device, imsi, McimOperation.Disable, 2, ct);

        using (var claimed = await DeliverAsync(ShoOptions.SecondShoId, "sho", "001900000000303", [delete], ct))
            Assert.Equal(HttpStatusCode.Forbidden, claimed.StatusCode);
        using (var queued = await DeliverAsync(ShoOptions.SecondShoId, ShoOptions.SecondShoId, "001900000000303", [delete, disable], ct))
            Assert.Equal(HttpStatusCode.Accepted, queued.StatusCode);
        var result = await SessionsAsync(device, ct, idle: 4);

        Assert.Equal("nothing-pending", result.Outcome);
        var mcim = Assert.Single(device.Tre.InstalledMcims().Mcims);
        Assert.Equal((imsi, "sho", McimStates.Enabled, true, 0UL), (mcim.Imsi, mcim.ShoId, mcim.State, mcim.Active, mcim.LastSequence));
        Assert.Equal("active", (await SubscriptionAsync("sho", "001900000000303", ct)).State);
    }

    /// <summary>
    /// Issue 16: sho's own disable goes through the DPF and is applied; the same signed document delivered again is refused by the TRE
    /// (its sequence is not above the last applied), nothing changes.
    /// </summary>
    [Fact]
    public async Task ShosOwnDisable_AppliedOnce_TheSameDocumentReplayedThroughTheDpf_Refused_ReplayedInstructionThreat()
    {
        var ct = TestContext.Current.CancellationToken;
        var (device, imsi) = await ProvisionedAtShoAsync("001900000000304", ct, tokenToShoB: false);
        var disable = await InstructionAsync("sho", device, imsi, McimOperation.Disable, 1, ct);

        using (var first = await DeliverAsync("sho", "sho", "001900000000304", [disable], ct))
            Assert.Equal(HttpStatusCode.Accepted, first.StatusCode);
        await SessionsAsync(device, ct, idle: 3);
        var mcim = Assert.Single(device.Tre.InstalledMcims().Mcims);
        Assert.Equal((McimStates.Disabled, 1UL), (mcim.State, mcim.LastSequence));

        using (var replay = await DeliverAsync("sho", "sho", "001900000000304", [disable], ct))
            Assert.Equal(HttpStatusCode.Accepted, replay.StatusCode);
        var result = await SessionsAsync(device, ct, idle: 3);

        Assert.True(result.Sessions > 3, "the replayed instruction was delivered");
        mcim = Assert.Single(device.Tre.InstalledMcims().Mcims);
        Assert.Equal((McimStates.Disabled, 1UL, imsi), (mcim.State, mcim.LastSequence, mcim.Imsi));
    }

    /// <summary>Issue 16: `sho change` — its JSON answer, bad arguments (2), refusals of the network (2), a peer that is down (4).</summary>
    [Fact]
    public async Task ShoChangeCli_StartsTheChange_JsonFields_BadArgs2_UnknownPcid2_PeerDown4()
    {
        var ct = TestContext.Current.CancellationToken;
        await ProvisionedAtShoAsync("001900000000305", ct);
        var data = _fleet.DataDirectory;
        await File.WriteAllTextAsync(Path.Combine(data, "endpoints.json"), System.Text.Json.JsonSerializer.Serialize(new Dictionary<string, string>
        {
            ["sho"] = (_fleet["sho"].AdminAddress ?? _fleet["sho"].Address).ToString(),
            [ShoOptions.SecondShoId] = (_fleet[ShoOptions.SecondShoId].AdminAddress ?? _fleet[ShoOptions.SecondShoId].Address).ToString(),
        }), ct);

        var (code, stdout, stderr) = await CliRunner.RunAsync("sho", "change", "--data", data, "--pcid", "001900000000305", "--to", "sho-b", "--json");
        Assert.True(code == 0, stdout + stderr);
        using (var json = System.Text.Json.JsonDocument.Parse(stdout))
        {
            Assert.Equal("001900000000305", json.RootElement.GetProperty("pcid").GetString());
            Assert.Equal("sho", json.RootElement.GetProperty("from_sho").GetString());
            Assert.Equal("sho-b", json.RootElement.GetProperty("to_sho").GetString());
            Assert.Equal("provisioning", json.RootElement.GetProperty("state").GetString());
        }

        (code, _, stderr) = await CliRunner.RunAsync("sho", "change", "--data", data, "--pcid", "12ab", "--to", "sho-b");
        Assert.Equal((2, true), (code, stderr.Contains("--pcid", StringComparison.Ordinal)));
        (code, _, stderr) = await CliRunner.RunAsync("sho", "change", "--data", data, "--pcid", "001900000000305", "--imsi", "001010000000001", "--to", "sho-b");
        Assert.Equal(2, code);
        (code, _, stderr) = await CliRunner.RunAsync("sho", "change", "--data", data, "--pcid", "001900000000305", "--to", "sho-x");
        Assert.Equal((2, true), (code, stderr.StartsWith("--to: ", StringComparison.Ordinal)));
        (code, _, stderr) = await CliRunner.RunAsync("sho", "change", "--data", data, "--pcid", "001900000000999", "--to", "sho-b");
        Assert.Equal((2, true), (code, stderr.StartsWith("sho-b: ", StringComparison.Ordinal)));
        (code, _, _) = await CliRunner.RunAsync("sho", "change", "--data", data, "--imsi", "001020000000999", "--to", "sho");
        Assert.Equal(2, code);

        var down = Path.Combine(_dir, "down.json");
        await File.WriteAllTextAsync(down, System.Text.Json.JsonSerializer.Serialize(new Dictionary<string, string>
        {
            [ShoOptions.SecondShoId] = $"https://127.0.0.1:{LoopbackPort.Free()}/",
        }), ct);
        File.Copy(Path.Combine(data, "admin.crt"), Path.Combine(_dir, "admin.crt"));
        foreach (var f in new[] { "admin.key", "chain.pem", "root.pem" })
        {
            if (File.Exists(Path.Combine(data, f)))
                File.Copy(Path.Combine(data, f), Path.Combine(_dir, f));
        }
        (code, _, stderr) = await CliRunner.RunAsync("sho", "change", "--data", data, "--endpoints", down, "--pcid", "001900000000305", "--to", "sho-b");
        Assert.True(code == 4, stderr);
    }

    /// <summary>Issue 16: every new endpoint refuses roles it does not name (403) and names the bad field (400), before any state change.</summary>
    [Fact]
    public async Task ChangeEndpoints_RefuseOtherRoles403_AndNameTheBadField400_ForgedCallerThreat()
    {
        var ct = TestContext.Current.CancellationToken;
        async Task ExpectAsync(string role, string target, HttpMethod method, string path, object? body, HttpStatusCode status, string? field = null, string? name = null)
        {
            using var http = await _fleet.ClientAsAsync(role, target, Timeout, ct, name);
            using var request = new HttpRequestMessage(method, path) { Content = body is null ? null : JsonContent.Create(body, options: NetworkFunctionHost.JsonOptions) };
            using var response = await http.SendAsync(request, ct);
            var text = await response.Content.ReadAsStringAsync(ct);
            Assert.True(response.StatusCode == status, $"{role} → {target} {method} {path}: {(int)response.StatusCode} {text}");
            if (field is not null)
                Assert.Contains(field + ":", text, StringComparison.Ordinal);
        }

        var change = new DrfChangeRequest("001900000000399", null, "sho-b");
        await ExpectAsync("dpf", "drf", HttpMethod.Post, "changes", change, HttpStatusCode.Forbidden);
        await ExpectAsync("sho", "drf", HttpMethod.Post, "changes", change with { Pcid = "12x" }, HttpStatusCode.BadRequest, "pcid", "sho-b");
        await ExpectAsync("sho", "drf", HttpMethod.Post, "changes", change with { ShoId = "no spaces" }, HttpStatusCode.BadRequest, "sho_id", "sho-b");
        await ExpectAsync("sho", "drf", HttpMethod.Post, "changes", change with { ShoId = "sho" }, HttpStatusCode.Forbidden, "sho_id", "sho-b");
        await ExpectAsync("sho", "drf", HttpMethod.Post, "changes", change, HttpStatusCode.NotFound, "pcid", "sho-b");
        await ExpectAsync("sho", "drf", HttpMethod.Post, "changes/001900000000399/status", new DrfChangeStatusRequest("installed", null), HttpStatusCode.Forbidden);
        await ExpectAsync("dpf", "drf", HttpMethod.Post, "changes/001900000000399/status", new DrfChangeStatusRequest("done", null), HttpStatusCode.BadRequest, "result");

        await ExpectAsync("sho", "dpf", HttpMethod.Post, "changes", new DpfChangeRequest("001900000000399", "sho-b"), HttpStatusCode.Forbidden);
        await ExpectAsync("drf", "dpf", HttpMethod.Post, "changes", new DpfChangeRequest("001900000000399", ""), HttpStatusCode.BadRequest, "sho_id");
        await ExpectAsync("drf", "dpf", HttpMethod.Post, "instructions/001900000000399", new InstructionDelivery("sho", ["AAAA"]), HttpStatusCode.Forbidden);
        await ExpectAsync("sho", "dpf", HttpMethod.Post, "instructions/001900000000399", new InstructionDelivery("sho", []), HttpStatusCode.BadRequest, "instructions");
        await ExpectAsync("sho", "dpf", HttpMethod.Post, "instructions/001900000000399", new InstructionDelivery("sho", ["%%%"]), HttpStatusCode.BadRequest, "instructions[0]");

        await ExpectAsync("dpf", "sho", HttpMethod.Post, "subscriptions/001900000000399/released", new ShoReleaseRequest("sho-b"), HttpStatusCode.Forbidden);
        await ExpectAsync("drf", "sho", HttpMethod.Post, "subscriptions/001900000000399/released", new ShoReleaseRequest("bad id!"), HttpStatusCode.BadRequest, "to_sho");
        await ExpectAsync("drf", "sho", HttpMethod.Post, "subscriptions/001900000000399/released", new ShoReleaseRequest("sho-b"), HttpStatusCode.NotFound, "pcid");
        var outcome = new McimInstructionOutcome("001010000000001", "delete", 1, "applied", null);
        await ExpectAsync("drf", "sho", HttpMethod.Post, "subscriptions/001900000000399/instructions/status", new ShoInstructionStatusRequest([outcome]), HttpStatusCode.Forbidden);
        await ExpectAsync("dpf", "sho", HttpMethod.Post, "subscriptions/001900000000399/instructions/status", new ShoInstructionStatusRequest([]), HttpStatusCode.BadRequest, "outcomes");
        await ExpectAsync("dpf", "sho", HttpMethod.Post, "subscriptions/001900000000399/instructions/status",
            new ShoInstructionStatusRequest([outcome with { Operation = "wipe" }]), HttpStatusCode.BadRequest, "outcomes[0].operation");
        await ExpectAsync("drf", "sho", HttpMethod.Post, "changes", new ShoChangeRequest("001900000000399", null), HttpStatusCode.Forbidden);
        // Bulk preparation's DRF look-up (decision 023): an SHO learns only its own devices, never another SHO's.
        var lookup = new M2MSec.NetworkFunctions.Drf.AssignmentLookupRequest("sho", ["001900000000399"]);
        await ExpectAsync("sho", "drf", HttpMethod.Post, "assignments/lookup", lookup, HttpStatusCode.Forbidden, "sho_id", "sho-b");
        await ExpectAsync("sho", "drf", HttpMethod.Post, "assignments/lookup", lookup with { ShoId = "sho-b" }, HttpStatusCode.OK, null, "sho-b");
        await ExpectAsync("sho", "drf", HttpMethod.Post, "assignments/lookup", lookup, HttpStatusCode.OK);
        // Bulk preparation's CCIF list of PfCs (decision 023): for SHOs and administrators only; each query field checked.
        await ExpectAsync("vno", "ccif", HttpMethod.Get, "pfcs", null, HttpStatusCode.Forbidden);
        await ExpectAsync("sho", "ccif", HttpMethod.Get, "pfcs?after=12x", null, HttpStatusCode.BadRequest, "after");
        await ExpectAsync("sho", "ccif", HttpMethod.Get, "pfcs?limit=0", null, HttpStatusCode.BadRequest, "limit");
        await ExpectAsync("sho", "ccif", HttpMethod.Get, "pfcs?limit=1001", null, HttpStatusCode.BadRequest, "limit");
        await ExpectAsync("sho", "ccif", HttpMethod.Get, "pfcs?limit=1", null, HttpStatusCode.OK);
        // The DPF's change and instruction endpoints name a malformed PCID before anything else.
        await ExpectAsync("drf", "dpf", HttpMethod.Post, "changes", new DpfChangeRequest("12x", "sho-b"), HttpStatusCode.BadRequest, "pcid");
        await ExpectAsync("sho", "dpf", HttpMethod.Post, "instructions/12x", new InstructionDelivery("sho", ["AAAA"]), HttpStatusCode.BadRequest, "pcid");
        await ExpectAsync("vno", "hss", HttpMethod.Delete, "subscribers/001010000000001", null, HttpStatusCode.Forbidden);
        await ExpectAsync("sho", "hss", HttpMethod.Delete, "subscribers/12x", null, HttpStatusCode.BadRequest, "imsi");

        using var admin = _fleet.AdminClient(ShoOptions.SecondShoId, Timeout);
        using (var both = await admin.PostAsJsonAsync("changes", new ShoChangeRequest("001900000000399", "001010000000001"), NetworkFunctionHost.JsonOptions, ct))
            Assert.Equal(HttpStatusCode.BadRequest, both.StatusCode);
        using (var unknown = await admin.PostAsJsonAsync("changes", new ShoChangeRequest("001900000000399", null), NetworkFunctionHost.JsonOptions, ct))
            Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
    }
}
