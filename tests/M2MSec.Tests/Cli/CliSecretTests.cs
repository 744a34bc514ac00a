using System.Text.Json;
using M2MSec.Dm.Auth;
using M2MSec.Dm.Bootstrap;
using M2MSec.Dm.Notification;
using M2MSec.NetworkFunctions.Hosting;
using M2MSec.Tests.Support;

namespace M2MSec.Tests.Cli;

/// <summary>
/// Issue 14 item 7: every secret-taking option also reads env:NAME, file:PATH, stdin and pass:VALUE, with the same result
/// as the bare value; a variable that is not set is exit 2 naming the option and the variable, never the secret.
/// </summary>
public sealed class CliSecretTests : IDisposable
{
    // TS 35.208 test set 1.
    private const string K = "465b5ce8b199b49faa5f0a2ee238a6bc";
    private const string Op = "cdc202d5123e20f62b6d676ac72cb318";
    private const string KicKey = "200102030405060708090a0b0c0d0e0f";
    private const string KidKey = "201102030405060708090a0b0c0d0e0f";
    private static readonly string[] VectorRest = ["--rand", "23553cbe9637a89d218ae64dae47bf35", "--sqn", "ff9bb4d0b607", "--amf", "b9b9", "--json"];

    private readonly string _dir = TestKeyRing.TempDirectory("m2msec-clisecret-");
    private readonly string _env = "M2MSEC_TEST_SECRET_" + Guid.NewGuid().ToString("N");

    public void Dispose()
    {
        Environment.SetEnvironmentVariable(_env, null);
        Directory.Delete(_dir, recursive: true);
    }

    private string File(string content)
    {
        var path = Path.Combine(_dir, Guid.NewGuid().ToString("N"));
        System.IO.File.WriteAllText(path, content);
        return path;
    }

    [Fact]
    public async Task AkaVector_KAndOpFromEnvFileStdinPass_GiveTheBareValuesAnswer_SecretsOffTheCommandLine()
    {
        var bare = await CliRunner.RunAsync(["aka", "vector", "--k", K, "--op", Op, .. VectorRest]);
        Assert.True(bare.ExitCode == 0, bare.Stderr);
        Assert.Contains("\"mac_a\":\"4a9ffac354dfafb3\"", bare.Stdout, StringComparison.Ordinal);

        Environment.SetEnvironmentVariable(_env, K);
        var envFile = await CliRunner.RunAsync(["aka", "vector", "--k", "env:" + _env, "--op", "file:" + File(Op + "\n"), .. VectorRest]);
        Assert.True(envFile.ExitCode == 0, envFile.Stderr);
        Assert.Equal(bare.Stdout, envFile.Stdout);

        var stdinPass = await CliRunner.RunWithInputAsync(K + "\r\nnot read\n", ["aka", "vector", "--k", "stdin", "--op", "pass:" + Op, .. VectorRest]);
        Assert.True(stdinPass.ExitCode == 0, stdinPass.Stderr);
        Assert.Equal(bare.Stdout, stdinPass.Stdout);

        var opcFromFile = await CliRunner.RunAsync(["aka", "vector", "--k", K, "--opc", "file:" + File("cd63cb71954a9f4e48a5994e37a02baf"), .. VectorRest]);
        Assert.Equal(bare.Stdout, opcFromFile.Stdout);
    }

    [Fact]
    public async Task KdfKsNaf_CkIkFromEnvAndStdin_GiveTheBareValuesAnswer_SecretsOffTheCommandLine()
    {
        string[] rest = ["--rand", "23553cbe9637a89d218ae64dae47bf35", "--impi", "001010000000001@ims.example", "--naf-id", "6e61662e6578616d706c650100000002"];
        var bare = await CliRunner.RunAsync(["kdf", "ks-naf", "--ck", "b40ba9a3c58b2a05bbf0d987b21bf8cb", "--ik", "f769bcd751044604127672711c6d3441", .. rest]);
        Assert.True(bare.ExitCode == 0, bare.Stderr);
        Environment.SetEnvironmentVariable(_env, "b40ba9a3c58b2a05bbf0d987b21bf8cb");
        var other = await CliRunner.RunWithInputAsync("f769bcd751044604127672711c6d3441\n", ["kdf", "ks-naf", "--ck", "env:" + _env, "--ik", "stdin", .. rest]);
        Assert.True(other.ExitCode == 0, other.Stderr);
        Assert.Equal(bare.Stdout, other.Stdout);
    }

