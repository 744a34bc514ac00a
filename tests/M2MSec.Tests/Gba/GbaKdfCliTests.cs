using System.Security.Cryptography;
using System.Text.Json;
using M2MSec.Tests.Support;

namespace M2MSec.Tests.Gba;

/// <summary>
/// Issue 18: `m2msec kdf ks-ext-naf|ks-int-naf` (GBA_U, TS 33.220 §5.3.2, Annex B.3) — the same options as `kdf ks-naf`,
/// checked against the KDF of Annex B.2 computed here with the string S written out by hand (HMAC-SHA-256 of the platform).
/// </summary>
public sealed class GbaKdfCliTests
{
    // TS 35.208 test set 1 CK, IK and RAND; a NAF_Id for TLS_PSK_WITH_AES_128_GCM_SHA256 (TS 33.220 Annex H: 01 00 01 00 A8).
    private const string Ck = "b40ba9a3c58b2a05bbf0d987b21bf8cb", Ik = "f769bcd751044604127672711c6d3441", Rand = "23553cbe9637a89d218ae64dae47bf35";
    private const string Impi = "001010000000001@ims.mnc001.mcc001.3gppnetwork.org";
    private const string Fqdn = "naf.m2msec.test";

    private static readonly string NafIdHex = Convert.ToHexStringLower([.. "naf.m2msec.test"u8, 0x01, 0x00, 0x01, 0x00, 0xA8]);

    /// <summary>S = FC ‖ P0 ‖ L0 ‖ P1 ‖ L1 ‖ P2 ‖ L2 ‖ P3 ‖ L3 (TS 33.220 Annex B.2.1), spelt out octet by octet.</summary>
    private static string Expected(byte[] p0)
    {
        var impi = System.Text.Encoding.UTF8.GetBytes(Impi);
        byte[] nafId = [.. System.Text.Encoding.UTF8.GetBytes(Fqdn), 0x01, 0x00, 0x01, 0x00, 0xA8];
        byte[] s =
        [
            0x01, // FC: NAF key derivation (Annex B.3)
            .. p0, 0x00, (byte)p0.Length,
            .. Convert.FromHexString(Rand), 0x00, 0x10,
            .. impi, 0x00, (byte)impi.Length,
            .. nafId, 0x00, (byte)nafId.Length,
        ];
        return Convert.ToHexStringLower(HMACSHA256.HashData(Convert.FromHexString(Ck + Ik), s));
    }

    private static Task<(int ExitCode, string Stdout, string Stderr)> Run(string command, params string[] extra) =>
        CliRunner.RunAsync(["kdf", command, "--ck", Ck, "--ik", Ik, "--rand", Rand, "--impi", Impi, "--naf-id", NafIdHex, .. extra]);

    [Fact]
    public async Task KsExtNaf_Json_IsKdfOfGbaMe_WithTheStringWrittenOutByHand()
    {
        var (code, stdout, stderr) = await Run("ks-ext-naf", "--json");
        Assert.True(code == 0, stderr);
        var root = JsonDocument.Parse(stdout).RootElement;
        Assert.Equal(["ks_ext_naf"], root.EnumerateObject().Select(p => p.Name));
        // P0 = "gba-me" = 67 62 61 2d 6d 65
        Assert.Equal(Expected([0x67, 0x62, 0x61, 0x2d, 0x6d, 0x65]), root.GetProperty("ks_ext_naf").GetString());
    }

    [Fact]
    public async Task KsIntNaf_Json_IsKdfOfGbaU_WithTheStringWrittenOutByHand_AndDiffersFromKsExtNaf()
    {
        var (code, stdout, stderr) = await Run("ks-int-naf", "--json");
        Assert.True(code == 0, stderr);
        var root = JsonDocument.Parse(stdout).RootElement;
        Assert.Equal(["ks_int_naf"], root.EnumerateObject().Select(p => p.Name));
        // P0 = "gba-u" = 67 62 61 2d 75
        var expected = Expected([0x67, 0x62, 0x61, 0x2d, 0x75]);
        Assert.Equal(expected, root.GetProperty("ks_int_naf").GetString());
        Assert.NotEqual(Expected([0x67, 0x62, 0x61, 0x2d, 0x6d, 0x65]), expected);
    }

    [Fact]
    public async Task KsExtNaf_SameAsKsNaf_PlainOutputNamesTheField()
    {
        var ext = await Run("ks-ext-naf");
        var me = await Run("ks-naf");
        Assert.Equal(0, ext.ExitCode);
        Assert.Contains("ks_ext_naf", ext.Stdout);
        Assert.Contains(Expected([0x67, 0x62, 0x61, 0x2d, 0x6d, 0x65]), ext.Stdout);
        Assert.Contains(Expected([0x67, 0x62, 0x61, 0x2d, 0x6d, 0x65]), me.Stdout);
    }

    [Theory]
    [InlineData("ks-ext-naf")]
    [InlineData("ks-int-naf")]
    public async Task NafIdWithoutProtocolId_Exits2_NamingTheOption(string command)
    {
        var (code, stdout, stderr) = await CliRunner.RunAsync("kdf", command, "--ck", Ck, "--ik", Ik, "--rand", Rand, "--impi", Impi, "--naf-id", "0102030405");
        Assert.Equal(2, code);
        Assert.Equal("", stdout);
        Assert.StartsWith("--naf-id: expected 12 to 2048 hex digits, got 10", stderr);
    }

    [Fact]
    public async Task MissingIk_Exits2_NamingIt()
    {
        var (code, _, stderr) = await CliRunner.RunAsync("kdf", "ks-int-naf", "--ck", Ck, "--rand", Rand, "--impi", Impi, "--naf-id", NafIdHex);
        Assert.Equal(2, code);
        Assert.StartsWith("--ik", stderr);
        Assert.DoesNotContain(Ck, stderr);
    }
}
