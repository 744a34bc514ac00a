using System.Text.Json;
using System.Text.RegularExpressions;
using M2MSec.Tests.Support;

namespace M2MSec.Tests.Cli;

/// <summary>
/// Issue 14 item 4 (one name per concept: --payload, --trust-root, --staple; lower-case choices and states; old names
/// kept as hidden aliases) and item 5 (--json on every command that produces or changes something, snake_case fields,
/// nothing else on standard output; labelled text output).
/// </summary>
public sealed partial class CliNamesTests : IDisposable
{
    private const string KicKey = "200102030405060708090a0b0c0d0e0f";
    private const string KidKey = "201102030405060708090a0b0c0d0e0f";
    private static readonly string[] Keys = ["--kic", "22", "--kid", "22", "--kic-key", KicKey, "--kid-key", KidKey];
    private readonly string _dir = TestKeyRing.TempDirectory("m2msec-names-");

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string F(string name) => Path.Combine(_dir, name);

    private string[] Store(string name) => ["--data", F(name), "--kek-file", F("kek.json")];

    [GeneratedRegex("^[a-z][a-z0-9_]*$")]
    private static partial Regex SnakeCase();

    /// <summary>Standard output is exactly one JSON object whose keys (nested too) are snake_case.</summary>
    private static JsonElement OneSnakeCaseObject((int ExitCode, string Stdout, string Stderr) run)
    {
        Assert.True(run.ExitCode == 0, run.Stderr);
        Assert.Single(run.Stdout.Trim().Split('\n'));
        var root = JsonDocument.Parse(run.Stdout).RootElement;
        Assert.Equal(JsonValueKind.Object, root.ValueKind);
        AssertSnakeCase(root);
        return root;
    }

    private static void AssertSnakeCase(JsonElement e)
    {
        if (e.ValueKind == JsonValueKind.Object)
        {
            foreach (var p in e.EnumerateObject())
            {
                Assert.Matches(SnakeCase(), p.Name);
                AssertSnakeCase(p.Value);
            }
        }
        else if (e.ValueKind == JsonValueKind.Array)
        {
            foreach (var i in e.EnumerateArray())
                AssertSnakeCase(i);
        }
    }

    [Theory]
    [InlineData("wrap", "--tar", "b00011", "--cntr", "0000000005")]
    [InlineData("wrap-por", "--tar", "b00011", "--cntr", "0000000005", "--status", "00")]
    public async Task OtaPayload_IsTheNewName_DataStaysAHiddenAlias_SameBytes_OneNamePerConceptItem4(string command, params string[] rest)
    {
        var viaPayload = await CliRunner.RunAsync(["ota", command, "--spi", "1621", .. Keys, .. rest, "--payload", "80e60c00", "--json"]);
        var viaData = await CliRunner.RunAsync(["ota", command, "--spi", "1621", .. Keys, .. rest, "--data", "80e60c00", "--json"]);
        Assert.True(viaPayload.ExitCode == 0, viaPayload.Stderr);
        Assert.True(viaData.ExitCode == 0, viaData.Stderr);
        Assert.Equal(viaPayload.Stdout, viaData.Stdout);
        Assert.Equal(2, (await CliRunner.RunAsync(["ota", command, "--spi", "1621", .. Keys, .. rest, "--payload", "80", "--data", "80"])).ExitCode);

        var help = (await CliRunner.RunAsync("ota", command, "--help")).Stdout;
        Assert.Contains("--payload", help, StringComparison.Ordinal);
        Assert.DoesNotContain("--data", help, StringComparison.Ordinal);
    }

