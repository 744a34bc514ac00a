using System.Net.Http.Json;
using M2MSec.Cli.Commands;
using M2MSec.Device.M2me;
using M2MSec.Device.Provisioning;
using M2MSec.NetworkFunctions.Ccif;
using M2MSec.NetworkFunctions.Hosting;
using M2MSec.NetworkFunctions.Sho;
using M2MSec.Pki.Authority;
using M2MSec.Tests.Support;

namespace M2MSec.Tests.Provisioning;

/// <summary>
/// Issue 15: the whole flow with every role of the catalog in one process (mutual TLS between them, as `serve all`) and real
/// devices — manufactured through the CCIF, provisioned through the 21 steps — including the device-specific authorisation token
/// of seed 003, which the device's user hands the SHO and which travels inside the sealed MCIM.
/// </summary>
public sealed class FleetProvisioningTests : IAsyncLifetime
{
    private readonly string _dir = TestKeyRing.TempDirectory("m2msec-fleet-prov-");
    private NetworkFunctionFleet _fleet = null!;

    public async ValueTask InitializeAsync() =>
        _fleet = await NetworkFunctionCatalog.StartAllAsync(new StoreOptions(Path.Combine(_dir, "nf"), Path.Combine(_dir, "kek.json")), createKeyRing: true,
            cancellationToken: TestContext.Current.CancellationToken);

    public async ValueTask DisposeAsync()
    {
        await _fleet.DisposeAsync();
        Directory.Delete(_dir, true);
    }

    private async Task<M2meDevice> ManufactureAsync(string pcid, byte[]? authToken, KeyAlgorithm platformKey, CancellationToken ct)
    {
        var device = M2meDevice.Create(Path.Combine(_dir, "dev-" + pcid), Path.Combine(_dir, "fuses"), pcid, M2meKind.Tre, platformKey: platformKey);
        using var http = _fleet.AdminClient("ccif", TimeSpan.FromSeconds(30));
        var answer = await new CcifClient(http).ManufactureAsync(CcifCommand.Request(device, platformKey, authToken), ct);
        CcifCommand.Inject(device, answer, authToken);
        return device;
    }

    private M2meProvisioning Provisioning(M2meDevice device) =>
        new(device, new ProvisioningEndpoints(_fleet["vno"].DeviceAddress!, _fleet["drf"].DeviceAddress!),
            new McimDownloadOptions { PollInterval = TimeSpan.FromMilliseconds(50), Deadline = TimeSpan.FromSeconds(30) });

    [Fact]
    public async Task RsaPlatform_TokenHandedToTheSho_McimInstalled_AttachWithTheNewImsi()
    {
        var ct = TestContext.Current.CancellationToken;
        var token = "shipped-with-the-device"u8.ToArray();
        var device = await ManufactureAsync("001900000000101", token, KeyAlgorithm.Rsa2048, ct);
        using (var sho = _fleet.AdminClient("sho", TimeSpan.FromSeconds(30)))
            (await sho.PutAsJsonAsync("authorisation-tokens/001900000000101", new AuthorisationTokenRequest(Convert.ToHexStringLower(token)), NetworkFunctionHost.JsonOptions, ct))
                .EnsureSuccessStatusCode();

        using var provisioning = Provisioning(device);
        var phases = new List<ProvisioningPhase>();
        await provisioning.RunAsync((phase, _) => phases.Add(phase), ct);

        Assert.Equal(Enum.GetValues<ProvisioningPhase>(), phases);
        Assert.StartsWith("00101", provisioning.Download!.Imsi);
        Assert.Equal(provisioning.Download.Imsi, device.Tre.InstalledMcims().ActiveImsi);
        Assert.NotNull(provisioning.Attach);
    }

    [Fact]
    public async Task TokenShippedWithTheDevice_ButNotHandedToTheSho_TheTreRefusesTheMcim_AuthorisationTokenThreat()
    {
        var ct = TestContext.Current.CancellationToken;
        var device = await ManufactureAsync("001900000000102", "only-the-owner-knows"u8.ToArray(), KeyAlgorithm.EcP256, ct);

        using var provisioning = Provisioning(device);
        var refused = await Assert.ThrowsAsync<RoProvisioningException>(() => provisioning.RunAsync(null, ct));

        Assert.Equal("wrong-token", refused.Code);
        Assert.Null(device.Tre.InstalledMcims().ActiveImsi);
        Assert.Empty(device.Tre.InstalledMcims().Mcims);
    }

    /// <summary>
    /// Issue 16: `ccif firmware-update` — the manufacturer registers the measurements of a firmware update it built, from its own
    /// images (never the device's); an unknown PCID or an empty image directory is refused, nothing registered.
    /// </summary>
    [Fact]
    public async Task CcifFirmwareUpdate_RegistersTheBuiltImagesMeasurements_UnknownPcidRefused_DeviceSuppliedReferenceThreat()
    {
        var ct = TestContext.Current.CancellationToken;
        await ManufactureAsync("001900000000103", null, KeyAlgorithm.EcP256, ct);
        var endpoints = Path.Combine(_fleet.DataDirectory, "endpoints.json");
        await File.WriteAllTextAsync(endpoints, System.Text.Json.JsonSerializer.Serialize(new Dictionary<string, string>
        {
            ["ccif"] = (_fleet["ccif"].AdminAddress ?? _fleet["ccif"].Address).ToString(),
        }), ct);
        var images = Directory.CreateDirectory(Path.Combine(_dir, "build-2")).FullName;
        await File.WriteAllBytesAsync(Path.Combine(images, "application.img"), "application v2"u8.ToArray(), ct);

        var (code, stdout, stderr) = await CliRunner.RunAsync("ccif", "firmware-update", "--pcid", "001900000000103", "--firmware", images, "--endpoints", endpoints, "--json");
        Assert.True(code == 0, stdout + stderr);
        using (var json = System.Text.Json.JsonDocument.Parse(stdout))
        {
            Assert.Equal(1, json.RootElement.GetProperty("firmware_updates").GetInt32());
            Assert.Equal("application.img", json.RootElement.GetProperty("images")[0].GetString());
        }

        (code, _, stderr) = await CliRunner.RunAsync("ccif", "firmware-update", "--pcid", "001900000000999", "--firmware", images, "--endpoints", endpoints);
        Assert.Equal(2, code);
        Assert.StartsWith("ccif: ", stderr, StringComparison.Ordinal);
        var empty = Directory.CreateDirectory(Path.Combine(_dir, "empty")).FullName;
        (code, _, stderr) = await CliRunner.RunAsync("ccif", "firmware-update", "--pcid", "001900000000103", "--firmware", empty, "--endpoints", endpoints);
        Assert.Equal(2, code);
        Assert.StartsWith("--firmware: ", stderr, StringComparison.Ordinal);
    }
}
