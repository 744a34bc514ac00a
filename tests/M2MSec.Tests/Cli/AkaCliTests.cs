using System.Text.Json;
using M2MSec.Tests.Support;

namespace M2MSec.Tests.Cli;

/// <summary>`m2msec aka …` and `m2msec kdf ks-naf`: the public command lines, JSON fields and exit codes.</summary>
public sealed class AkaCliTests
{
    // TS 35.208 test set 1.
    private const string K = "465b5ce8b199b49faa5f0a2ee238a6bc";
    private const string Op = "cdc202d5123e20f62b6d676ac72cb318";
    private const string Opc = "cd63cb71954a9f4e48a5994e37a02baf";
    private const string Rand = "23553cbe9637a89d218ae64dae47bf35";

    [Fact]
    public async Task Vector_Json_HasTheContractFields_WithTs35208Set1Values()
    {
        var (code, stdout, stderr) = await CliRunner.RunAsync("aka", "vector", "--k", K, "--op", Op, "--rand", Rand, "--sqn", "ff9bb4d0b607", "--amf", "b9b9", "--json");
        Assert.True(code == 0, stderr);
        using var doc = JsonDocument.Parse(stdout);
        var root = doc.RootElement;
        Assert.Equal(["opc", "mac_a", "mac_s", "res", "ck", "ik", "ak", "ak_star", "autn"], root.EnumerateObject().Select(p => p.Name));
        Assert.Equal(Opc, root.GetProperty("opc").GetString());
        Assert.Equal("4a9ffac354dfafb3", root.GetProperty("mac_a").GetString());
        Assert.Equal("01cfaf9ec4e871e9", root.GetProperty("mac_s").GetString());
        Assert.Equal("a54211d5e3ba50bf", root.GetProperty("res").GetString());
        Assert.Equal("b40ba9a3c58b2a05bbf0d987b21bf8cb", root.GetProperty("ck").GetString());
        Assert.Equal("f769bcd751044604127672711c6d3441", root.GetProperty("ik").GetString());
        Assert.Equal("aa689c648370", root.GetProperty("ak").GetString());
        Assert.Equal("451e8beca43b", root.GetProperty("ak_star").GetString());
        Assert.Equal("55f328b43577b9b94a9ffac354dfafb3", root.GetProperty("autn").GetString());
    }

    [Fact]
    public async Task Vector_WithOpcInsteadOfOp_GivesTheSameAnswer()
    {
        var a = await CliRunner.RunAsync("aka", "vector", "--k", K, "--op", Op, "--rand", Rand, "--sqn", "ff9bb4d0b607", "--amf", "b9b9", "--json");
        var b = await CliRunner.RunAsync("aka", "vector", "--k", K, "--opc", Opc.ToUpperInvariant(), "--rand", Rand, "--sqn", "ff9bb4d0b607", "--amf", "b9b9", "--json");
        Assert.Equal(0, b.ExitCode);
        Assert.Equal(a.Stdout, b.Stdout);
    }

    [Theory]
    [InlineData("--k", "465b5ce8b199b49faa5f0a2ee238a6", "--k: expected 32 hex digits (16 octets), got 30")]
    [InlineData("--rand", "23553cbe9637a89d218ae64dae47bf3z", "--rand: expected 32 hex digits (16 octets), got 32 characters that are not all hex digits")]
    [InlineData("--sqn", "ff9bb4d0b6", "--sqn: expected 12 hex digits (6 octets), got 10")]
    [InlineData("--amf", "b9b9b9", "--amf: expected 4 hex digits (2 octets), got 6")]
    public async Task Vector_BadHexArgument_Exits2_WithOneLineNamingIt(string option, string value, string message)
    {
        var args = new Dictionary<string, string> { ["--k"] = K, ["--opc"] = Opc, ["--rand"] = Rand, ["--sqn"] = "ff9bb4d0b607", ["--amf"] = "b9b9" };
        args[option] = value;
        var (code, stdout, stderr) = await CliRunner.RunAsync(["aka", "vector", .. args.SelectMany(kv => new[] { kv.Key, kv.Value })]);
        Assert.Equal(2, code);
        Assert.Equal("", stdout);
        Assert.Equal(message, stderr.TrimEnd()); // exactly one line, exactly this

        Assert.DoesNotContain(value, stderr); // values may be keys: never echoed
    }

