using M2MSec.Tests.Support;

namespace M2MSec.Tests.Cli;

/// <summary>`m2msec kek …`, `m2msec store rewrap` and the store options of `serve`.</summary>
public sealed class StoreCliTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("m2msec-cli-store-").FullName;

    private string Kek => Path.Combine(_dir, "ring.kek.json");

    private string Data => Path.Combine(_dir, "hss");

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_dir, true);
    }

    [Fact]
    public async Task KekNew_Rotate_Rewrap_Retire_AsAnOperatorRunsThem()
    {
        var created = await CliRunner.RunAsync("kek", "new", "--kek-file", Kek);
        Assert.Equal(0, created.ExitCode);
        var again = await CliRunner.RunAsync("kek", "new", "--kek-file", Kek);
        Assert.Equal(2, again.ExitCode);
        Assert.Contains("refusing to overwrite", again.Stderr);

        var oldId = M2MSec.Storage.Security.KeyRing.Open(Kek).ActiveKeyId;
        await using (var store = await new M2MSec.NetworkFunctions.Hosting.StoreOptions(Data, Kek).OpenAsync())
            await store.Subscribers.AddAsync(new M2MSec.Storage.Hss.HssSubscriber("001010000000601", new byte[16], new byte[16], [0x80, 0]));

        Assert.Equal(0, (await CliRunner.RunAsync("kek", "rotate", "--kek-file", Kek)).ExitCode);
        var rewrap = await CliRunner.RunAsync("store", "rewrap", "--data", Data, "--kek-file", Kek);
        Assert.Equal(0, rewrap.ExitCode);
        Assert.Contains("re-wrapped 3 secrets", rewrap.Stdout); // K, OPc and the key probe
        Assert.Equal(0, (await CliRunner.RunAsync("kek", "retire", "--kek-file", Kek, "--key-id", oldId)).ExitCode);
        Assert.Contains("re-wrapped 0 secrets", (await CliRunner.RunAsync("store", "rewrap", "--data", Data, "--kek-file", Kek)).Stdout);

        var active = M2MSec.Storage.Security.KeyRing.Open(Kek).ActiveKeyId;
        var retireActive = await CliRunner.RunAsync("kek", "retire", "--kek-file", Kek, "--key-id", active);
        Assert.Equal(2, retireActive.ExitCode);
        Assert.DoesNotContain(File.ReadAllText(Kek), created.Stdout + rewrap.Stdout); // keys are never printed
    }

    [Fact]
    public async Task Serve_WithKekInsideDataDirectory_Exits2_NamingIt()
    {
        var (code, _, stderr) = await CliRunner.RunAsync("serve", "hss", "--data", Data, "--kek-file", Path.Combine(Data, "kek.json"));
        Assert.Equal(2, code);
        Assert.StartsWith("--kek-file:", stderr);
        Assert.Contains("inside the data directory", stderr);
    }

    [Fact]
    public async Task Serve_OnACorruptDatabase_Exits2_AndLeavesItAlone()
    {
        Directory.CreateDirectory(Data);
        var db = Path.Combine(Data, "m2msec.db");
        File.WriteAllText(db, "this is not a database, it is a shopping list");
        TestKeyRing.CreateIn(_dir, Path.GetFileName(Kek));
        var (code, _, stderr) = await CliRunner.RunAsync("serve", "hss", "--data", Data, "--kek-file", Kek);
        Assert.Equal(2, code);
        Assert.Contains("not a SQLite database", stderr);
        Assert.Equal("this is not a database, it is a shopping list", File.ReadAllText(db));
    }

    [Fact]
    public async Task StoreRewrap_WithoutKek_Exits2()
    {
        var (code, _, stderr) = await CliRunner.RunAsync("store", "rewrap", "--data", Data, "--kek-file", Path.Combine(_dir, "missing.kek.json"));
        Assert.Equal(2, code);
        Assert.Contains("does not exist", stderr);
    }
}