    [Fact]
    public async Task OtaWrapAndUnwrap_KeysFromEnvFileStdin_GiveTheBareKeysPackets_SecretsOffTheCommandLine()
    {
        string[] rest = ["--spi", "1621", "--kic", "22", "--kid", "22", "--tar", "b00011", "--cntr", "0000000005", "--data", "80e60c00"];
        var bare = await CliRunner.RunAsync(["ota", "wrap", "--kic-key", KicKey, "--kid-key", KidKey, .. rest]);
        Assert.True(bare.ExitCode == 0, bare.Stderr);
        Environment.SetEnvironmentVariable(_env, KicKey);
        var viaSources = await CliRunner.RunAsync(["ota", "wrap", "--kic-key", "env:" + _env, "--kid-key", "file:" + File(KidKey + "\n"), .. rest]);
        Assert.True(viaSources.ExitCode == 0, viaSources.Stderr);
        Assert.Equal(bare.Stdout, viaSources.Stdout);

        var opened = await CliRunner.RunWithInputAsync(KidKey + "\n", ["ota", "unwrap-command", "--kic-key", "pass:" + KicKey, "--kid-key", "stdin", "--packet", OtaCliTests.Field(bare.Stdout, "packet"), "--json"]);
        Assert.True(opened.ExitCode == 0, opened.Stderr);
        Assert.Equal("80e60c00", JsonDocument.Parse(opened.Stdout).RootElement.GetProperty("data").GetString());
    }

    [Fact]
    public async Task OtaCardAdd_KeysAndPskFromFileEnvStdin_AreStoredAsGiven_SecretsOffTheCommandLine()
    {
        var data = Path.Combine(_dir, "ota");
        var kek = Path.Combine(_dir, "kek.json");
        Environment.SetEnvironmentVariable(_env, KidKey);
        var add = await CliRunner.RunWithInputAsync("000102030405060708090a0b0c0d0e0f\n", ["ota", "card", "add", "--iccid", "8944000000000000001", "--tar", "b00011",
            "--kic", "12", "--kid", "12", "--kic-key", "file:" + File(KicKey), "--kid-key", "env:" + _env, "--psk-identity", "card-1", "--psk", "stdin",
            "--data", data, "--kek-file", kek]);
        Assert.True(add.ExitCode == 0, add.Stderr);
        await using var state = await new StoreOptions(data, kek).OpenAsync(cancellationToken: TestContext.Current.CancellationToken);
        var set = await state.OtaKeySets.FindAsync("8944000000000000001", 1, TestContext.Current.CancellationToken);
        Assert.NotNull(set);
        Assert.Equal(Convert.FromHexString(KicKey), set.Kic);
        Assert.Equal(Convert.FromHexString(KidKey), set.Kid);
        var psk = await state.OtaKeySets.FindPskAsync("card-1", TestContext.Current.CancellationToken);
        Assert.Equal(Convert.FromHexString("000102030405060708090a0b0c0d0e0f"), psk!.Value.Psk);
    }

    [Fact]
    public async Task DmAccountAndBootstrap_PasswordsKeyAndPinFromEnvFileStdin_AreTheValuesUsed_SecretsOffTheCommandLine()
    {
        string[] store = ["--data", Path.Combine(_dir, "dm"), "--kek-file", Path.Combine(_dir, "kek.json")];
        Environment.SetEnvironmentVariable(_env, "client-secret");
        var add = await CliRunner.RunWithInputAsync("server-secret\n", ["dm", "account", "add", "--dev-id", "dev-1", "--server-id", "m2msec-dm", "--client-user", "dev-1",
            "--client-password", "env:" + _env, "--server-password", "stdin", .. store]);
        Assert.True(add.ExitCode == 0, add.Stderr);
        // Package 0's digest is keyed with the server password as stored.
        var notify = await CliRunner.RunAsync(["dm", "notify", "--dev-id", "dev-1", "--json", .. store]);
        Assert.True(notify.ExitCode == 0, notify.Stderr);
        var package0 = Convert.FromHexString(JsonDocument.Parse(notify.Stdout).RootElement.GetProperty("package0").GetString()!);
        Assert.True(DmNotificationCodec.VerifyDigest(package0, new DmCredentials("m2msec-dm", "server-secret"u8.ToArray()), DmNonce.Empty));

        const string key = "00112233445566778899aabbccddeeff";
        var keyed = await CliRunner.RunAsync(["dm", "bootstrap", "--dev-id", "dev-1", "--server-uri", "https://dm.example.invalid/dm", "--key-hex", "file:" + File(key + "\n"), .. store]);
        Assert.True(keyed.ExitCode == 0, keyed.Stderr);
        var json = JsonDocument.Parse(keyed.Stdout).RootElement;
        var body = Convert.FromHexString(json.GetProperty("body_hex").GetString()!);
        Assert.Equal(BootstrapVerifyResult.Ok, BootstrapAuthenticator.VerifyWithKey(Convert.FromHexString(key), body, json.GetProperty("mac").GetString()));
        Assert.True(BootstrapPackageReader.TryRead(body, out var package, out _));
        Assert.Equal("client-secret", package.Account.ClientCredential.Secret);

        var pinned = await CliRunner.RunWithInputAsync("1234\n", ["dm", "bootstrap", "--dev-id", "dev-1", "--server-uri", "https://dm.example.invalid/dm", "--sec", "USERPIN", "--pin", "stdin", .. store]);
        Assert.True(pinned.ExitCode == 0, pinned.Stderr);
        var pinJson = JsonDocument.Parse(pinned.Stdout).RootElement;
        var pinBody = Convert.FromHexString(pinJson.GetProperty("body_hex").GetString()!);
        Assert.Equal(BootstrapAuthenticator.ComputeMac(BootstrapSecMethod.UserPin, null, "1234", pinBody), pinJson.GetProperty("mac").GetString());
    }

