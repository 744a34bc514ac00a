using System.Text.Json;
using M2MSec.Tests.Support;

namespace M2MSec.Tests.Cli;

/// <summary>
/// Issue 14 item 9 (see what is there): `pki list`, `dm account list`, `ota card list` — text and JSON, and no secret
/// in either (each secret's hex or text is searched for in the output).
/// </summary>
public sealed class CliListTests : IDisposable
{
    private const string KicKey = "3a0102030405060708090a0b0c0d0e0f";
    private const string KidKey = "3b1102030405060708090a0b0c0d0e0f";
    private const string Psk = "3c112233445566778899aabbccddeeff";
    private readonly string _dir = TestKeyRing.TempDirectory("m2msec-list-");

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string[] Store(string name) => ["--data", Path.Combine(_dir, name), "--kek-file", Path.Combine(_dir, "kek.json")];

    private static void Ok((int ExitCode, string Stdout, string Stderr) run) => Assert.True(run.ExitCode == 0, run.Stderr);

    [Fact]
    public async Task PkiList_ShowsSerialSubjectProfileNotAfterStatus_GoodAndRevoked_Item9()
    {
        Ok(await CliRunner.RunAsync(["pki", "init", .. Store("pki")]));
        string[] issue = ["--out-cert", Path.Combine(_dir, "a.pem"), "--out-key", Path.Combine(_dir, "a.key")];
        var dm = JsonDocument.Parse((await CliRunner.RunAsync(["pki", "issue", "--profile", "dm-server", "--subject", "dm.example", .. issue, .. Store("pki"), "--json"])).Stdout).RootElement;
        var dev = JsonDocument.Parse((await CliRunner.RunAsync(["pki", "issue", "--profile", "device", "--subject", "dev-1",
            "--out-cert", Path.Combine(_dir, "b.pem"), "--out-key", Path.Combine(_dir, "b.key"), .. Store("pki"), "--json"])).Stdout).RootElement;
        Ok(await CliRunner.RunAsync(["pki", "revoke", "--serial", dev.GetProperty("serial").GetString()!, "--reason", "superseded", .. Store("pki")]));

        var json = await CliRunner.RunAsync(["pki", "list", .. Store("pki"), "--json"]);
        Ok(json);
        var root = JsonDocument.Parse(json.Stdout).RootElement;
        Assert.Equal("operator", root.GetProperty("hierarchy").GetString());
        var certs = root.GetProperty("certificates").EnumerateArray().ToDictionary(c => c.GetProperty("serial").GetString()!);
        var good = certs[dm.GetProperty("serial").GetString()!];
        Assert.Equal(("dm-server", "good"), (good.GetProperty("profile").GetString(), good.GetProperty("status").GetString()));
        Assert.Contains("dm.example", good.GetProperty("subject").GetString(), StringComparison.Ordinal);
        Assert.Equal(dm.GetProperty("not_after").GetString(), good.GetProperty("not_after").GetString());
        var revoked = certs[dev.GetProperty("serial").GetString()!];
        Assert.Equal(("device", "revoked"), (revoked.GetProperty("profile").GetString(), revoked.GetProperty("status").GetString()));

        var text = await CliRunner.RunAsync(["pki", "list", .. Store("pki")]);
        Ok(text);
        Assert.StartsWith("serial", text.Stdout, StringComparison.Ordinal);
        Assert.Contains(text.Stdout.Split('\n'), l => l.StartsWith(dev.GetProperty("serial").GetString()!, StringComparison.Ordinal) && l.Contains(" revoked ", StringComparison.Ordinal));

        Assert.Equal(2, (await CliRunner.RunAsync(["pki", "list", "--name", "sho", .. Store("pki")])).ExitCode); // no such hierarchy here
    }

    [Fact]
    public async Task DmAccountList_TextAndJson_NeverAPassword_Item9()
    {
        Ok(await CliRunner.RunAsync(["dm", "account", "add", "--dev-id", "dev-b", "--server-id", "srv", "--client-user", "ub",
            "--client-password", "client-secret-b", "--server-password", "server-secret-b", "--client-auth", "hmac", "--server-auth", "hmac", .. Store("dm")]));
        Ok(await CliRunner.RunAsync(["dm", "account", "add", "--dev-id", "dev-a", "--server-id", "srv", "--client-user", "ua",
            "--client-password", "client-secret-a", "--server-password", "server-secret-a", .. Store("dm")]));

        var json = await CliRunner.RunAsync(["dm", "account", "list", .. Store("dm"), "--json"]);
        Ok(json);
        var accounts = JsonDocument.Parse(json.Stdout).RootElement.GetProperty("accounts").EnumerateArray().ToList();
        Assert.Equal(["dev-a", "dev-b"], accounts.Select(a => a.GetProperty("dev_id").GetString()));
        Assert.Equal(("ub", "hmac", "hmac"), (accounts[1].GetProperty("client_user").GetString(), accounts[1].GetProperty("client_auth").GetString(), accounts[1].GetProperty("server_auth").GetString()));
        var text = await CliRunner.RunAsync(["dm", "account", "list", .. Store("dm")]);
        Ok(text);
        Assert.Contains(text.Stdout.Split('\n'), l => l.StartsWith("dev-a ", StringComparison.Ordinal) && l.Contains("md5", StringComparison.Ordinal));
        foreach (var secret in new[] { "client-secret-a", "server-secret-a", "client-secret-b", "server-secret-b", "secret" })
            Assert.DoesNotContain(secret, json.Stdout + text.Stdout, StringComparison.OrdinalIgnoreCase);

        Assert.Equal(2, (await CliRunner.RunAsync(["dm", "account", "list", .. Store("nothing-here")])).ExitCode);
    }

