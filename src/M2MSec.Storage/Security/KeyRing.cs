using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace M2MSec.Storage.Security;

/// <summary>
/// The key-encryption keys (KEKs) of a deployment: a JSON key-ring file holding 256-bit AES keys
/// by id, one of them active. New secrets are wrapped under the active key; older ones stay
/// readable while any key that wrapped them is in the ring. The file lives outside every data
/// directory (`--kek-file` or M2MSEC_KEK_FILE) and is written with mode 0600. Instances that
/// meet an unknown key id reload the file, so a rotation reaches running services.
/// </summary>
public sealed class KeyRing
{
    public const string EnvironmentVariable = "M2MSEC_KEK_FILE";
    private const int KeySize = 32;

    private readonly Lock _lock = new();
    private Dictionary<string, byte[]> _keys;
    private string _active;

    private KeyRing(string? path, Dictionary<string, byte[]> keys, string active)
    {
        Path = path;
        _keys = keys;
        _active = active;
    }

    /// <summary>The file the ring came from; null for an in-memory ring (tests).</summary>
    public string? Path { get; }

    public string ActiveKeyId
    {
        get
        {
            lock (_lock)
                return _active;
        }
    }

    public IReadOnlyCollection<string> KeyIds
    {
        get
        {
            lock (_lock)
                return [.. _keys.Keys];
        }
    }

    /// <summary>A ring that exists only in memory, with one fresh key.</summary>
    public static KeyRing CreateEphemeral()
    {
        var id = NewKeyId();
        return new KeyRing(null, new() { [id] = RandomNumberGenerator.GetBytes(KeySize) }, id);
    }

    /// <summary>Loads the ring at <paramref name="path"/>, or creates it with one key when <paramref name="createIfMissing"/>.</summary>
    public static KeyRing Open(string path, bool createIfMissing = false)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        path = System.IO.Path.GetFullPath(path);
        if (!File.Exists(path))
        {
            if (!createIfMissing)
                throw new StoreException($"key-encryption key file {path} does not exist (create it with `m2msec kek new --kek-file {path}`)");
            var id = NewKeyId();
            var ring = new KeyRing(path, new() { [id] = RandomNumberGenerator.GetBytes(KeySize) }, id);
            ring.Save();
            return ring;
        }
        var (keys, active) = Read(path);
        return new KeyRing(path, keys, active);
    }

    /// <summary>
    /// Finds the key-ring path: the option, else M2MSEC_KEK_FILE. Refuses a path inside
    /// <paramref name="dataDirectory"/> — the key must not sit beside the data it protects.
    /// </summary>
    public static string ResolvePath(string? option, string dataDirectory)
    {
        var path = option ?? Environment.GetEnvironmentVariable(EnvironmentVariable);
        if (string.IsNullOrEmpty(path))
            throw new StoreException($"--kek-file: required (or set {EnvironmentVariable}): the key-encryption key ring for secrets at rest");
        var full = System.IO.Path.GetFullPath(path);
        var data = System.IO.Path.GetFullPath(dataDirectory).TrimEnd(System.IO.Path.DirectorySeparatorChar) + System.IO.Path.DirectorySeparatorChar;
        if (full.StartsWith(data, StringComparison.Ordinal))
            throw new StoreException($"--kek-file: {full} is inside the data directory {data}; keep the key-encryption key elsewhere");
        return full;
    }

    /// <summary>Adds a fresh key and makes it active (the first step of a rotation).</summary>
    public string AddKey()
    {
        var id = NewKeyId();
        lock (_lock)
        {
            _keys = new Dictionary<string, byte[]>(_keys) { [id] = RandomNumberGenerator.GetBytes(KeySize) };
            _active = id;
            Save();
        }
        return id;
    }

    /// <summary>Removes a key that no secret uses any more (the last step of a rotation).</summary>
    public void RemoveKey(string id)
    {
        lock (_lock)
        {
            if (id == _active)
                throw new InvalidOperationException("The active key cannot be removed; add a new key first.");
            if (!_keys.ContainsKey(id))
                throw new KeyNotFoundException($"No key {id} in the ring.");
            var keys = new Dictionary<string, byte[]>(_keys);
            CryptographicOperations.ZeroMemory(keys[id]);
            keys.Remove(id);
            _keys = keys;
            Save();
        }
    }

    internal byte[] ActiveKey(out string id)
    {
        lock (_lock)
        {
            id = _active;
            return _keys[_active];
        }
    }

    internal bool TryGetKey(string id, out byte[] key)
    {
        lock (_lock)
        {
            if (_keys.TryGetValue(id, out key!))
                return true;
        }
        if (Path is null || !File.Exists(Path))
            return false;
        // Another instance may have rotated: re-read the file once.
        var (keys, active) = Read(Path);
        lock (_lock)
        {
            _keys = keys;
            _active = active;
            return _keys.TryGetValue(id, out key!);
        }
    }

    private void Save()
    {
        if (Path is null)
            return;
        var file = new KeyRingFile(_active, [.. _keys.Select(k => new KeyEntry(k.Key, Convert.ToBase64String(k.Value)))]);
        var directory = System.IO.Path.GetDirectoryName(Path)!;
        Directory.CreateDirectory(directory);
        var temp = System.IO.Path.Combine(directory, $".{System.IO.Path.GetFileName(Path)}.{Environment.ProcessId}.tmp");
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        using (var stream = new FileStream(temp, options))
        {
            JsonSerializer.Serialize(stream, file, KeyRingJson.Default.KeyRingFile);
            stream.Flush(flushToDisk: true);
        }
        File.Move(temp, Path, overwrite: true);
    }

    private static (Dictionary<string, byte[]> Keys, string Active) Read(string path)
    {
        KeyRingFile? file;
        try
        {
            file = JsonSerializer.Deserialize(File.ReadAllBytes(path), KeyRingJson.Default.KeyRingFile);
        }
        catch (JsonException)
        {
            throw new StoreException($"key-encryption key file {path} is not a valid key ring (not its JSON)");
        }
        if (file?.Keys is null || file.Keys.Count == 0 || string.IsNullOrEmpty(file.Active))
            throw new StoreException($"key-encryption key file {path} holds no keys");
        var keys = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        foreach (var k in file.Keys)
        {
            byte[] bytes;
            try
            {
                bytes = Convert.FromBase64String(k.Key ?? "");
            }
            catch (FormatException)
            {
                throw new StoreException($"key-encryption key file {path}: key {k.Id} is not base64");
            }
            if (bytes.Length != KeySize || string.IsNullOrEmpty(k.Id))
                throw new StoreException($"key-encryption key file {path}: key {k.Id} must be {KeySize} octets with an id");
            keys[k.Id] = bytes;
        }
        if (!keys.ContainsKey(file.Active))
            throw new StoreException($"key-encryption key file {path}: the active key {file.Active} is not in the ring");
        return (keys, file.Active);
    }

    private static string NewKeyId() => "kek-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6));

    internal sealed record KeyRingFile(string Active, List<KeyEntry> Keys);

    internal sealed record KeyEntry(string Id, string? Key);
}

[JsonSourceGenerationOptions(WriteIndented = true, PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(KeyRing.KeyRingFile))]
internal sealed partial class KeyRingJson : JsonSerializerContext;
