using System.Text.Json;
using M2MSec.Storage.Security;
using M2MSec.Tests.Support;
using Microsoft.Extensions.Time.Testing;

namespace M2MSec.Tests.Cli;

/// <summary>
/// Issue 14 item 1 (set-up that works as the README says): the per-user key ring and fuse directory; item 3 (the demo's
/// state can be inspected); item 9 (`kek list`, `kek retire` refusing a key in use, `audit show`). Every command runs
/// with a fresh temporary HOME of its own — never the real user's.
/// </summary>
public sealed class CliDefaultsTests : IDisposable
{
    private readonly string _home = Directory.CreateTempSubdirectory("m2msec-home-").FullName;
    private readonly string _work = Directory.CreateTempSubdirectory("m2msec-defaults-").FullName;

    public CliDefaultsTests()
    {
        Env = TestHome.Fresh(_home);
    }

    private Dictionary<string, string?> Env { get; }

    private string W(string name) => Path.Combine(_work, name);

    private string DefaultKek => Path.Combine(_home, ".config", "m2msec", "kek.json");

    private string DefaultFuses => Path.Combine(_home, ".local", "share", "m2msec", "fuses");

    private Task<(int ExitCode, string Stdout, string Stderr)> Run(params string[] args) => CliRunner.RunInHomeAsync(Env, args);

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_home, true);
        Directory.Delete(_work, true);
    }

    private static UnixFileMode Mode(string path) => OperatingSystem.IsWindows() ? File0600 : File.GetUnixFileMode(path) & (UnixFileMode)0x1FF;

    private const UnixFileMode Dir0700 = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
    private const UnixFileMode File0600 = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    /// <summary>Issue 14 item 1: `pki init --data D` and `device create` worked only with --kek-file/--fuse-dir ("required").</summary>
    [Fact]
    public async Task PkiInit_And_DeviceCreate_WithoutKekFileOrFuseDir_MakeThePerUserDefaults_0700_0600_WithOneLine_Item1()
    {
        var init = await Run("pki", "init", "--data", W("pki"));
        Assert.True(init.ExitCode == 0, init.Stderr);
        var line = Assert.Single(init.Stderr.Trim().Split('\n'));
        Assert.Contains(DefaultKek, line, StringComparison.Ordinal);
        Assert.Contains("back it up", line, StringComparison.Ordinal);
        Assert.SkipWhen(OperatingSystem.IsWindows(), "POSIX modes");
        Assert.Equal(File0600, Mode(DefaultKek));
        Assert.Equal(Dir0700, Mode(Path.GetDirectoryName(DefaultKek)!));
        Assert.Equal(Dir0700, Mode(Path.Combine(_home, ".config")));

        // Later commands find the same key ring, silently.
        var issued = await Run("pki", "issue", "--data", W("pki"), "--profile", "device", "--subject", "d1", "--out-cert", W("d1.pem"), "--out-key", W("d1.key"));
        Assert.True(issued.ExitCode == 0, issued.Stderr);
        Assert.Equal("", issued.Stderr);

        var created = await Run("device", "create", "--data", W("dev"), "--pcid", "001010123456789");
        Assert.True(created.ExitCode == 0, created.Stderr);
        line = Assert.Single(created.Stderr.Trim().Split('\n'));
        Assert.Contains(DefaultFuses, line, StringComparison.Ordinal);
        Assert.Contains("back it up", line, StringComparison.Ordinal);
        Assert.Equal(Dir0700, Mode(DefaultFuses));
        Assert.Equal(Dir0700, Mode(Path.GetDirectoryName(DefaultFuses)!));
        Assert.NotEmpty(Directory.GetFileSystemEntries(DefaultFuses));

        var shown = await Run("device", "show", "--data", W("dev"), "--json");
        Assert.True(shown.ExitCode == 0, shown.Stderr);
        Assert.Equal("", shown.Stderr);
        Assert.Equal("operational", JsonDocument.Parse(shown.Stdout).RootElement.GetProperty("state").GetString());
    }

    /// <summary>Issue 14 item 1: a named key ring that does not exist was silently created (a typo started a new, unbacked ring).</summary>
    [Fact]
    public async Task NamedKeyRingThatDoesNotExist_IsExit2_NamingKekFile_CreatesNothing_ExceptKekNew_Item1()
    {
        var missing = W("typo.kek.json");
        var byOption = await Run("pki", "init", "--data", W("pki"), "--kek-file", missing);
        Assert.Equal(2, byOption.ExitCode);
        Assert.StartsWith("--kek-file:", Assert.Single(byOption.Stderr.Trim().Split('\n')), StringComparison.Ordinal);

        Env["M2MSEC_KEK_FILE"] = missing;
        var byVariable = await Run("ota", "card", "add", "--iccid", "8988211000000000801", "--psk-identity", "c1", "--psk", "00112233445566778899aabbccddeeff", "--data", W("ota"));
        Assert.Equal(2, byVariable.ExitCode);
        Assert.StartsWith("--kek-file:", byVariable.Stderr, StringComparison.Ordinal);
        Assert.False(File.Exists(missing));
        Assert.False(Directory.Exists(W("pki")));
        Assert.False(Directory.Exists(W("ota")));
        Assert.False(File.Exists(DefaultKek));

        var created = await Run("kek", "new", "--kek-file", missing);
        Assert.True(created.ExitCode == 0, created.Stderr);
        Assert.Equal(File0600, Mode(missing));
        Assert.Equal(0, (await Run("pki", "init", "--data", W("pki"))).ExitCode); // now through M2MSEC_KEK_FILE
        Assert.False(File.Exists(DefaultKek));
    }

    /// <summary>Issue 14 item 1: M2MSEC_KEK_FILE and M2MSEC_FUSE_DIR override the per-user defaults, which apply without them.</summary>
    [Fact]
    public async Task EnvironmentVariables_OverrideThePerUserDefaults_Item1()
    {
        var ring = TestKeyRing.CreateIn(_work, "ops.kek.json");
        Env["M2MSEC_KEK_FILE"] = ring;
        Env["M2MSEC_FUSE_DIR"] = W("fuses");
        Assert.Equal(0, (await Run("pki", "init", "--data", W("pki"))).ExitCode);
        var created = await Run("device", "create", "--data", W("dev"), "--pcid", "001010123456789");
        Assert.True(created.ExitCode == 0, created.Stderr);
        Assert.Equal("", created.Stderr);
        Assert.NotEmpty(Directory.GetFileSystemEntries(W("fuses")));
        Assert.False(File.Exists(DefaultKek));
        Assert.False(Directory.Exists(DefaultFuses));

        // The store opened under the named ring; without the variable the default ring is another one and refuses it.
        Env["M2MSEC_KEK_FILE"] = null;
        Env["M2MSEC_FUSE_DIR"] = null;
        var elsewhere = await Run("device", "create", "--data", W("dev2"), "--pcid", "001010123456780");
        Assert.True(elsewhere.ExitCode == 0, elsewhere.Stderr);
        Assert.NotEmpty(Directory.GetFileSystemEntries(DefaultFuses));
        Assert.Equal(2, (await Run("device", "show", "--data", W("dev"))).ExitCode); // its fuse is in W("fuses")
        Assert.Equal(0, (await Run("device", "show", "--data", W("dev"), "--fuse-dir", W("fuses"))).ExitCode);
    }

    /// <summary>
    /// Issue 14 item 3: after the demo, `device show` said "no fuse for TRE …" and the key ring was gone. The demo now
    /// keeps both where the other commands look by default, and prints the commands that inspect its state.
    /// </summary>
    [Fact]
    public async Task Demo_LeavesItsStateWhereShowCommandsFindIt_AndPrintsThem_Item3()
    {
        var data = W("demo");
        var demo = await Run("demo", "--devices", "3", "--data", data);
        Assert.True(demo.ExitCode == 0, demo.Stdout + demo.Stderr);
        var lines = demo.Stdout.Split('\n').Select(l => l.Trim()).Where(l => l.StartsWith("m2msec ", StringComparison.Ordinal)).ToList();
        Assert.Contains(lines, l => l.StartsWith($"m2msec device show --data {Path.Combine(data, "devices")}", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith($"m2msec dm job show --data {Path.Combine(data, "dm")} --dev-id ", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith($"m2msec audit show --data {Path.Combine(data, "hss")}", StringComparison.Ordinal));
        Assert.Equal(3, lines.Count);
        foreach (var line in lines)
        {
            var result = await Run(line.Split(' ')[1..]);
            Assert.True(result.ExitCode == 0, $"{line}: {result.Stderr}");
            Assert.Equal("", result.Stderr);
            Assert.DoesNotContain("no DM jobs", result.Stdout, StringComparison.Ordinal);
        }
        Assert.True(File.Exists(DefaultKek));
    }

    /// <summary>
    /// Issue 14 item 9: `kek retire` removed a key a store still used (then `ota card add` failed with "…does not open
    /// this database's secrets"). The ring records the stores that opened it; `kek list` shows them; retire refuses
    /// (exit 1, a refusal for safety) unless --force, and allows it once `store rewrap` moved the store on.
    /// </summary>
    [Fact]
    public async Task KekRetire_RefusesAKeyAKnownStoreStillUses_Exit1_UnlessForce_AndKekListShowsTheStores_Item9()
    {
        var ring = W("ring.kek.json");
        Assert.Equal(0, (await Run("kek", "new", "--kek-file", ring)).ExitCode);
        string[] store = ["--data", W("ota"), "--kek-file", ring];
        Assert.Equal(0, (await Run(["ota", "card", "add", "--iccid", "8988211000000000801", "--psk-identity", "c1", "--psk", "00112233445566778899aabbccddeeff", .. store])).ExitCode);
        var old = KeyRing.Open(ring).ActiveKeyId;
        Assert.Equal(0, (await Run("kek", "rotate", "--kek-file", ring)).ExitCode);

        var list = await Run("kek", "list", "--kek-file", ring, "--json");
        Assert.True(list.ExitCode == 0, list.Stderr);
        var json = JsonDocument.Parse(list.Stdout).RootElement;
        var dbName = $"sqlite:{Path.Combine(W("ota"), "m2msec.db")}";
        var oldKey = json.GetProperty("keys").EnumerateArray().Single(k => k.GetProperty("key_id").GetString() == old);
        Assert.False(oldKey.GetProperty("active").GetBoolean());
        Assert.Equal([dbName], oldKey.GetProperty("stores").EnumerateArray().Select(s => s.GetString()));
        Assert.NotEqual(old, json.GetProperty("active_key_id").GetString());
        Assert.Contains(old, (await Run("kek", "list", "--kek-file", ring)).Stdout, StringComparison.Ordinal);

        var refused = await Run("kek", "retire", "--kek-file", ring, "--key-id", old);
        Assert.Equal(1, refused.ExitCode);
        Assert.StartsWith("--key-id:", refused.Stderr, StringComparison.Ordinal);
        Assert.Contains(dbName, refused.Stderr, StringComparison.Ordinal);
        Assert.Contains(old, KeyRing.Open(ring).KeyIds);
        Assert.Equal(0, (await Run(["ota", "card", "add", "--iccid", "8988211000000000802", "--psk-identity", "c2", "--psk", "00112233445566778899aabbccddeeff", .. store])).ExitCode);

        // After the rewrap the store no longer uses the old key: retired without --force.
        Assert.Equal(0, (await Run(["store", "rewrap", .. store])).ExitCode);
        Assert.Equal(0, (await Run("kek", "retire", "--kek-file", ring, "--key-id", old)).ExitCode);

        // --force retires a key still in use, as asked.
        var second = KeyRing.Open(ring).ActiveKeyId;
        Assert.Equal(0, (await Run("kek", "rotate", "--kek-file", ring)).ExitCode);
        Assert.Equal(1, (await Run("kek", "retire", "--kek-file", ring, "--key-id", second)).ExitCode);
        Assert.Equal(0, (await Run("kek", "retire", "--kek-file", ring, "--key-id", second, "--force")).ExitCode);
        Assert.DoesNotContain(second, KeyRing.Open(ring).KeyIds);
    }

    /// <summary>Issue 14 item 9: no command read the append-only audit log; `audit show` filters by --since and --action, JSON in snake_case.</summary>
    [Fact]
    public async Task AuditShow_FiltersBySinceAndAction_JsonSnakeCase_Item9()
    {
        var ring = TestKeyRing.CreateIn(_work);
        var data = W("dm");
        var earlier = new FakeTimeProvider(DateTimeOffset.UtcNow.AddHours(-3));
        await using (var state = await M2MSec.Storage.Sqlite.SqliteStateStore.OpenAsync(data, KeyRing.Open(ring), earlier, cancellationToken: TestContext.Current.CancellationToken))
            await state.Audit.AppendAsync("ops", "old.thing", "s0", "three hours ago", TestContext.Current.CancellationToken);
        string[] store = ["--data", data, "--kek-file", ring];
        Assert.Equal(0, (await Run(["dm", "account", "add", "--dev-id", "d1", "--server-id", "s", "--client-user", "u",
            "--client-password", "12345678", "--server-password", "12345678", .. store])).ExitCode);
        Assert.Equal(0, (await Run(["dm", "job", "add", "--dev-id", "d1", "--get", "./DevInfo/Mod", .. store])).ExitCode);

        var all = await Run(["audit", "show", "--json", .. store]);
        Assert.True(all.ExitCode == 0, all.Stderr);
        var entries = JsonDocument.Parse(all.Stdout).RootElement.GetProperty("entries").EnumerateArray().ToList();
        Assert.Equal(["old.thing", "dm.account.add", "dm.job.add"], entries.Select(e => e.GetProperty("action").GetString()));
        foreach (var property in entries.SelectMany(e => e.EnumerateObject()))
            Assert.Matches("^[a-z_]+$", property.Name);
        Assert.Equal(["sequence", "at", "actor", "action", "subject", "detail"], entries[0].EnumerateObject().Select(p => p.Name));

        var recent = JsonDocument.Parse((await Run(["audit", "show", "--json", "--since", "1h", .. store])).Stdout).RootElement.GetProperty("entries");
        Assert.Equal(["dm.account.add", "dm.job.add"], recent.EnumerateArray().Select(e => e.GetProperty("action").GetString()));
        var since = DateTimeOffset.UtcNow.AddHours(-4).ToString("yyyy-MM-ddTHH:mm:ssZ", System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal(3, JsonDocument.Parse((await Run(["audit", "show", "--json", "--since", since, .. store])).Stdout).RootElement.GetProperty("entries").GetArrayLength());

        var jobs = await Run(["audit", "show", "--action", "dm.job.add", .. store]);
        Assert.Equal(0, jobs.ExitCode);
        Assert.Single(jobs.Stdout.Trim().Split('\n'));
        Assert.Contains("dm.job.add", jobs.Stdout, StringComparison.Ordinal);
        Assert.Equal(2, (await Run(["audit", "show", "--action", "dm.*", .. store])).Stdout.Trim().Split('\n').Length);

        var bad = await Run(["audit", "show", "--since", "yesterday", .. store]);
        Assert.Equal(2, bad.ExitCode);
        Assert.StartsWith("--since:", bad.Stderr, StringComparison.Ordinal);
        var none = await Run("audit", "show", "--data", W("nothing"), "--kek-file", ring);
        Assert.Equal(2, none.ExitCode);
        Assert.StartsWith("--data:", none.Stderr, StringComparison.Ordinal);
        Assert.False(Directory.Exists(W("nothing")));
    }
}