    [Fact]
    public async Task OtaWrapAndWrapPor_TextOutput_LabelsThePacketAndTheSmsUserData_Item5()
    {
        var wrap = await CliRunner.RunAsync(["ota", "wrap", "--spi", "1621", .. Keys, "--tar", "b00011", "--cntr", "0000000005", "--payload", "80e60c00"]);
        var por = await CliRunner.RunAsync(["ota", "wrap-por", "--spi", "1621", .. Keys, "--tar", "b00011", "--cntr", "0000000005", "--status", "00"]);
        foreach (var run in new[] { wrap, por })
        {
            Assert.True(run.ExitCode == 0, run.Stderr);
            var packet = OtaCliTests.Field(run.Stdout, "packet");
            Assert.EndsWith(packet, OtaCliTests.Field(run.Stdout, "sms_ud"), StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task TrustRoot_IsTheOneTrustAnchorName_RootAndStapleRootAreHiddenAliases_Item4()
    {
        foreach (var command in new[] { new[] { "pki", "check" }, ["device", "trust-root"] })
        {
            var help = (await CliRunner.RunAsync([.. command, "--help"])).Stdout;
            Assert.Contains("--trust-root", help, StringComparison.Ordinal);
            Assert.DoesNotContain("--root ", help, StringComparison.Ordinal);
        }
        var serve = (await CliRunner.RunAsync("serve", "--help")).Stdout;
        Assert.Contains("--staple ", serve, StringComparison.Ordinal);
        Assert.DoesNotContain("--staple-root", serve, StringComparison.Ordinal);

        // The device's trust root: by its new name, and the old one still parses (a second provisioning is the device's refusal, 2).
        string[] device = ["--data", F("device"), "--fuse-dir", F("fuse")];
        Assert.Equal(0, (await CliRunner.RunAsync(["device", "create", "--pcid", "001010123456789", .. device])).ExitCode);
        var pem = F("root.pem");
        using (var key = System.Security.Cryptography.ECDsa.Create(System.Security.Cryptography.ECCurve.NamedCurves.nistP256))
        {
            var request = new System.Security.Cryptography.X509Certificates.CertificateRequest("CN=names root", key, System.Security.Cryptography.HashAlgorithmName.SHA256);
            request.CertificateExtensions.Add(new System.Security.Cryptography.X509Certificates.X509BasicConstraintsExtension(true, false, 0, true));
            using var cert = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-1), DateTimeOffset.UtcNow.AddDays(1));
            await File.WriteAllTextAsync(pem, cert.ExportCertificatePem(), TestContext.Current.CancellationToken);
        }
        var trusted = await CliRunner.RunAsync(["device", "trust-root", "--trust-root", pem, .. device]);
        Assert.True(trusted.ExitCode == 0, trusted.Stderr);
        var again = await CliRunner.RunAsync(["device", "trust-root", "--root", pem, .. device]);
        Assert.Equal(2, again.ExitCode);
        Assert.StartsWith("--data:", again.Stderr, StringComparison.Ordinal); // parsed: the device refused, not the parser

        // pki check takes --trust-root; the provisioned root must match it by that name.
        var check = await CliRunner.RunAsync(["pki", "check", "--cert", pem, "--trust-root", pem, "--mode", "secure-clock", "--json"]);
        Assert.NotEqual(2, check.ExitCode);

        // serve dm: stapling is its own opt-in; the root alone is no longer "staple" and --staple needs the root.
        Assert.StartsWith("--staple: needs --trust-root", (await CliRunner.RunAsync(["serve", "dm", "--staple", .. Store("dm")])).Stderr, StringComparison.Ordinal);
        Assert.StartsWith("--trust-root: for dm only with --staple", (await CliRunner.RunAsync(["serve", "dm", "--trust-root", pem, .. Store("dm")])).Stderr, StringComparison.Ordinal);
        Assert.StartsWith("--staple: needs --cert and --key", (await CliRunner.RunAsync(["serve", "dm", "--staple", "--trust-root", pem, .. Store("dm")])).Stderr, StringComparison.Ordinal);
        Assert.False(Directory.Exists(F("dm")));
    }

    [Fact]
    public async Task Choices_AndStates_AreLowerCase_InHelpAndJson_Item4()
    {
        var help = (await CliRunner.RunAsync("device", "create", "--help")).Stdout;
        Assert.Contains("--kind <uicc|tre>", help, StringComparison.Ordinal);
        Assert.Contains("[default: tre]", help, StringComparison.Ordinal);
        Assert.DoesNotContain("Tre", help, StringComparison.Ordinal);
        Assert.DoesNotContain("Uicc", help, StringComparison.Ordinal);

        // The default still applies when --kind is absent.
        var created = OneSnakeCaseObject(await CliRunner.RunAsync("device", "create", "--pcid", "001010123456789", "--data", F("d"), "--fuse-dir", F("fuse"), "--json"));
        Assert.Equal("tre", created.GetProperty("kind").GetString());

        var tamper = OneSnakeCaseObject(await CliRunner.RunAsync("device", "tamper", "--what", "store", "--data", F("d"), "--fuse-dir", F("fuse"), "--json"));
        Assert.Equal("store", tamper.GetProperty("tampered").GetString());
        var shown = OneSnakeCaseObject(await CliRunner.RunAsync("device", "show", "--data", F("d"), "--fuse-dir", F("fuse"), "--json"));
        Assert.Equal("sealed-store-integrity", shown.GetProperty("lockdown_reason").GetString());

        var por = await CliRunner.RunAsync(["ota", "wrap-por", "--spi", "1621", .. Keys, "--tar", "b00011", "--cntr", "0000000009", "--status", "00", "--json"]);
        var ud = JsonDocument.Parse(por.Stdout).RootElement.GetProperty("sms_ud").GetString()!;
        var opened = await CliRunner.RunAsync(["ota", "unwrap-por", "--spi", "1621", .. Keys, "--ud", ud, "--json"]);
        Assert.Equal("por-ok", JsonDocument.Parse(opened.Stdout).RootElement.GetProperty("status_name").GetString());
    }

    [Fact]
    public async Task EveryCommandThatChangesSomething_PrintsOneSnakeCaseJsonObject_NoSecrets_Item5()
    {
        var init = OneSnakeCaseObject(await CliRunner.RunAsync(["pki", "init", .. Store("pki"), "--json"]));
        Assert.Equal("operator", init.GetProperty("hierarchy").GetString());
        var issued = OneSnakeCaseObject(await CliRunner.RunAsync(["pki", "issue", "--profile", "dm-server", "--subject", "dm.example", "--out-cert", F("dm.pem"), "--out-key", F("dm.key"), .. Store("pki"), "--json"]));
        var serial = issued.GetProperty("serial").GetString()!;
        var revoked = OneSnakeCaseObject(await CliRunner.RunAsync(["pki", "revoke", "--serial", serial, "--reason", "keyCompromise", .. Store("pki"), "--json"]));
        Assert.Equal(serial, revoked.GetProperty("revoked").GetString());
        var crl = OneSnakeCaseObject(await CliRunner.RunAsync(["pki", "crl", "--out", F("crl.der"), .. Store("pki"), "--json"]));
        Assert.True(crl.GetProperty("octets").GetInt32() > 0);

        var account = OneSnakeCaseObject(await CliRunner.RunAsync(["dm", "account", "add", "--dev-id", "d1", "--server-id", "s", "--client-user", "u",
            "--client-password", "cpw-secret-1", "--server-password", "spw-secret-2", .. Store("dm"), "--json"]));
        Assert.Equal("d1", account.GetProperty("dev_id").GetString());
        var job = OneSnakeCaseObject(await CliRunner.RunAsync(["dm", "job", "add", "--dev-id", "d1", "--get", "./DevInfo/Mod", .. Store("dm"), "--json"]));
        Assert.StartsWith("dm-", job.GetProperty("jobs")[0].GetProperty("id").GetString(), StringComparison.Ordinal);

        var card = await CliRunner.RunAsync(["ota", "card", "add", "--iccid", "8988211000000000801", "--tar", "b00001", "--kic", "12", "--kid", "12",
            "--kic-key", KicKey, "--kid-key", KidKey, "--psk-identity", "card-801", "--psk", "00112233445566778899aabbccddeeff", .. Store("ota"), "--json"]);
        var cardJson = OneSnakeCaseObject(card);
        Assert.Equal(1, cardJson.GetProperty("key_version").GetInt32());
        Assert.Equal("card-801", cardJson.GetProperty("psk_identity").GetString());

        var rewrap = OneSnakeCaseObject(await CliRunner.RunAsync(["store", "rewrap", .. Store("ota"), "--json"]));
        Assert.Equal(JsonValueKind.Number, rewrap.GetProperty("rewrapped").ValueKind);

        foreach (var secret in new[] { KicKey, KidKey, "00112233445566778899aabbccddeeff", "cpw-secret-1", "spw-secret-2" })
            Assert.DoesNotContain(secret, account.GetRawText() + cardJson.GetRawText(), StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>`bench store` text: each backend's measurements as indented name-value lines, not "sqlite [raw_commit_1w, 3870], …" (item 5).</summary>
    [Fact]
    public void NestedResults_PrintAsIndentedLines_NotTuples_BenchStoreReadableItem5()
    {
        using var text = new StringWriter();
        M2MSec.Cli.Internal.CliOutput.Write(text, false,
        [
            new("sqlite", new Dictionary<string, object?> { ["raw_commit_1w"] = 3870, ["counter_1w"] = 3500 }),
            new("cores", 2),
        ]);
        var lines = text.ToString().Split('\n').Select(l => l.TrimEnd('\r')).Where(l => l.Length > 0).ToList();
        Assert.Equal(["sqlite", "  raw_commit_1w  3870", "  counter_1w     3500", "cores   2"], lines);
    }
}
