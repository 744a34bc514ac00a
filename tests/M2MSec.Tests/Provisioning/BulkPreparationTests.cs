using System.Text.Json;
using M2MSec.Cli.Commands;
using M2MSec.Device.M2me;
using M2MSec.Device.Provisioning;
using M2MSec.NetworkFunctions.Ccif;
using M2MSec.NetworkFunctions.Hosting;
using M2MSec.NetworkFunctions.Sho;
using M2MSec.Pki.Authority;
using M2MSec.Storage;
using M2MSec.Storage.Sho;
using M2MSec.Tests.Support;
using Microsoft.Extensions.DependencyInjection;

namespace M2MSec.Tests.Provisioning;

/// <summary>
/// Issue 16, bulk preparation (seed 003: "prepare the (wrapped) credentials as result of the registration of the devices and their
/// respective platform credentials in advance at the SHO"; docs/decisions/023): every role of the catalog in one process (mutual TLS,
/// as `serve all`), devices manufactured through the CCIF, MCIMs prepared by the SHO ahead of time and released only after the PVA
/// validated the device at contact time.
/// </summary>
public sealed class BulkPreparationTests : IAsyncLifetime
{
    private readonly string _dir = TestKeyRing.TempDirectory("m2msec-prepare-");
    private NetworkFunctionFleet _fleet = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync() =>
        _fleet = await NetworkFunctionCatalog.StartAllAsync(new StoreOptions(Path.Combine(_dir, "nf"), Path.Combine(_dir, "kek.json")), createKeyRing: true,
            cancellationToken: Ct);

    public async ValueTask DisposeAsync()
    {
        await _fleet.DisposeAsync();
        Directory.Delete(_dir, true);
    }

    private IShoStore Sho => _fleet["sho"].Services.GetRequiredService<IStateStore>().Sho;

    private ShoContext ShoContext => _fleet["sho"].Services.GetRequiredService<ShoContext>();

    private async Task<M2meDevice> ManufactureAsync(string pcid, byte[]? authToken = null)
    {
        var device = M2meDevice.Create(Path.Combine(_dir, "dev-" + pcid), Path.Combine(_dir, "fuses"), pcid, M2meKind.Tre, platformKey: KeyAlgorithm.EcP256);
        using var http = _fleet.AdminClient("ccif", TimeSpan.FromSeconds(30));
        var answer = await new CcifClient(http).ManufactureAsync(CcifCommand.Request(device, KeyAlgorithm.EcP256, authToken), Ct);
        CcifCommand.Inject(device, answer, authToken);
        return device;
    }

    private async Task<PreparationResult> PrepareAsync(int count, int? lifetimeSeconds = null)
    {
        using var http = _fleet.AdminClient("sho", TimeSpan.FromSeconds(120));
        return await JsonApiClient.PostAsync<PreparationRequest, PreparationResult>(http, "preparations", new PreparationRequest(count, lifetimeSeconds), Ct);
    }

    private M2meProvisioning Provisioning(M2meDevice device) =>
        new(device, new ProvisioningEndpoints(_fleet["vno"].DeviceAddress!, _fleet["drf"].DeviceAddress!),
            new McimDownloadOptions { PollInterval = TimeSpan.FromMilliseconds(50), Deadline = TimeSpan.FromSeconds(30) });

    private async Task<List<string>> AuditAsync(string action, string pcid) =>
        [.. (await _fleet["sho"].Services.GetRequiredService<IStateStore>().Audit.ReadAsync(cancellationToken: Ct))
            .Where(a => a.Action == action && a.Subject == pcid).Select(a => a.Detail ?? "")];

    private async Task<bool> InHssAsync(string imsi) =>
        await _fleet["hss"].Services.GetRequiredService<IStateStore>().Subscribers.FindAsync(imsi, Ct) is not null;

