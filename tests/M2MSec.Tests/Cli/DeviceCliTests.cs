using System.Text.Json;
using M2MSec.Tests.Support;

namespace M2MSec.Tests.Cli;

/// <summary>`m2msec device create|show|tamper` as the issue fixes them.</summary>
public sealed class DeviceCliTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("m2msec-device-cli-").FullName;

    private string Data => Path.Combine(_root, "m2me");

    private string Fuse => Path.Combine(_root, "fuse");

    public void Dispose() => Directory.Delete(_root, true);

    [Theory]
    [InlineData("store", "sealed-store-integrity")]
    [InlineData("rollback", "sealed-store-rollback")]
    [InlineData("firmware", "firmware-measurement")]
    public async Task Create_Show_Tamper_Show(string what, string reason)
    {
        var created = await CliRunner.RunAsync("device", "create", "--data", Data, "--pcid", "001990000000009", "--tre-id", "TRE-CLI-1", "--kind", "uicc", "--fuse-dir", Fuse, "--json");
        Assert.True(created.ExitCode == 0, created.Stderr);
        var json = JsonDocument.Parse(created.Stdout).RootElement;
        Assert.Equal("uicc", json.GetProperty("kind").GetString());
        Assert.Equal("TRE-CLI-1", json.GetProperty("tre_id").GetString());
        Assert.Equal("operational", json.GetProperty("state").GetString());

        Assert.Equal(0, (await CliRunner.RunAsync("device", "tamper", "--data", Data, "--fuse-dir", Fuse, "--what", what)).ExitCode);
        var shown = await CliRunner.RunAsync("device", "show", "--data", Data, "--fuse-dir", Fuse, "--json");
        var state = JsonDocument.Parse(shown.Stdout).RootElement;
        Assert.Equal("lockdown", state.GetProperty("state").GetString());
        Assert.Equal(reason, state.GetProperty("lockdown_reason").GetString());

        // show never prints key material: nothing in its output appears in the fuse or sealed files.
        foreach (var file in Directory.GetFiles(_root, "*", SearchOption.AllDirectories).Where(f => f.EndsWith("fuse.key", StringComparison.Ordinal)))
            Assert.DoesNotContain(Convert.ToHexStringLower(File.ReadAllBytes(file)), created.Stdout + shown.Stdout);
    }

    [Fact]
    public async Task Create_Errors_Exit2_NamingTheArgument()
    {
        Assert.StartsWith("--pcid: expected 6 to 15 decimal digits", (await CliRunner.RunAsync("device", "create", "--data", Data, "--pcid", "12ab", "--fuse-dir", Fuse)).Stderr);
        Assert.StartsWith("--kind: expected uicc, tre", (await CliRunner.RunAsync("device", "create", "--data", Data, "--pcid", "001990000000009", "--kind", "esim", "--fuse-dir", Fuse)).Stderr);
        var inside = await CliRunner.RunAsync("device", "create", "--data", Data, "--pcid", "001990000000009", "--fuse-dir", Path.Combine(Data, "fuse"));
        Assert.Equal(2, inside.ExitCode);
        Assert.Contains("apart from the device directory", inside.Stderr);
        Assert.Equal(0, (await CliRunner.RunAsync("device", "create", "--data", Data, "--pcid", "001990000000009", "--fuse-dir", Fuse)).ExitCode);
        var twice = await CliRunner.RunAsync("device", "create", "--data", Data, "--pcid", "001990000000009", "--fuse-dir", Fuse);
        Assert.Equal(2, twice.ExitCode);
        Assert.Contains("already holds a device", twice.Stderr);
        Assert.StartsWith("--what: expected store, rollback, firmware", (await CliRunner.RunAsync("device", "tamper", "--data", Data, "--fuse-dir", Fuse, "--what", "battery")).Stderr);
        Assert.StartsWith("--data: ", (await CliRunner.RunAsync("device", "show", "--data", Path.Combine(_root, "nothing"), "--fuse-dir", Fuse)).Stderr);
        Directory.CreateDirectory(Path.Combine(_root, "empty"));
        Assert.Contains("holds no device", (await CliRunner.RunAsync("device", "show", "--data", Path.Combine(_root, "empty"), "--fuse-dir", Fuse)).Stderr);
    }
}
