using System.Text.Json;
using M2MSec.Tests.Support;

namespace M2MSec.Tests.Provisioning;

/// <summary>
/// Issue 15, "done when": the 21 steps as messages between network functions that run as separate processes (ocsp, hss,
/// ccif, icf, vno, drf, dpf, sho, pva; mutual TLS between them, device listeners for vno, drf, dpf), a device manufactured
/// with `m2msec ccif manufacture` and provisioned with `m2msec device provision`, then attached with its new IMSI.
/// </summary>
[LongRunning(31)]
public sealed class SeparateProcessProvisioningTests
{
    [Fact]
    public async Task CcifManufacture_ThenDeviceProvision_AgainstSeparateProcesses_InstallsAnMcim_AndAttachesWithTheNewImsi()
    {
        var ct = TestContext.Current.CancellationToken;
        var dir = Directory.CreateTempSubdirectory("m2msec-e2e-proc-").FullName;
        try
        {
            await using var fleet = await ProcessFleet.StartAsync(dir, ["ocsp", "hss", "ccif", "icf", "vno", "drf", "dpf", "sho", "pva"], ct);
            var device = Path.Combine(dir, "device");
            var fuses = Path.Combine(dir, "fuses");
            var (code, stdout, stderr) = await CliRunner.RunAsync("ccif", "manufacture", "--data", device, "--fuse-dir", fuses, "--pcid", "001900000000042",
                "--endpoints", fleet.EndpointsFile, "--json");
            Assert.True(code == 0, $"ccif manufacture: {code} {stdout} {stderr}\n{fleet.Output("ccif")}");
            (code, stdout, stderr) = await CliRunner.RunAsync("device", "provision", "--data", device, "--fuse-dir", fuses, "--endpoints", fleet.EndpointsFile,
                "--timeout", "60", "--json");
            Assert.True(code == 0, $"device provision: {code} {stdout} {stderr}\nsho: {fleet.Output("sho")}\ndpf: {fleet.Output("dpf")}\npva: {fleet.Output("pva")}");
            using var result = JsonDocument.Parse(stdout);
            var imsi = result.RootElement.GetProperty("imsi").GetString();
            Assert.StartsWith("00101", imsi);
            Assert.Equal("sho", result.RootElement.GetProperty("sho_id").GetString());
            Assert.Equal(5, result.RootElement.GetProperty("phases").EnumerateObject().Count());

            // The SHO lists the subscription as active, with that IMSI; the device's TRE holds the MCIM.
            (code, stdout, stderr) = await CliRunner.RunAsync("sho", "subscription", "list", "--endpoints", fleet.EndpointsFile, "--json");
            Assert.True(code == 0, $"sho subscription list: {code} {stderr}");
            Assert.Contains(imsi!, stdout);
            (code, stdout, _) = await CliRunner.RunAsync("device", "show", "--data", device, "--fuse-dir", fuses, "--json");
            Assert.Equal(0, code);
            Assert.Contains(imsi!, stdout);
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }
}
