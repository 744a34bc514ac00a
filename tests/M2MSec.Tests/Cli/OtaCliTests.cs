using System.Text.Json;
using M2MSec.Tests.Support;

namespace M2MSec.Tests.Cli;

/// <summary>`m2msec ota …`: exact, deterministic output users debug real cards with.</summary>
public sealed class OtaCliTests
{
    /// <summary>The value of a "name  value" line of a command's text output.</summary>
    internal static string Field(string text, string name) =>
        text.Split('\n').Select(l => l.TrimEnd('\r')).Single(l => l.StartsWith(name + " ", StringComparison.Ordinal))[name.Length..].Trim();

    private const string KicKey = "200102030405060708090a0b0c0d0e0f";
    private const string KidKey = "201102030405060708090a0b0c0d0e0f";
    private static readonly string[] Keys = ["--kic", "22", "--kid", "22", "--kic-key", KicKey, "--kid-key", KidKey];

    [Fact]
    public async Task Wrap_PrintsThePacketOfTheIndependentVector_AndJsonHasTheContractFields()
    {
        string[] args = ["ota", "wrap", "--spi", "0619", .. Keys, "--tar", "b00011", "--cntr", "0000000000", "--data", "00a40004023f00"];
        var plain = await CliRunner.RunAsync(args);
        Assert.Equal(0, plain.ExitCode);
        Assert.Equal("00281506192222b00011e87cceebb2d93083011ce294f93fc4d8de80da1abae8c37ca3e72ec4432e5058", Field(plain.Stdout, "packet"));

        var json = await CliRunner.RunAsync([.. args, "--json", "--originator", "12345678", "--timestamp", "22705200000000"]);
        var root = JsonDocument.Parse(json.Stdout).RootElement;
        Assert.Equal(["packet", "sms_ud", "tpdus"], root.EnumerateObject().Select(p => p.Name));
        Assert.Equal("027000" + Field(plain.Stdout, "packet"), root.GetProperty("sms_ud").GetString());
        var tpdu = root.GetProperty("tpdus").EnumerateArray().Single().GetString()!;
        Assert.StartsWith("44088121436587" + "7ff6" + "22705200000000", tpdu);
        // Deterministic: the same arguments print the same bytes.
        Assert.Equal(json.Stdout, (await CliRunner.RunAsync([.. args, "--json", "--originator", "12345678", "--timestamp", "22705200000000"])).Stdout);
    }

    [Fact]
    public async Task Wrap_LongData_GivesConcatenatedTpdus()
    {
        var data = string.Concat(Enumerable.Repeat("00d6000010", 60));
        var json = await CliRunner.RunAsync(["ota", "wrap", "--spi", "1621", .. Keys, "--tar", "b00011", "--cntr", "0000000007", "--data", data, "--concat-ref", "9", "--json"]);
        Assert.Equal(0, json.ExitCode);
        Assert.Equal(3, JsonDocument.Parse(json.Stdout).RootElement.GetProperty("tpdus").GetArrayLength());
    }

    [Fact]
    public async Task UnwrapPor_OfTheIndependentVector_PrintsStatusCntrData()
    {
        const string ud = "027100002412b00011ebc6b497e2cad7aedf36ace0e3a29b38853f0fe9ccde81913be5702b73abce1f";
        var r = await CliRunner.RunAsync(["ota", "unwrap-por", "--spi", "0619", .. Keys, "--ud", ud, "--expect-tar", "b00011", "--json"]);
        Assert.Equal(0, r.ExitCode);
        var root = JsonDocument.Parse(r.Stdout).RootElement;
        Assert.Equal("00", root.GetProperty("status").GetString());
        Assert.Equal("0000000000", root.GetProperty("cntr").GetString());
        Assert.Equal("016132", root.GetProperty("data").GetString());

        var tar = await CliRunner.RunAsync(["ota", "unwrap-por", "--spi", "0619", .. Keys, "--ud", ud, "--expect-tar", "b00012"]);
        Assert.Equal((1, "tar mismatch"), (tar.ExitCode, tar.Stderr.Trim()));
        var cc = await CliRunner.RunAsync(["ota", "unwrap-por", "--spi", "0619", .. Keys, "--ud", ud[..^2] + "00"]);
        Assert.Equal((1, "cc mismatch"), (cc.ExitCode, cc.Stderr.Trim()));
    }