    private async Task WaitForStateAsync(string pcid, string state)
    {
        for (var i = 0; i < 300; i++)
        {
            if ((await Sho.FindAsync(pcid, Ct))?.State == state)
                return;
            await Task.Delay(50, Ct);
        }
        Assert.Fail($"the subscription of {pcid} never became {state}");
    }

    /// <summary>Issue 16: `prepare N` seals N MCIMs for N devices registered in advance — each with its own IMSI, none of them in the HSS.</summary>
    [Fact]
    public async Task PrepareN_NPrepared_ImsisAssigned_NoneInTheHss()
    {
        foreach (var pcid in new[] { "001900000000201", "001900000000202", "001900000000203" })
            await ManufactureAsync(pcid);

        var result = await PrepareAsync(3);

        Assert.Equal((3, 3, 0, 0, false), (result.Requested, result.Prepared, result.Skipped, result.Failed, result.PoolExhausted));
        Assert.True(result.SealsPerSecond > 0);
        Assert.Equal(Environment.ProcessorCount, result.Cores);
        var prepared = await Sho.ListPreparedAsync(Ct);
        Assert.Equal(["001900000000201", "001900000000202", "001900000000203"], prepared.Select(p => p.Pcid));
        Assert.All(prepared, p => Assert.Equal(ShoPreparedMcim.Prepared, p.State));
        Assert.Equal(3, prepared.Select(p => p.Imsi).Distinct().Count());
        Assert.Equal(3, (await Sho.CountPoolAsync(Ct))["prepared"]);
        foreach (var p in prepared)
            Assert.False(await InHssAsync(p.Imsi), $"{p.Imsi} is in the HSS before any install");
        Assert.Empty(await Sho.ListAsync(Ct)); // no registration yet: nothing left the SHO

        // Nothing more to prepare for: the devices already have theirs.
        var again = await PrepareAsync(2);
        Assert.Equal((0, 3), (again.Prepared, again.Skipped));
    }

    /// <summary>
    /// Issue 16: a device whose MCIM was prepared gets exactly that MCIM at step 16 (no on-demand seal), the signed M2MSIMMobj built
    /// around it with its registration nonce; its IMSI enters the HSS at step 21 and it attaches with it.
    /// </summary>
    [Fact]
    public async Task PreparedDevice_Provisioned_UsesItsPreparedMcim_NoOnDemandSeal()
    {
        var device = await ManufactureAsync("001900000000211");
        Assert.Equal(1, (await PrepareAsync(1)).Prepared);
        var imsi = (await Sho.FindPreparedAsync("001900000000211", Ct))!.Imsi;

        using var provisioning = Provisioning(device);
        await provisioning.RunAsync(null, Ct);

        Assert.Equal(imsi, provisioning.Download!.Imsi);
        Assert.Equal(imsi, device.Tre.InstalledMcims().ActiveImsi);
        Assert.NotNull(provisioning.Attach);
        Assert.Single(await AuditAsync("sho.mcim.prepared-released", "001900000000211"));
        Assert.Empty(await AuditAsync("sho.mcim.sealed", "001900000000211")); // no on-demand seal
        Assert.Null(await Sho.FindPreparedAsync("001900000000211", Ct));
        await WaitForStateAsync("001900000000211", ShoSubscription.Active);
        Assert.True(await InHssAsync(imsi));
        Assert.False((await Sho.CountPoolAsync(Ct)).ContainsKey("prepared"));
    }

