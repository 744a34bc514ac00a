using M2MSec.Tests.Support;

namespace M2MSec.Tests.Cli;

/// <summary>
/// Issue 13, "CLI bad input": a missing or wrong-kind path, or malformed input, is exit 2 with one line naming the
/// option, and nothing is created; an I/O failure on an existing path is exit 4; a failed MAC stays exit 1.
/// </summary>
public sealed class CliBadInputTests : IDisposable
{
    private const string KicKey = "200102030405060708090a0b0c0d0e0f";
    private const string KidKey = "201102030405060708090a0b0c0d0e0f";

    private readonly string _root = TestKeyRing.TempDirectory("m2msec-cli-bad-input-");

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_root, true);
    }

    private string F(string name) => Path.Combine(_root, name);

    private string[] Listing() =>
        [.. Directory.EnumerateFileSystemEntries(_root, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal)];

    /// <summary>Runs the command and asserts the exit code, one stderr line starting with the option, and an unchanged directory.</summary>
    private async Task<string> RefusedAsync(int exitCode, string option, params string[] args)
    {
        var before = Listing();
        var (code, stdout, stderr) = await CliRunner.RunAsync(args);
        Assert.True(code == exitCode, $"exit {code}: {stdout}{stderr}");
        Assert.Single(stderr.Trim().Split('\n'));
        Assert.StartsWith(option + ":", stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("Exception", stderr, StringComparison.Ordinal);
        Assert.Equal(before, Listing());
        return stderr;
    }

    public static TheoryData<string[]> CommandsOnExistingState() => new()
    {
        new[] { "dm", "job", "add", "--dev-id", "d1", "--get", "./DevInfo/Mod" },
        new[] { "dm", "job", "show", "--dev-id", "d1" },
        new[] { "dm", "notify", "--dev-id", "d1" },
        new[] { "dm", "bootstrap", "--dev-id", "d1", "--server-uri", "https://dm.example/dm", "--sec", "NETWPIN", "--imsi", "001010123456789" },
        new[] { "pki", "issue", "--profile", "device", "--subject", "d1", "--out-cert", "OUT/d1.pem", "--out-key", "OUT/d1.key" },
        new[] { "pki", "export", "--what", "root", "--out", "OUT/root.pem" },
        new[] { "pki", "revoke", "--serial", "01", "--reason", "keyCompromise" },
        new[] { "pki", "crl", "--out", "OUT/crl.der" },
        new[] { "store", "rewrap" },
    };

    private string[] WithStore(string[] args, string data) =>
        [.. args.Select(a => a.StartsWith("OUT/", StringComparison.Ordinal) ? F(a[4..]) : a), "--data", data, "--kek-file", F("kek.json")];

    /// <summary>Issue 13, CLI bad input: `dm job add --data DIR-THAT-DOES-NOT-EXIST` created m2msec.db and blamed --dev-id.</summary>
    [Theory]
    [MemberData(nameof(CommandsOnExistingState))]
    public async Task CommandOnExistingState_DataDirectoryThatDoesNotExist_Exit2_NamingData_CreatesNothing_BadInputThreat(string[] args)
    {
        var stderr = await RefusedAsync(2, "--data", WithStore(args, F("no-such-dir")));
        Assert.Contains("does not exist", stderr, StringComparison.Ordinal);
        Assert.False(Directory.Exists(F("no-such-dir")));
    }

    /// <summary>Issue 13, CLI bad input: an existing directory that holds no store is refused the same way.</summary>
    [Theory]
    [MemberData(nameof(CommandsOnExistingState))]
    public async Task CommandOnExistingState_DataDirectoryWithoutStore_Exit2_NamingData_CreatesNothing_BadInputThreat(string[] args)
    {
        Directory.CreateDirectory(F("empty"));
        var stderr = await RefusedAsync(2, "--data", WithStore(args, F("empty")));
        Assert.Contains("holds no store", stderr, StringComparison.Ordinal);
    }

    /// <summary>Issue 13, CLI bad input: the device commands that open an existing device.</summary>
    [Theory]
    [InlineData("show")]
    [InlineData("tamper", "--what", "store")]
    [InlineData("trust-root", "--root", "ROOT")]
    public async Task DeviceCommand_DataDirectoryThatDoesNotExist_Exit2_NamingData_CreatesNothing_BadInputThreat(string verb, params string[] rest)
    {
        Directory.CreateDirectory(F("fuse"));
        File.WriteAllText(F("root.pem"), "not used");
        string[] args = ["device", verb, "--data", F("no-such-device"), "--fuse-dir", F("fuse"), .. rest.Select(a => a == "ROOT" ? F("root.pem") : a)];
        await RefusedAsync(2, "--data", args);
    }

    /// <summary>Issue 13, CLI bad input: `device create --fuse-dir A-FILE` printed a raw .NET message and left firmware/*.img behind.</summary>
    [Fact]
    public async Task DeviceCreate_FuseDirIsAFile_Exit2_NamingFuseDir_LeavesNoFirmware_BadInputThreat()
    {
        File.WriteAllText(F("fuse-file"), "a file, not a directory");
        var stderr = await RefusedAsync(2, "--fuse-dir", "device", "create", "--data", F("dev"), "--pcid", "001010123456789", "--fuse-dir", F("fuse-file"));
        Assert.Contains("is a file", stderr, StringComparison.Ordinal);
        Assert.False(Directory.Exists(F("dev")));
    }

    public static TheoryData<string[]> CommandsWithData() => new()
    {
        new[] { "dm", "job", "add", "--dev-id", "d1", "--get", "./DevInfo/Mod" },
        new[] { "dm", "account", "add", "--dev-id", "d1", "--server-id", "s", "--client-user", "u", "--client-password", "12345678", "--server-password", "12345678" },
        new[] { "pki", "init" },
        new[] { "pki", "export", "--what", "root", "--out", "OUT/root.pem" },
        new[] { "ota", "card", "add", "--iccid", "8988211000000000601", "--psk-identity", "card-601", "--psk", "00112233445566778899aabbccddeeff" },
        new[] { "serve", "hss" },
        new[] { "store", "rewrap" },
    };

    /// <summary>Issue 13, CLI bad input: `--data A-FILE` printed a raw .NET message without naming the option — also for commands that create a store.</summary>
    [Theory]
    [MemberData(nameof(CommandsWithData))]
    public async Task DataIsAFile_Exit2_NamingData_BadInputThreat(string[] args)
    {
        File.WriteAllText(F("data-file"), "a file, not a directory");
        var stderr = await RefusedAsync(2, "--data", WithStore(args, F("data-file")));
        Assert.Contains("is a file, expected a directory", stderr, StringComparison.Ordinal);
    }

    /// <summary>Issue 13, CLI bad input: the device's own --data as a file.</summary>
    [Fact]
    public async Task DeviceCreate_DataIsAFile_Exit2_NamingData_BadInputThreat()
    {
        File.WriteAllText(F("data-file"), "a file, not a directory");
        await RefusedAsync(2, "--data", "device", "create", "--data", F("data-file"), "--pcid", "001010123456789", "--fuse-dir", F("fuse"));
    }

    /// <summary>Issue 13, CLI bad input: `pki check --chain A-DIRECTORY` printed a raw .NET message without naming the option.</summary>
    [Fact]
    public async Task PkiCheck_ChainIsADirectory_Exit2_NamingChain_BadInputThreat()
    {
        var pem = SelfSignedPem();
        Directory.CreateDirectory(F("chain-dir"));
        var stderr = await RefusedAsync(2, "--chain", "pki", "check", "--cert", pem, "--root", pem, "--chain", F("chain-dir"), "--mode", "secure-clock");
        Assert.Contains("is a directory, expected a file", stderr, StringComparison.Ordinal);
    }

    /// <summary>Issue 13, CLI bad input: a file that holds no certificate names its option, without the runtime's message.</summary>
    [Fact]
    public async Task PkiCheck_CertThatIsNoCertificate_Exit2_NamingCert_BadInputThreat()
    {
        var pem = SelfSignedPem();
        File.WriteAllText(F("junk.pem"), "junk");
        var stderr = await RefusedAsync(2, "--cert", "pki", "check", "--cert", F("junk.pem"), "--root", pem, "--mode", "secure-clock");
        Assert.EndsWith("junk.pem holds no certificate (expected PEM or DER)", stderr.Trim(), StringComparison.Ordinal); // not the runtime's message
    }

    /// <summary>Issue 13, CLI bad input: `pki check --mode stapled` without --staple exited 1 with a verdict.</summary>
    [Fact]
    public async Task PkiCheck_StapledWithoutStaple_Exit2_NamingStaple_NoVerdict_BadInputThreat()
    {
        var pem = SelfSignedPem();
        var stderr = await RefusedAsync(2, "--staple", "pki", "check", "--cert", pem, "--root", pem, "--mode", "stapled");
        Assert.Contains("required with --mode stapled", stderr, StringComparison.Ordinal);
    }

    /// <summary>Issue 13, CLI bad input: an --out whose directory does not exist is exit 2 naming --out, before the store is touched.</summary>
    [Fact]
    public async Task BootstrapOut_InDirectoryThatDoesNotExist_Exit2_NamingOut_BadInputThreat()
    {
        var stderr = await RefusedAsync(2, "--out", "dm", "bootstrap", "--data", F("dm"), "--kek-file", F("kek.json"), "--dev-id", "d1",
            "--server-uri", "https://dm.example/dm", "--sec", "NETWPIN", "--imsi", "001010123456789", "--out", Path.Combine(F("no-such-dir"), "body.wbxml"));
        Assert.Contains("does not exist", stderr, StringComparison.Ordinal);
    }

    /// <summary>Issue 13, CLI bad input: an I/O failure reading an existing file is exit 4 naming the option (Linux: /proc/self/mem cannot be read at offset 0).</summary>
    [Fact]
    public async Task UnreadableExistingFile_Exit4_NamingTheOption_BadInputThreat()
    {
        if (!OperatingSystem.IsLinux())
            return;
        var pem = SelfSignedPem();
        var stderr = await RefusedAsync(4, "--cert", "pki", "check", "--cert", "/proc/self/mem", "--root", pem, "--mode", "secure-clock");
        Assert.Contains("I/O error", stderr, StringComparison.Ordinal);
    }

    /// <summary>Issue 13, CLI bad input: `ota unwrap-por --ud` with hex that is no PoR exited 1; a failed MAC stays exit 1.</summary>
    [Theory]
    [InlineData("001122334455")] // UDHL 0: no IEI '71'
    [InlineData("0a7100")] // UDHL runs past the user data
    [InlineData("027100" + "0001ff")] // RPL 1: shorter than RHL
    [InlineData("027100" + "00ff")] // no RHL
    public async Task OtaUnwrapPor_UdThatIsNoPor_Exit2_NamingUd_BadInputThreat(string ud)
    {
        await RefusedAsync(2, "--ud", "ota", "unwrap-por", "--spi", "0619", "--kic", "22", "--kid", "22", "--kic-key", KicKey, "--kid-key", KidKey, "--ud", ud);

        const string por = "027100002412b00011ebc6b497e2cad7aedf36ace0e3a29b38853f0fe9ccde81913be5702b73abce1f";
        var forged = await CliRunner.RunAsync("ota", "unwrap-por", "--spi", "0619", "--kic", "22", "--kid", "22", "--kic-key", KicKey, "--kid-key", KidKey, "--ud", por[..^2] + "00");
        Assert.Equal((1, "cc mismatch"), (forged.ExitCode, forged.Stderr.Trim()));
    }

    /// <summary>Issue 13, CLI bad input: `ota unwrap-command --packet` that is no command packet is exit 2 naming --packet; a tampered one stays 1.</summary>
    [Fact]
    public async Task OtaUnwrapCommand_PacketThatIsNoPacket_Exit2_NamingPacket_BadInputThreat()
    {
        var stderr = await RefusedAsync(2, "--packet", "ota", "unwrap-command", "--kic-key", KicKey, "--kid-key", KidKey, "--packet", "0010ff");
        Assert.Contains("CPL", stderr, StringComparison.Ordinal);
    }

    /// <summary>
    /// Issue 13, CLI bad input: a reserved KIc algorithm was called "Proprietary" and the error blamed --kic-key/--kid-key/--spi.
    /// TS 102 225 §5.1.2: b2b1 = 10 is AES, whose only mode is b4b3 = 00; the other codings are reserved.
    /// </summary>
    [Theory]
    [InlineData("26", "--kic", "reserved")] // AES family, b4b3 = 01
    [InlineData("2e", "--kic", "reserved")] // AES family, b4b3 = 11
    [InlineData("23", "--kic", "proprietary")]
    [InlineData("20", "--kic", "known implicitly")]
    public async Task OtaWrap_UnusableKic_Exit2_NamingKic_WithTheRightName_BadInputThreat(string kic, string option, string name)
    {
        var stderr = await RefusedAsync(2, option, "ota", "wrap", "--spi", "0619", "--kic", kic, "--kid", "22", "--kic-key", KicKey, "--kid-key", KidKey,
            "--tar", "b00011", "--cntr", "0000000000", "--data", "00");
        Assert.Contains(name, stderr, StringComparison.Ordinal);
        if (name != "proprietary")
            Assert.DoesNotContain("roprietary", stderr, StringComparison.Ordinal);
        Assert.Equal(name == "reserved" ? M2MSec.Ota.Scp80.CipherAlgorithm.Reserved : name == "proprietary" ? M2MSec.Ota.Scp80.CipherAlgorithm.Proprietary : M2MSec.Ota.Scp80.CipherAlgorithm.Implicit,
            M2MSec.Ota.Scp80.KeyIdentifier.Cipher(Convert.FromHexString(kic)[0]));
    }

    /// <summary>Issue 13, CLI bad input: a bad KID names --kid, a key that does not fit names its own option.</summary>
    [Theory]
    [InlineData("--kid", "--kid", "2e", "--kic-key", KicKey)]
    [InlineData("--kid-key", "--kid", "12", "--kic-key", KicKey)] // KID '12' is AES-CMAC: an 8-octet --kid-key does not fit
    [InlineData("--kic-key", "--kid", "22", "--kic-key", "0011223344556677")]
    public async Task OtaWrap_BadKidOrKey_Exit2_NamingThatOption_BadInputThreat(string option, string kidOption, string kid, string keyOption, string key)
    {
        var kidKey = option == "--kid-key" ? "0011223344556677" : KidKey;
        await RefusedAsync(2, option, "ota", "wrap", "--spi", "0619", "--kic", "22", kidOption, kid, keyOption, key, "--kid-key", kidKey,
            "--tar", "b00011", "--cntr", "0000000000", "--data", "00");
    }

    /// <summary>Issue 13, CLI bad input: `ota card add` with a reserved KIc names --kic and registers nothing.</summary>
    [Fact]
    public async Task OtaCardAdd_ReservedKic_Exit2_NamingKic_CreatesNothing_BadInputThreat()
    {
        var stderr = await RefusedAsync(2, "--kic", "ota", "card", "add", "--iccid", "8988211000000000601", "--tar", "b00001", "--kic", "16", "--kid", "12",
            "--kic-key", KicKey, "--kid-key", KidKey, "--data", F("ota"), "--kek-file", F("kek.json"));
        Assert.Contains("reserved", stderr, StringComparison.Ordinal);
    }

    /// <summary>Issue 13, CLI bad input (sweep): a port in use is exit 4 naming --urls, not a stack trace, and the fresh store is removed.</summary>
    [Fact]
    public async Task Serve_OnAPortInUse_Exit4_NamingUrls_LeavesNoStore_BadInputThreat()
    {
        var busy = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        busy.Start();
        try
        {
            var port = ((System.Net.IPEndPoint)busy.LocalEndpoint).Port;
            var stderr = await RefusedAsync(4, "--urls", "serve", "hss", "--urls", $"http://127.0.0.1:{port}", "--data", F("hss"), "--kek-file", F("kek.json"));
            Assert.Contains("could not listen", stderr, StringComparison.Ordinal);
        }
        finally
        {
            busy.Stop();
        }
    }

    /// <summary>Issue 13, CLI bad input (sweep): an --urls that is no listen address is refused before the store is created.</summary>
    [Fact]
    public async Task Serve_UrlsThatIsNoAddress_Exit2_NamingUrls_CreatesNothing_BadInputThreat() =>
        await RefusedAsync(2, "--urls", "serve", "hss", "--urls", "not-a-url", "--data", F("hss"), "--kek-file", F("kek.json"));

    /// <summary>Issue 13, CLI bad input (sweep): an SMSC that cannot be reached is exit 4 naming --smsc, not a stack trace.</summary>
    [Fact]
    public async Task DmNotify_SmscUnreachable_Exit4_NamingSmsc_BadInputThreat()
    {
        string[] store = ["--data", F("dm"), "--kek-file", F("kek.json")];
        Assert.Equal(0, (await CliRunner.RunAsync(["dm", "account", "add", "--dev-id", "d1", "--server-id", "s", "--client-user", "u",
            "--client-password", "12345678", "--server-password", "12345678", .. store])).ExitCode);
        var (code, _, stderr) = await CliRunner.RunAsync(["dm", "notify", "--dev-id", "d1", "--smsc", $"http://127.0.0.1:{LoopbackPort.Free()}/", .. store]);
        Assert.Equal(4, code);
        Assert.Single(stderr.Trim().Split('\n'));
        Assert.StartsWith("--smsc:", stderr, StringComparison.Ordinal);
    }

    /// <summary>Issue 13, CLI bad input (sweep): data too long for 255 concatenated SMS names --data, not the keys and SPI.</summary>
    [Fact]
    public async Task OtaWrap_DataTooLongForSms_Exit2_NamingData_BadInputThreat()
    {
        var stderr = await RefusedAsync(2, "--payload", "ota", "wrap", "--spi", "0619", "--kic", "22", "--kid", "22", "--kic-key", KicKey, "--kid-key", KidKey,
            "--tar", "b00011", "--cntr", "0000000000", "--payload", new string('0', 80_000));
        Assert.Contains("255", stderr, StringComparison.Ordinal);
    }

    private string SelfSignedPem()
    {
        var path = F("self.pem");
        if (File.Exists(path))
            return path;
        using var key = System.Security.Cryptography.ECDsa.Create(System.Security.Cryptography.ECCurve.NamedCurves.nistP256);
        var request = new System.Security.Cryptography.X509Certificates.CertificateRequest("CN=localhost", key, System.Security.Cryptography.HashAlgorithmName.SHA256);
        using var cert = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-1), DateTimeOffset.UtcNow.AddDays(1));
        File.WriteAllText(path, cert.ExportCertificatePem());
        return path;
    }
}
