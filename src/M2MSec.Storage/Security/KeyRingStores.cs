using System.Text.Json;
using System.Text.Json.Serialization;

namespace M2MSec.Storage.Security;

/// <summary>A store that opened a key ring, and the ids of the keys its secrets are wrapped under.</summary>
public sealed record KeyRingStoreUse(string Store, IReadOnlyList<string> KeyIds);

/// <summary>
/// What a key ring knows of the stores that opened it: a record beside the ring file (RING.stores.json, mode 0600),
/// updated whenever a store opens or re-wraps, so that `kek list` shows which stores still use a key and `kek retire`
/// can refuse one still in use. Kept apart from the keys, so that a lost update between two processes costs at most
/// a record, never a key. The record holds store identities and key ids only, never a key or a password.
/// </summary>
public static class KeyRingStores
{
    private static readonly Lock WriteLock = new();

    /// <summary>The record's file for the ring at <paramref name="ringPath"/> (kek.json → kek.stores.json).</summary>
    public static string PathFor(string ringPath)
    {
        var full = Path.GetFullPath(ringPath);
        var name = Path.GetFileName(full);
        var stem = name.EndsWith(".json", StringComparison.OrdinalIgnoreCase) ? name[..^".json".Length] : name;
        return Path.Combine(Path.GetDirectoryName(full)!, stem + ".stores.json");
    }

    /// <summary>The recorded stores, by store identity; empty when there is no record (or it is unreadable).</summary>
    public static IReadOnlyList<KeyRingStoreUse> Read(string ringPath)
    {
        var path = PathFor(ringPath);
        try
        {
            if (!File.Exists(path))
                return [];
            var file = JsonSerializer.Deserialize(File.ReadAllBytes(path), KeyRingStoresJson.Default.StoresFile);
            return [.. (file?.Stores ?? []).Where(s => !string.IsNullOrEmpty(s.Store))
                .Select(s => new KeyRingStoreUse(s.Store, [.. (s.KeyIds ?? []).Order(StringComparer.Ordinal)]))];
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or JsonException)
        {
            return [];
        }
    }

    /// <summary>Records that <paramref name="store"/> has secrets under <paramref name="keyIds"/> (best effort: a ring in a read-only place stays usable).</summary>
    public static void Record(string ringPath, string store, IEnumerable<string> keyIds)
    {
        ArgumentException.ThrowIfNullOrEmpty(store);
        var ids = keyIds.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        lock (WriteLock)
        {
            var stores = Read(ringPath).ToList();
            var i = stores.FindIndex(s => s.Store == store);
            if (i >= 0 && stores[i].KeyIds.SequenceEqual(ids))
                return;
            if (i >= 0)
                stores[i] = new KeyRingStoreUse(store, ids);
            else
                stores.Add(new KeyRingStoreUse(store, ids));
            Write(ringPath, stores);
        }
    }

    /// <summary>Forgets a store (e.g. one whose database was deleted).</summary>
    public static void Forget(string ringPath, string store)
    {
        lock (WriteLock)
        {
            var stores = Read(ringPath).ToList();
            if (stores.RemoveAll(s => s.Store == store) > 0)
                Write(ringPath, stores);
        }
    }

    private static void Write(string ringPath, List<KeyRingStoreUse> stores)
    {
        var path = PathFor(ringPath);
        var file = new StoresFile([.. stores.Select(s => new StoreEntry(s.Store, [.. s.KeyIds]))]);
        var temp = Path.Combine(Path.GetDirectoryName(path)!, $".{Path.GetFileName(path)}.{Environment.ProcessId}.{Environment.CurrentManagedThreadId}.tmp");
        try
        {
            var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
            if (!OperatingSystem.IsWindows())
                options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
            using (var stream = new FileStream(temp, options))
                JsonSerializer.Serialize(stream, file, KeyRingStoresJson.Default.StoresFile);
            File.Move(temp, path, overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Best effort: the record helps `kek retire` refuse; it must never stop a store from opening.
            try
            {
                File.Delete(temp);
            }
            catch (Exception d) when (d is IOException or UnauthorizedAccessException)
            {
            }
        }
    }

    internal sealed record StoresFile(List<StoreEntry> Stores);

    internal sealed record StoreEntry(string Store, List<string>? KeyIds);
}

[JsonSourceGenerationOptions(WriteIndented = true, PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(KeyRingStores.StoresFile))]
internal sealed partial class KeyRingStoresJson : JsonSerializerContext;