    /// <summary>
    /// Issue 16: a prepared MCIM is released only after a valid verdict. The device's PfC is revoked after the preparation; at
    /// contact time the PVA judges it invalid: the registration is refused, the prepared MCIM destroyed, nothing downloaded.
    /// </summary>
    [Fact]
    public async Task PreparedMcim_NotReleasedWithoutValidVerdict_UnvalidatedReleaseThreat()
    {
        var device = await ManufactureAsync("001900000000221");
        Assert.Equal(1, (await PrepareAsync(1)).Prepared);
        var imsi = (await Sho.FindPreparedAsync("001900000000221", Ct))!.Imsi;
        using (var ccif = _fleet.AdminClient("ccif", TimeSpan.FromSeconds(30)))
            await new CcifClient(ccif).RevokePfcAsync("001900000000221", "keyCompromise", Ct);

        using var provisioning = Provisioning(device);
        await provisioning.AttachWithPcidAsync(Ct);
        await provisioning.RegisterAsync(Ct);
        await provisioning.ValidateAsync(Ct);
        await WaitForStateAsync("001900000000221", ShoSubscription.Refused);

        Assert.Empty(await AuditAsync("sho.mcim.prepared-released", "001900000000221"));
        // The verdict's answer moves the subscription to refused, then destroys the preparation: wait for the second write too.
        for (var i = 0; i < 100 && (await AuditAsync("sho.mcim.prepared-destroyed", "001900000000221")).Count == 0; i++)
            await Task.Delay(100, Ct);
        Assert.Single(await AuditAsync("sho.mcim.prepared-destroyed", "001900000000221"));
        Assert.Null(await Sho.FindPreparedAsync("001900000000221", Ct));
        var sub = (await Sho.FindAsync("001900000000221", Ct))!;
        Assert.Null(sub.Imsi);
        Assert.Null(sub.K);
        var dpf = await _fleet["dpf"].Services.GetRequiredService<IStateStore>().Dpf.FindAsync("001900000000221", Ct);
        Assert.Null(dpf!.M2MSimMobj); // nothing downloaded
        Assert.Empty(device.Tre.InstalledMcims().Mcims);
        Assert.False(await InHssAsync(imsi));
        Assert.False((await Sho.CountPoolAsync(Ct)).ContainsKey("prepared")); // its IMSI is free again: its keys never left the SHO
    }

    /// <summary>
    /// Issue 16: the IMSI of a released MCIM enters the HSS only at step 21, when the install is confirmed. A device whose TRE refuses
    /// the MCIM (it holds an authorisation token its user never handed the SHO) leaves its released IMSI retired, never in the HSS.
    /// </summary>
    [Fact]
    public async Task PreparedImsi_EntersTheHssOnlyAtStep21_InstallConfirmed()
    {
        var refusing = await ManufactureAsync("001900000000231", "only-the-owner-knows"u8.ToArray());
        var installing = await ManufactureAsync("001900000000232");
        Assert.Equal(2, (await PrepareAsync(2)).Prepared);
        var refusedImsi = (await Sho.FindPreparedAsync("001900000000231", Ct))!.Imsi;
        var installedImsi = (await Sho.FindPreparedAsync("001900000000232", Ct))!.Imsi;

        using (var p = Provisioning(refusing))
            Assert.Equal("wrong-token", (await Assert.ThrowsAsync<RoProvisioningException>(() => p.RunAsync(null, Ct))).Code);
        Assert.Single(await AuditAsync("sho.mcim.prepared-released", "001900000000231")); // released at step 16 …
        await WaitForStateAsync("001900000000231", ShoSubscription.Failed);
        Assert.False(await InHssAsync(refusedImsi)); // … but never installed: not in the HSS, and retired
        for (var i = 0; i < 100 && !(await Sho.CountPoolAsync(Ct)).ContainsKey("retired"); i++)
            await Task.Delay(100, Ct); // the failed state is written before the IMSI is retired
        Assert.Equal(1, (await Sho.CountPoolAsync(Ct))["retired"]);

        using (var p = Provisioning(installing))
            await p.RunAsync(null, Ct);
        await WaitForStateAsync("001900000000232", ShoSubscription.Active);
        Assert.True(await InHssAsync(installedImsi));
    }