    [Theory]
    [InlineData("--k", "aka", "vector", "--k", "@", "--op", Op, "--rand", "23553cbe9637a89d218ae64dae47bf35", "--sqn", "ff9bb4d0b607", "--amf", "b9b9")]
    [InlineData("--kid-key", "ota", "wrap", "--spi", "1621", "--kic", "22", "--kid", "22", "--kic-key", KicKey, "--kid-key", "@", "--tar", "b00011", "--cntr", "0000000005", "--data", "80")]
    [InlineData("--client-password", "dm", "account", "add", "--dev-id", "d", "--server-id", "s", "--client-user", "u", "--client-password", "@", "--server-password", "server-secret")]
    public async Task MissingEnvironmentVariable_Exits2_NamingOptionAndVariable_NotTheOtherSecrets(string option, params string[] args)
    {
        var missing = _env + "_UNSET";
        string[] store = args[0] == "dm" ? ["--data", Path.Combine(_dir, "none"), "--kek-file", Path.Combine(_dir, "k.json")] : [];
        var run = await CliRunner.RunAsync([.. args.Select(a => a == "@" ? "env:" + missing : a), .. store]);
        Assert.Equal(2, run.ExitCode);
        Assert.Equal($"{option}: environment variable {missing} is not set", run.Stderr.TrimEnd());
        foreach (var secret in new[] { Op, KicKey, "server-secret" })
            Assert.DoesNotContain(secret, run.Stderr, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(_dir, "none")));
    }

    [Fact]
    public async Task TwoOptionsFromStdin_Exit2_NamingTheSecond()
    {
        var run = await CliRunner.RunWithInputAsync(K + "\n" + Op + "\n", ["aka", "vector", "--k", "stdin", "--op", "stdin", .. VectorRest]);
        Assert.Equal(2, run.ExitCode);
        Assert.Single(run.Stderr.Trim().Split('\n'));
        Assert.Contains("standard input was already read", run.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain(K, run.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SecretFileThatCannotBeRead_Exit4_NamingTheOption_NotTheOtherSecrets()
    {
        // /proc/self/mem exists but reading it from offset 0 fails (EIO), as root too (chmod 000 would not stop root).
        var run = await CliRunner.RunAsync(["aka", "vector", "--k", "file:/proc/self/mem", "--op", Op, .. VectorRest]);
        Assert.Equal(4, run.ExitCode);
        Assert.Equal("--k: /proc/self/mem: I/O error", run.Stderr.TrimEnd());
        Assert.Equal("", run.Stdout);
    }

    [Fact]
    public async Task SecretFileThatIsADirectory_Exit2_NamingTheOption()
    {
        var run = await CliRunner.RunAsync(["aka", "vector", "--k", "file:" + _dir, "--op", Op, .. VectorRest]);
        Assert.Equal(2, run.ExitCode);
        Assert.StartsWith("--k: ", run.Stderr, StringComparison.Ordinal);
        Assert.Contains("is a directory, expected a file", run.Stderr, StringComparison.Ordinal);
    }
}