    [Fact]
    public async Task OtaCardList_TextAndJson_NeverAKey_Item9()
    {
        Ok(await CliRunner.RunAsync(["ota", "card", "add", "--iccid", "8988211000000000802", "--tar", "b00001", "--kic", "12", "--kid", "12",
            "--kic-key", KicKey, "--kid-key", KidKey, .. Store("ota")]));
        Ok(await CliRunner.RunAsync(["ota", "card", "add", "--iccid", "8988211000000000801", "--psk-identity", "card-801", "--psk", Psk, .. Store("ota")]));

        var json = await CliRunner.RunAsync(["ota", "card", "list", .. Store("ota"), "--json"]);
        Ok(json);
        var cards = JsonDocument.Parse(json.Stdout).RootElement.GetProperty("cards").EnumerateArray().ToList();
        Assert.Equal(2, cards.Count);
        Assert.Equal(("8988211000000000801", "card-801"), (cards[0].GetProperty("iccid").GetString(), cards[0].GetProperty("psk_identity").GetString()));
        var set = cards[1];
        Assert.Equal((1, "12", "12", "b00001", "0000000000"), (set.GetProperty("key_version").GetInt32(), set.GetProperty("kic").GetString(),
            set.GetProperty("kid").GetString(), set.GetProperty("tar").GetString(), set.GetProperty("counter").GetString()));
        var text = await CliRunner.RunAsync(["ota", "card", "list", .. Store("ota")]);
        Ok(text);
        Assert.Contains(text.Stdout.Split('\n'), l => l.StartsWith("8988211000000000802 ", StringComparison.Ordinal) && l.Contains("b00001", StringComparison.Ordinal));
        foreach (var secret in new[] { KicKey, KidKey, Psk })
            Assert.DoesNotContain(secret, json.Stdout + text.Stdout, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task HssSubscriberAddShow_OnTheStore_NeverShowsKOrOpc_Item9()
    {
        // TS 35.208 test set 1.
        const string k = "465b5ce8b199b49faa5f0a2ee238a6bc", op = "cdc202d5123e20f62b6d676ac72cb318", opc = "cd63cb71954a9f4e48a5994e37a02baf";
        var added = await CliRunner.RunAsync(["hss", "subscriber", "add", "--imsi", "001010000000001", "--k", k, "--op", op, .. Store("hss"), "--json"]);
        Ok(added);
        Assert.Equal("imsi", JsonDocument.Parse(added.Stdout).RootElement.GetProperty("kind").GetString());
        Assert.Equal(2, (await CliRunner.RunAsync(["hss", "subscriber", "add", "--imsi", "001010000000001", "--k", k, "--opc", opc, .. Store("hss")])).ExitCode);

        var json = await CliRunner.RunAsync(["hss", "subscriber", "show", "--imsi", "001010000000001", .. Store("hss"), "--json"]);
        Ok(json);
        var root = JsonDocument.Parse(json.Stdout).RootElement;
        Assert.Equal(("001010000000001", "milenage", "8000"), (root.GetProperty("imsi").GetString(), root.GetProperty("algorithm").GetString(), root.GetProperty("amf").GetString()));
        var text = await CliRunner.RunAsync(["hss", "subscriber", "show", "--imsi", "001010000000001", .. Store("hss")]);
        Ok(text);
        Assert.Equal("milenage", OtaCliTests.Field(text.Stdout, "algorithm"));
        foreach (var secret in new[] { k, op, opc })
            Assert.DoesNotContain(secret, added.Stdout + json.Stdout + text.Stdout, StringComparison.OrdinalIgnoreCase);
        Assert.Equal(2, (await CliRunner.RunAsync(["hss", "subscriber", "show", "--imsi", "001010000000002", .. Store("hss")])).ExitCode);
    }
}