    /// <summary>
    /// Issue 16: a prepared MCIM that expires is destroyed by the sweep (the sealed object, K and OPc deleted) and its IMSI is free
    /// again; the device, arriving later, gets an MCIM sealed on demand.
    /// </summary>
    [Fact]
    public async Task ExpiredPreparation_FreesItsImsi_AndDestroysTheSealedObject()
    {
        var device = await ManufactureAsync("001900000000241");
        var result = await PrepareAsync(1, lifetimeSeconds: 60);
        Assert.Equal(1, result.Prepared);
        Assert.InRange(result.ExpiresAt - DateTimeOffset.UtcNow, TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(61));
        var freeBefore = (await Sho.CountPoolAsync(Ct))["free"];

        Assert.Equal(0, await ShoPreparations.SweepAsync(ShoContext, DateTimeOffset.UtcNow, Ct)); // not yet
        Assert.NotNull(await Sho.FindPreparedAsync("001900000000241", Ct));
        Assert.Equal(1, await ShoPreparations.SweepAsync(ShoContext, DateTimeOffset.UtcNow.AddMinutes(2), Ct));

        Assert.Null(await Sho.FindPreparedAsync("001900000000241", Ct));
        Assert.Empty(await Sho.ListPreparedAsync(Ct));
        var pool = await Sho.CountPoolAsync(Ct);
        Assert.Equal(freeBefore + 1, pool["free"]);
        Assert.False(pool.ContainsKey("prepared"));
        Assert.Single(await AuditAsync("sho.mcim.prepared-expired", "001900000000241"));

        using var provisioning = Provisioning(device);
        await provisioning.RunAsync(null, Ct);
        Assert.Single(await AuditAsync("sho.mcim.sealed", "001900000000241")); // sealed on demand
        Assert.Empty(await AuditAsync("sho.mcim.prepared-released", "001900000000241"));
    }

    /// <summary>
    /// Issue 16: a prepared MCIM is sealed to exactly one device's PK_D and goes to that PCID only: another device gets its own
    /// (sealed on demand), and a registration of the PCID that presents another PfC does not get it — it is destroyed instead.
    /// </summary>
    [Fact]
    public async Task PreparedMcim_CannotGoToAnotherPcid()
    {
        await ManufactureAsync("001900000000251");
        Assert.Equal(1, (await PrepareAsync(1)).Prepared);
        var prepared = (await Sho.FindPreparedAsync("001900000000251", Ct))!;
        var other = await ManufactureAsync("001900000000252"); // after the preparation: nothing prepared for it

        using (var p = Provisioning(other))
            await p.RunAsync(null, Ct);
        Assert.NotEqual(prepared.Imsi, other.Tre.InstalledMcims().ActiveImsi);
        Assert.Single(await AuditAsync("sho.mcim.sealed", "001900000000252"));
        Assert.Equal(ShoPreparedMcim.Prepared, (await Sho.FindPreparedAsync("001900000000251", Ct))!.State); // untouched

        // A registration of 001900000000251 whose M2MMobj carries the other device's PfC (a cloned PCID).
        var otherPfc = (await Sho.FindAsync("001900000000252", Ct))!;
        var clone = new ShoSubscription("001900000000251", prepared.TreId, otherPfc.PfcAttestation, otherPfc.PfcEncryption, new byte[16], new byte[16], "val-x",
            ShoSubscription.Validating, null, null, null, null, DateTimeOffset.UtcNow, DateTimeOffset.UtcNow);
        Assert.True(await Sho.AddAsync(clone, Ct));
        Assert.Null(await ShoPreparations.TryReleaseAsync(ShoContext, clone, "verdict", Ct)); // not released: sealed on demand instead
        Assert.Equal("pfc-differs", Assert.Single(await AuditAsync("sho.mcim.prepared-destroyed", "001900000000251")));
        Assert.Null(await Sho.FindPreparedAsync("001900000000251", Ct));
        Assert.Equal(ShoSubscription.Validating, (await Sho.FindAsync("001900000000251", Ct))!.State);
    }

