using System.Collections.Concurrent;
using M2MSec.NetworkFunctions.Hosting;
using M2MSec.Storage;
using M2MSec.Storage.Audit;

namespace M2MSec.NetworkFunctions.Console;

/// <summary>
/// The fleet's stores as the console reads them — the same stores the CLI's listings read (`dm job show`, `pki list`, `audit show`,
/// `sho subscription list`): each role's SQLite store in its subdirectory of the fleet's data directory (opened on first use, kept
/// open), or the one PostgreSQL database every role shares. A role without a store yet is simply absent.
/// </summary>
public sealed class ConsoleStores(StoreOptions fleet) : IAsyncDisposable
{
    /// <summary>The instances whose stores the console reads, in the order pages list them.</summary>
    public static IReadOnlyList<string> Instances { get; } =
        ["ccif", "icf", "vno", "drf", "dpf", "sho", "sho-b", "pva", "hss", "hss-b", "dm", "ota", "smsc", "ocsp", "mtc-iwf", "bsf", "naf", ConsoleRole];

    /// <summary>The console's own data subdirectory: its audit log of administrators' actions.</summary>
    public const string ConsoleRole = "console";

    private readonly ConcurrentDictionary<string, Lazy<Task<IStateStore?>>> _open = new(StringComparer.Ordinal);

    public StoreOptions Fleet { get; } = fleet;

    private bool Shared => Fleet.InMemory || Fleet.PostgresConnectionString is { Length: > 0 };

    /// <summary>The store of <paramref name="instance"/>, or null when it has none (yet).</summary>
    public Task<IStateStore?> FindAsync(string instance) =>
        _open.GetOrAdd(Shared ? "" : instance, name => new Lazy<Task<IStateStore?>>(() => OpenAsync(name))).Value;

    private async Task<IStateStore?> OpenAsync(string instance)
    {
        var options = Shared ? Fleet : Fleet with { DataDirectory = Path.Combine(Fleet.DataDirectory, instance) };
        if (!Shared && instance != ConsoleRole && !File.Exists(Path.Combine(options.DataDirectory, "m2msec.db")))
        {
            _open.TryRemove(instance, out _); // it may appear later (a role started after the console)
            return null;
        }
        return await options.OpenAsync(createKeyRing: false).ConfigureAwait(false);
    }

    /// <summary>The instances that have a store now, with it.</summary>
    public async Task<IReadOnlyList<(string Instance, IStateStore Store)>> AllAsync()
    {
        var found = new List<(string, IStateStore)>();
        foreach (var name in Instances)
        {
            if (await FindAsync(name).ConfigureAwait(false) is { } s && (!Shared || found.Count == 0))
                found.Add((Shared ? "all" : name, s));
        }
        return found;
    }

    /// <summary>Every store's audit entries (oldest first per store), at most <paramref name="perStore"/> of the newest of each.</summary>
    public async Task<IReadOnlyList<(string Instance, AuditEntry Entry)>> AuditAsync(int perStore = 5000, CancellationToken ct = default)
    {
        var all = new List<(string, AuditEntry)>();
        foreach (var (name, store) in await AllAsync().ConfigureAwait(false))
        {
            var entries = new List<AuditEntry>();
            long after = 0;
            while (true)
            {
                var page = await store.Audit.ReadAsync(after, 1000, ct).ConfigureAwait(false);
                entries.AddRange(page);
                if (page.Count < 1000)
                    break;
                after = page[^1].Sequence;
                if (entries.Count > perStore * 4)
                    entries.RemoveRange(0, entries.Count - perStore);
            }
            all.AddRange(entries.Skip(Math.Max(0, entries.Count - perStore)).Select(e => (name, e)));
        }
        return all;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var lazy in _open.Values)
        {
            try
            {
                if (await lazy.Value.ConfigureAwait(false) is { } s)
                    await s.DisposeAsync().ConfigureAwait(false);
            }
            catch (StoreException)
            {
            }
        }
    }
}
