using System.Text.Json;
using M2MSec.Dm.Auth;
using M2MSec.Dm.Bootstrap;
using M2MSec.Tests.Support;

namespace M2MSec.Tests.Cli;

/// <summary>`m2msec dm bootstrap`: the package for a device's DM account, its MAC, and the JSON / exit-code contract.</summary>
public sealed class DmBootstrapCliTests : IDisposable
{
    private const string KeyHex = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
    private readonly string _dir = TestKeyRing.TempDirectory("m2msec-dmbootcli-");

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private Task<(int ExitCode, string Stdout, string Stderr)> Dm(params string[] args) =>
        CliRunner.RunAsync(["dm", .. args, "--data", Path.Combine(_dir, "dm"), "--kek-file", Path.Combine(_dir, "kek.json")]);

    private async Task AccountAsync() =>
        Assert.Equal(0, (await Dm("account", "add", "--dev-id", "dev-1", "--server-id", "m2msec-dm", "--client-user", "dev-user",
            "--client-password", "client-pass", "--server-password", "server-pass", "--client-auth", "md5")).ExitCode);

    [Fact]
    public async Task KeyedBootstrap_PrintsJson_WhoseBodyIsTheAccount_AndMacVerifiesWithTheKey()
    {
        await AccountAsync();
        var outFile = Path.Combine(_dir, "boot.wbxml");
        var run = await Dm("bootstrap", "--dev-id", "dev-1", "--server-uri", "https://dm.example.invalid/dm", "--key-hex", KeyHex, "--out", outFile);
        Assert.True(run.ExitCode == 0, run.Stderr);
        var json = JsonDocument.Parse(run.Stdout).RootElement;
        Assert.Equal(["content_type", "sec", "mac", "body_hex"], json.EnumerateObject().Select(p => p.Name));
        Assert.Equal("application/vnd.syncml.dm+wbxml", json.GetProperty("content_type").GetString());
        Assert.Equal(JsonValueKind.Null, json.GetProperty("sec").ValueKind);
        var body = Convert.FromHexString(json.GetProperty("body_hex").GetString()!);
        Assert.Equal(body, await File.ReadAllBytesAsync(outFile, TestContext.Current.CancellationToken));
        Assert.Equal(BootstrapVerifyResult.Ok, BootstrapAuthenticator.VerifyWithKey(Convert.FromHexString(KeyHex), body, json.GetProperty("mac").GetString()));

        Assert.True(BootstrapPackageReader.TryRead(body, out var package, out var error), error?.ToString());
        Assert.Equal("dev-1", package.DevId);
        var acc = package.Account;
        Assert.Equal(("m2msec-dm", new Uri("https://dm.example.invalid/dm"), DmAuthScheme.Md5), (acc.ServerId, acc.Addr, acc.AuthPref));
        Assert.Equal(new BootstrapAppAuth(DmAuthScheme.Md5, "dev-user", "client-pass"), acc.ClientCredential);
        Assert.Equal(new BootstrapAppAuth(DmAuthScheme.Md5, "m2msec-dm", "server-pass"), acc.ServerCredential);
    }

    [Fact]
    public async Task NetwpinAndUserpin_MacsAreTheOmaMethods()
    {
        await AccountAsync();
        var netwpin = JsonDocument.Parse((await Dm("bootstrap", "--dev-id", "dev-1", "--server-uri", "http://127.0.0.1:8080/dm", "--sec", "NETWPIN", "--imsi", "001010123456789")).Stdout).RootElement;
        Assert.Equal("NETWPIN", netwpin.GetProperty("sec").GetString());
        var body = Convert.FromHexString(netwpin.GetProperty("body_hex").GetString()!);
        Assert.Equal(BootstrapMac.ComputeHex(Convert.FromHexString("0910101032547698"), body), netwpin.GetProperty("mac").GetString());

        var userpin = JsonDocument.Parse((await Dm("bootstrap", "--dev-id", "dev-1", "--server-uri", "http://127.0.0.1:8080/dm", "--sec", "userpin", "--pin", "1234")).Stdout).RootElement;
        Assert.Equal("USERPIN", userpin.GetProperty("sec").GetString());
        body = Convert.FromHexString(userpin.GetProperty("body_hex").GetString()!);
        Assert.Equal(BootstrapVerifyResult.Ok, BootstrapAuthenticator.Verify(BootstrapSecMethod.UserPin, null, "1234", body, userpin.GetProperty("mac").GetString()));
    }

    [Theory]
    [InlineData("--sec", "--dev-id", "dev-1", "--server-uri", "https://x/dm")]
    [InlineData("--sec", "--dev-id", "dev-1", "--server-uri", "https://x/dm", "--sec", "NETWPIN", "--key-hex", KeyHex, "--imsi", "001010123456789")]
    [InlineData("--imsi", "--dev-id", "dev-1", "--server-uri", "https://x/dm", "--sec", "NETWPIN")]
    [InlineData("--imsi", "--dev-id", "dev-1", "--server-uri", "https://x/dm", "--sec", "NETWPIN", "--imsi", "12ab")]
    [InlineData("--pin", "--dev-id", "dev-1", "--server-uri", "https://x/dm", "--sec", "USERPIN")]
    [InlineData("--pin", "--dev-id", "dev-1", "--server-uri", "https://x/dm", "--key-hex", KeyHex, "--pin", "1234")]
    [InlineData("--key-hex", "--dev-id", "dev-1", "--server-uri", "https://x/dm", "--key-hex", "0011")]
    [InlineData("--server-uri", "--dev-id", "dev-1", "--server-uri", "ftp://x/dm", "--key-hex", KeyHex)]
    [InlineData("--server-uri", "--dev-id", "dev-1", "--key-hex", KeyHex)]
    [InlineData("--dev-id", "--dev-id", "ghost", "--server-uri", "https://x/dm", "--key-hex", KeyHex)]
    public async Task BadArguments_Exit2_OneLineNamingTheOption(string option, params string[] args)
    {
        await AccountAsync();
        var bad = await Dm(["bootstrap", .. args]);
        Assert.Equal(2, bad.ExitCode);
        Assert.StartsWith(option, bad.Stderr, StringComparison.Ordinal);
        Assert.Single(bad.Stderr.Trim().Split('\n'));
        Assert.Empty(bad.Stdout);
    }
}