    [Fact]
    public async Task WrapPor_ThenUnwrapPor_ReportsTheStatusEvenIfNotOk_Exit0()
    {
        var por = await CliRunner.RunAsync(["ota", "wrap-por", "--spi", "1621", .. Keys, "--tar", "b00011", "--cntr", "0000000009", "--status", "02"]);
        Assert.Equal(0, por.ExitCode);
        var back = await CliRunner.RunAsync(["ota", "unwrap-por", "--spi", "1621", .. Keys, "--ud", Field(por.Stdout, "sms_ud"), "--expect-cntr", "0000000009", "--json"]);
        Assert.Equal(0, back.ExitCode);
        Assert.Equal("02", JsonDocument.Parse(back.Stdout).RootElement.GetProperty("status").GetString());
        Assert.Equal("counter-low", JsonDocument.Parse(back.Stdout).RootElement.GetProperty("status_name").GetString());
    }

    [Fact]
    public async Task UnwrapCommand_OpensWhatWrapBuilt_AndRefusesATamperedOne()
    {
        var wrapped = (await CliRunner.RunAsync(["ota", "wrap", "--spi", "1621", .. Keys, "--tar", "b00011", "--cntr", "0000000005", "--data", "80e60c00"])).Stdout;
        wrapped = Field(wrapped, "packet");
        var opened = await CliRunner.RunAsync(["ota", "unwrap-command", "--kic-key", KicKey, "--kid-key", KidKey, "--packet", wrapped, "--json"]);
        Assert.Equal(0, opened.ExitCode);
        var root = JsonDocument.Parse(opened.Stdout).RootElement;
        Assert.Equal(("1621", "0000000005", "80e60c00"), (root.GetProperty("spi").GetString(), root.GetProperty("cntr").GetString(), root.GetProperty("data").GetString()));

        var tampered = wrapped[..^2] + (wrapped[^2..] == "00" ? "01" : "00");
        var refused = await CliRunner.RunAsync(["ota", "unwrap-command", "--kic-key", KicKey, "--kid-key", KidKey, "--packet", tampered]);
        Assert.Equal(1, refused.ExitCode);
        Assert.Contains("PoR status 01", refused.Stderr);
        var malformed = await CliRunner.RunAsync(["ota", "unwrap-command", "--packet", "0010ff"]);
        Assert.Equal(2, malformed.ExitCode); // no packet at all: a bad argument, not a refusal (issue 13, CLI bad input)
        Assert.StartsWith("--packet: CPL", malformed.Stderr);
    }

    [Fact]
    public async Task BadArguments_Exit2()
    {
        var shortKey = await CliRunner.RunAsync(["ota", "wrap", "--spi", "0619", "--kic", "22", "--kid", "22", "--kic-key", "0011", "--kid-key", KidKey, "--tar", "b00011", "--cntr", "0000000000", "--data", "00"]);
        Assert.Equal(2, shortKey.ExitCode);
        Assert.StartsWith("--kic-key: expected 16 to 64 hex digits, got 4", shortKey.Stderr);
        var desKeyForAes = await CliRunner.RunAsync(["ota", "wrap", "--spi", "0619", "--kic", "22", "--kid", "22", "--kic-key", "0011223344556677", "--kid-key", KidKey, "--tar", "b00011", "--cntr", "0000000000", "--data", "00"]);
        Assert.Equal(2, desKeyForAes.ExitCode);
        Assert.Equal(2, (await CliRunner.RunAsync(["ota", "wrap", "--spi", "06", .. Keys, "--tar", "b00011", "--cntr", "00", "--data", "00"])).ExitCode);
    }
}