    /// <summary>Issue 16: `m2msec sho prepare` — exit 0 with the --json fields, 3 when fewer devices than asked, 2 for a bad --count or --lifetime.</summary>
    [Fact]
    public async Task ShoPrepareCli_ExitCodes_JsonFields_BadCountIs2()
    {
        await ManufactureAsync("001900000000261");
        await ManufactureAsync("001900000000262");
        await File.WriteAllTextAsync(Path.Combine(_fleet.DataDirectory, "endpoints.json"), JsonSerializer.Serialize(new Dictionary<string, string>
        {
            ["sho"] = (_fleet["sho"].AdminAddress ?? _fleet["sho"].Address).ToString(),
        }), Ct);

        var (code, stdout, stderr) = await CliRunner.RunAsync("sho", "prepare", "--data", _fleet.DataDirectory, "--count", "1", "--lifetime", "7d", "--json");
        Assert.True(code == 0, stdout + stderr);
        using (var json = JsonDocument.Parse(stdout))
        {
            var r = json.RootElement;
            Assert.Equal((1, 1, false), (r.GetProperty("requested").GetInt32(), r.GetProperty("prepared").GetInt32(), r.GetProperty("pool_exhausted").GetBoolean()));
            foreach (var field in new[] { "skipped", "other_sho", "failed", "elapsed_ms", "seal_ms", "cores" })
                Assert.True(r.GetProperty(field).GetInt64() >= 0, field);
            Assert.True(r.GetProperty("seals_per_second").GetDouble() > 0);
            Assert.InRange(DateTimeOffset.Parse(r.GetProperty("expires_at").GetString()!, System.Globalization.CultureInfo.InvariantCulture) - DateTimeOffset.UtcNow,
                TimeSpan.FromDays(6.9), TimeSpan.FromDays(7));
        }

        // Asked for 5, one device left: partly done.
        (code, stdout, stderr) = await CliRunner.RunAsync("sho", "prepare", "--endpoints", Path.Combine(_fleet.DataDirectory, "endpoints.json"), "--count", "5");
        Assert.True(code == 3, stdout + stderr);
        Assert.Matches(@"(?m)^prepared\s+1$", stdout);
        Assert.Contains("1 of 5 prepared", stderr, StringComparison.Ordinal);

        // `sho subscription list` shows them, state prepared, with their expiry.
        (code, stdout, _) = await CliRunner.RunAsync("sho", "subscription", "list", "--endpoints", Path.Combine(_fleet.DataDirectory, "endpoints.json"), "--json");
        Assert.Equal(0, code);
        using (var list = JsonDocument.Parse(stdout))
        {
            var rows = list.RootElement.GetProperty("subscriptions").EnumerateArray().ToList();
            Assert.Equal(2, rows.Count);
            Assert.All(rows, r => Assert.Equal("prepared", r.GetProperty("state").GetString()));
            Assert.All(rows, r => Assert.NotNull(r.GetProperty("expires_at").GetString()));
            Assert.Equal(2, list.RootElement.GetProperty("pool").GetProperty("prepared").GetInt32());
        }

        foreach (var bad in new[] { new[] { "--count", "0" }, ["--count", "x"], ["--count", "100001"], ["--count", "1", "--lifetime", "5x"], ["--count", "1", "--lifetime", "10s"] })
        {
            (code, _, stderr) = await CliRunner.RunAsync(["sho", "prepare", "--data", _fleet.DataDirectory, .. bad]);
            Assert.True(code == 2, string.Join(' ', bad) + ": " + stderr);
            Assert.Contains(bad[^2], stderr, StringComparison.Ordinal);
        }
        (code, _, stderr) = await CliRunner.RunAsync("sho", "prepare", "--data", _fleet.DataDirectory);
        Assert.Equal(2, code);
        Assert.Contains("--count", stderr, StringComparison.Ordinal);
        (code, _, stderr) = await CliRunner.RunAsync("sho", "prepare", "--data", _dir, "--count", "1");
        Assert.Equal(2, code);
        Assert.StartsWith("--data: ", stderr, StringComparison.Ordinal);
        Assert.Equal(2, (await Sho.ListPreparedAsync(Ct)).Count); // the refusals changed nothing
    }
}
