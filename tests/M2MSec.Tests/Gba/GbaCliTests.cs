using System.Text.Json;
using M2MSec.Device.Gba;
using M2MSec.Tests.Support;

namespace M2MSec.Tests.Gba;

/// <summary>
/// Issue 18: `m2msec gba bootstrap` — a TRE-based device bootstraps with the running BSF, prints the B-TID and lifetime (never Ks)
/// and keeps them in gba.json; bad arguments exit 2 naming the option, an unreachable BSF 4, a BSF the trust root does not cover 4/1.
/// </summary>
public sealed class GbaCliTests(GbaFleet fixture) : IClassFixture<GbaFleet>
{
    [Fact]
    public async Task GbaBootstrap_PrintsBTidAndLifetime_NeverKs_KeepsTheRecord_BadArgumentsExit2()
    {
        var ct = TestContext.Current.CancellationToken;
        var device = await fixture.TreDeviceAsync(ct);
        var dir = Path.Combine(fixture.Directory, "dev-" + device.Imsi);
        var root = Path.Combine(fixture.Directory, "root.pem");
        await File.WriteAllTextAsync(root, fixture.Fleet.Hierarchy!.Root.ExportCertificatePem(), ct);
        var bsf = fixture.Fleet["bsf"].DeviceAddress!.ToString();

        var (code, stdout, stderr) = await CliRunner.RunAsync("gba", "bootstrap", "--data", dir, "--fuse-dir", fixture.Fuses, "--bsf", bsf, "--trust-root", root,
            "--imsi", device.Imsi, "--json");
        Assert.True(code == 0, stderr);
        var output = JsonDocument.Parse(stdout).RootElement;
        var bTid = output.GetProperty("b_tid").GetString()!;
        Assert.EndsWith("@bsf.m2msec.test", bTid, StringComparison.Ordinal);
        Assert.Equal(("gba_me", device.Impi), (output.GetProperty("gba_type").GetString(), output.GetProperty("impi").GetString()));
        Assert.EndsWith("Z", output.GetProperty("key_lifetime").GetString(), StringComparison.Ordinal);
        Assert.DoesNotContain("ks", string.Join(",", output.EnumerateObject().Select(p => p.Name)), StringComparison.Ordinal);
        var record = GbaBootstrapRecord.Load(dir)!;
        Assert.Equal((bTid, device.Imsi), (record.BTid, record.Imsi));

        (code, _, stderr) = await CliRunner.RunAsync("gba", "bootstrap", "--data", dir, "--fuse-dir", fixture.Fuses, "--bsf", "ftp://x", "--imsi", device.Imsi);
        Assert.Equal(2, code);
        Assert.Contains("--bsf", stderr, StringComparison.Ordinal);
        (code, _, stderr) = await CliRunner.RunAsync("gba", "bootstrap", "--data", dir, "--fuse-dir", fixture.Fuses, "--bsf", bsf, "--trust-root", root, "--imsi", "12");
        Assert.Equal(2, code);
        Assert.Contains("--imsi", stderr, StringComparison.Ordinal);
        (code, _, stderr) = await CliRunner.RunAsync("gba", "bootstrap", "--data", dir, "--fuse-dir", fixture.Fuses, "--bsf", bsf, "--trust-root", root);
        Assert.Equal(2, code);
        Assert.Contains("MCIM", stderr, StringComparison.Ordinal);
        (code, _, stderr) = await CliRunner.RunAsync("gba", "bootstrap", "--data", dir, "--fuse-dir", fixture.Fuses, "--bsf", $"https://127.0.0.1:{LoopbackPort.Free()}",
            "--trust-root", root, "--imsi", device.Imsi);
        Assert.Equal(4, code);
    }
}