public sealed class OtaCardCliTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("m2msec-ota-card-").FullName;

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_root, true);
    }

    [Fact]
    public async Task CardAdd_StoresTheKeySetEncrypted_AndRefusesADuplicate()
    {
        var data = Path.Combine(_root, "ota");
        var kek = TestKeyRing.CreateIn(_root);
        string[] args = ["ota", "card", "add", "--iccid", "8988211000000000601", "--tar", "b00001", "--kic", "12", "--kid", "12",
            "--kic-key", "000102030405060708090a0b0c0d0e0f", "--kid-key", "0f0e0d0c0b0a09080706050403020100", "--data", data, "--kek-file", kek];
        var first = await CliRunner.RunAsync(args);
        Assert.True(first.ExitCode == 0, first.Stderr);
        Assert.Contains("key set 1 registered", first.Stdout);
        var again = await CliRunner.RunAsync(args);
        Assert.Equal(2, again.ExitCode);
        Assert.Contains("already has key set 1", again.Stderr);

        await using var store = await new M2MSec.NetworkFunctions.Hosting.StoreOptions(data, kek).OpenAsync();
        var ks = await store.OtaKeySets.FindAsync("8988211000000000601", 1);
        Assert.Equal("b00001", ks!.Tar);
        Assert.Equal(Convert.FromHexString("000102030405060708090a0b0c0d0e0f"), ks.Kic);
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Assert.DoesNotContain("000102030405060708090a0b0c0d0e0f", Convert.ToHexStringLower(File.ReadAllBytes(Path.Combine(data, "m2msec.db"))));
        Assert.Equal(2, (await CliRunner.RunAsync(["ota", "card", "add", "--iccid", "89882", "--tar", "b00001", "--kic", "12", "--kid", "22",
            "--kic-key", "000102030405060708090a0b0c0d0e0f", "--kid-key", "0f0e0d0c0b0a09080706050403020100", "--data", data, "--kek-file", kek])).ExitCode);
    }

    /// <summary>`ota card add --imsi`: the key set, the PSK and the ICCID–IMSI link together; a bad IMSI is exit 2 naming it, nothing added.</summary>
    [Fact]
    public async Task CardAdd_WithImsi_LinksTheCard_BadImsiExit2AddsNothing()
    {
        var data = Path.Combine(_root, "ota");
        var kek = TestKeyRing.CreateIn(_root);
        string[] card(string iccid, string imsi, string? identity = null) => ["ota", "card", "add", "--iccid", iccid, "--tar", "b00001", "--kic", "12", "--kid", "12",
            "--kic-key", "000102030405060708090a0b0c0d0e0f", "--kid-key", "0f0e0d0c0b0a09080706050403020100", "--psk-identity", identity ?? "card-" + iccid,
            "--psk", "00112233445566778899aabbccddeeff", "--imsi", imsi, "--data", data, "--kek-file", kek, "--json"];
        var added = await CliRunner.RunAsync(card("8988211000000000701", "001010000000701"));
        Assert.True(added.ExitCode == 0, added.Stderr);
        Assert.Equal("001010000000701", System.Text.Json.JsonDocument.Parse(added.Stdout).RootElement.GetProperty("imsi").GetString());
        foreach (var bad in new[] { "00101", "0010100000007019", "00101000000070x" })
        {
            var refused = await CliRunner.RunAsync(card("8988211000000000702", bad));
            Assert.Equal(2, refused.ExitCode);
            Assert.Contains("--imsi", refused.Stderr, StringComparison.Ordinal);
        }
        // The PSK identity taken: refused, and neither the key set nor the link of the second card was written.
        var taken = await CliRunner.RunAsync(card("8988211000000000703", "001010000000703", "card-8988211000000000701"));
        Assert.Equal(2, taken.ExitCode);
        Assert.Contains("--psk-identity", taken.Stderr, StringComparison.Ordinal);

        await using var store = await new M2MSec.NetworkFunctions.Hosting.StoreOptions(data, kek).OpenAsync();
        Assert.Equal("001010000000701", (await store.Devices.FindAsync("8988211000000000701"))!.Pcid);
        Assert.Equal("8988211000000000701", (await store.OtaKeySets.FindPskAsync("card-8988211000000000701"))!.Value.Iccid);
        foreach (var none in new[] { "8988211000000000702", "8988211000000000703" })
        {
            Assert.Null(await store.Devices.FindAsync(none));
            Assert.Null(await store.OtaKeySets.FindAsync(none, 1));
        }
    }
}

public sealed class OtaCardPskCliTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("m2msec-ota-psk-").FullName;

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_root, true);
    }

    [Fact]
    public async Task CardAdd_WithAPskOnly_RegistersIt_AndHalfAKeySetIsABadArgument()
    {
        var data = Path.Combine(_root, "ota");
        var kek = TestKeyRing.CreateIn(_root);
        var ok = await CliRunner.RunAsync("ota", "card", "add", "--iccid", "8988211000000000801", "--psk-identity", "card-801", "--psk", "00112233445566778899aabbccddeeff", "--data", data, "--kek-file", kek);
        Assert.True(ok.ExitCode == 0, ok.Stderr);
        await using (var store = await new M2MSec.NetworkFunctions.Hosting.StoreOptions(data, kek).OpenAsync())
            Assert.Equal("8988211000000000801", (await store.OtaKeySets.FindPskAsync("card-801"))!.Value.Iccid);
        var half = await CliRunner.RunAsync("ota", "card", "add", "--iccid", "8988211000000000801", "--tar", "b00001", "--data", data, "--kek-file", kek);
        Assert.Equal(2, half.ExitCode);
        Assert.StartsWith("--tar/--kic/--kid/--kic-key/--kid-key: expected all five", half.Stderr);
        var onlyId = await CliRunner.RunAsync("ota", "card", "add", "--iccid", "8988211000000000801", "--psk-identity", "x", "--data", data, "--kek-file", kek);
        Assert.Equal(2, onlyId.ExitCode);
    }
}