    [Fact]
    public async Task Vector_BothOpAndOpc_OrNeither_Exits2()
    {
        var both = await CliRunner.RunAsync("aka", "vector", "--k", K, "--op", Op, "--opc", Opc, "--rand", Rand, "--sqn", "ff9bb4d0b607", "--amf", "b9b9");
        var neither = await CliRunner.RunAsync("aka", "vector", "--k", K, "--rand", Rand, "--sqn", "ff9bb4d0b607", "--amf", "b9b9");
        Assert.Equal(2, both.ExitCode);
        Assert.Equal(2, neither.ExitCode);
        Assert.StartsWith("--op | --opc: expected exactly one of them", neither.Stderr);
    }

    [Fact]
    public async Task Vector_MissingOption_Exits2_NamingIt()
    {
        var (code, _, stderr) = await CliRunner.RunAsync("aka", "vector", "--k", K, "--opc", Opc, "--rand", Rand, "--amf", "b9b9");
        Assert.Equal(2, code);
        Assert.StartsWith("--sqn: required, expected 12 hex digits (6 octets)", stderr);
    }

    [Fact]
    public async Task UnknownCommand_Exits2()
    {
        var (code, _, stderr) = await CliRunner.RunAsync("frobnicate");
        Assert.Equal(2, code);
        Assert.Contains("frobnicate", stderr);
    }

    [Fact]
    public async Task Auts_ThenResync_RecoversSqnMs()
    {
        var auts = await CliRunner.RunAsync("aka", "auts", "--k", K, "--op", Op, "--rand", Rand, "--sqn-ms", "0000000003e0", "--json");
        Assert.Equal(0, auts.ExitCode);
        var value = JsonDocument.Parse(auts.Stdout).RootElement.GetProperty("auts").GetString()!;
        Assert.Equal(28, value.Length);
        // AUTS[0..5] = SQN_MS ⊕ AK*, AK* of set 1 = 451e8beca43b.
        Assert.StartsWith("451e8beca7db", value);

        var resync = await CliRunner.RunAsync("aka", "resync", "--k", K, "--opc", Opc, "--rand", Rand, "--auts", value, "--json");
        Assert.Equal(0, resync.ExitCode);
        Assert.Equal("""{"sqn_ms":"0000000003e0"}""", resync.Stdout.Trim());
    }

    [Fact]
    public async Task Resync_ForgedAuts_Exits1()
    {
        var auts = await CliRunner.RunAsync("aka", "auts", "--k", K, "--op", Op, "--rand", Rand, "--sqn-ms", "0000000003e0", "--json");
        var value = JsonDocument.Parse(auts.Stdout).RootElement.GetProperty("auts").GetString()!;
        var forged = value[..^1] + (value[^1] == '0' ? '1' : '0');
        var (code, stdout, stderr) = await CliRunner.RunAsync("aka", "resync", "--k", K, "--opc", Opc, "--rand", Rand, "--auts", forged, "--json");
        Assert.Equal(1, code);
        Assert.Equal("", stdout);
        Assert.Contains("MAC-S", stderr);
    }

    [Fact]
    public async Task KsNaf_Json_MatchesOpenSsl()
    {
        var openssl = ExternalTool.Require("openssl", "Debian package openssl");
        const string ck = "b40ba9a3c58b2a05bbf0d987b21bf8cb", ik = "f769bcd751044604127672711c6d3441";
        const string impi = "user@ims.example.org";
        var nafId = Convert.ToHexStringLower([.. System.Text.Encoding.ASCII.GetBytes("naf.example.org"), 1, 0, 0, 0, 2]);
        var (code, stdout, stderr) = await CliRunner.RunAsync("kdf", "ks-naf", "--ck", ck, "--ik", ik, "--rand", Rand, "--impi", impi, "--naf-id", nafId, "--json");
        Assert.True(code == 0, stderr);
        var ksNaf = JsonDocument.Parse(stdout).RootElement.GetProperty("ks_naf").GetString();

        var naf = Convert.FromHexString(nafId);
        byte[] s = [0x01, .. "gba-me"u8, 0, 6, .. Convert.FromHexString(Rand), 0, 16,
            .. System.Text.Encoding.ASCII.GetBytes(impi), 0, (byte)impi.Length, .. naf, 0, (byte)naf.Length];
        Assert.Equal(await Aka.KdfTests.OpenSslHmacAsync(openssl, Convert.FromHexString(ck + ik), s), ksNaf);
    }

    [Fact]
    public async Task KsNaf_NafIdWithoutProtocolId_Exits2()
    {
        var (code, _, stderr) = await CliRunner.RunAsync("kdf", "ks-naf", "--ck", K, "--ik", K, "--rand", Rand, "--impi", "a@b", "--naf-id", "0102030405");
        Assert.Equal(2, code);
        Assert.StartsWith("--naf-id: expected 12 to 2048 hex digits, got 10", stderr);
    }
}
