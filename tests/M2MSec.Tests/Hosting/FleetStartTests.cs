using M2MSec.NetworkFunctions.Hosting;

namespace M2MSec.Tests.Hosting;

/// <summary>
/// Issue 19 (docs/decisions/047): `serve all` and the demo start the functions at once, the OCSP function first, the OTA server after
/// its SMSC. A start that fails part-way stops the functions that did start and closes every store.
/// </summary>
public sealed class FleetStartTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("m2msec-fleetstart-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task EveryFunctionStarts_OcspFirst_EachAnswersOnItsOwnStore()
    {
        var store = new StoreOptions(Path.Combine(_dir, "fleet"), Path.Combine(_dir, "fleet.kek.json"));
        await using var fleet = await NetworkFunctionCatalog.StartAllAsync(store, createKeyRing: true, cancellationToken: TestContext.Current.CancellationToken);

        Assert.Equal(NetworkFunctionRole.Ocsp, fleet.Hosts[0].Name);
        // Every role up — the OTA server among them, whose factory refuses to make it without the SMSC's address: it started after the SMSC.
        string[] expected = [.. NetworkFunctionCatalog.Available, .. NetworkFunctionCatalog.SecondInstances.Select(i => i.Name)];
        Assert.Equal(expected.Order(StringComparer.Ordinal), fleet.Hosts.Select(h => h.Name).Order(StringComparer.Ordinal));
        Assert.Equal(fleet.Hosts.Count, fleet.Hosts.Select(h => h.Address.Port).Distinct().Count());
        foreach (var host in fleet.Hosts)
        {
            Assert.True(File.Exists(Path.Combine(store.DataDirectory, host.Name, M2MSec.Storage.Sqlite.SqliteStateStore.FileName)), host.Name);
            using var admin = fleet.AdminClient(host.Name, TimeSpan.FromSeconds(10));
            Assert.True((await admin.GetAsync("health", TestContext.Current.CancellationToken)).IsSuccessStatusCode, host.Name);
        }
    }

    [Fact]
    public async Task OneFunctionFailsToStart_TheOthersStop_NoStoreStaysOpen_PartialStartLeakThreat()
    {
        var store = new StoreOptions(Path.Combine(_dir, "fleet"), Path.Combine(_dir, "fleet.kek.json"));
        Directory.CreateDirectory(store.DataDirectory);
        // The second SHO's state directory is a file: its store cannot open, after the others have started or while they start.
        var blocker = Path.Combine(store.DataDirectory, NetworkFunctionCatalog.SecondInstances[^1].Name);
        await File.WriteAllTextAsync(blocker, "not a directory", TestContext.Current.CancellationToken);

        await Assert.ThrowsAnyAsync<IOException>(() => NetworkFunctionCatalog.StartAllAsync(store, createKeyRing: true, cancellationToken: TestContext.Current.CancellationToken));

        Assert.Empty(OpenFilesBelow(store.DataDirectory));
        File.Delete(blocker);
        await using var fleet = await NetworkFunctionCatalog.StartAllAsync(store, createKeyRing: true, cancellationToken: TestContext.Current.CancellationToken);
        Assert.Contains(fleet.Hosts, h => h.Name == NetworkFunctionCatalog.SecondInstances[^1].Name);
    }

    /// <summary>This process's open file descriptors under <paramref name="directory"/> (Linux: /proc/self/fd).</summary>
    private static List<string> OpenFilesBelow(string directory)
    {
        var prefix = Path.GetFullPath(directory) + Path.DirectorySeparatorChar;
        var open = new List<string>();
        foreach (var fd in Directory.EnumerateFileSystemEntries("/proc/self/fd"))
        {
            try
            {
                if (new FileInfo(fd).LinkTarget is { } target && target.StartsWith(prefix, StringComparison.Ordinal))
                    open.Add(target);
            }
            catch (IOException)
            {
                // Closed while we looked.
            }
        }
        return open;
    }
}
