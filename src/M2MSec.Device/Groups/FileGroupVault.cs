using System.Text.Json;
using M2MSec.Nas.Group;

namespace M2MSec.Device.Groups;

/// <summary>
/// A UICC device's group secrets in the ME's storage (a file, 0600, replaced atomically), as the ME keeps its stored EPS NAS security
/// context (TS 24.301 §5.4.2.1: the ME, not the USIM, holds K_ASME's NAS context for E-UTRAN). Also the in-memory vault of tests
/// (<paramref name="path"/> null).
/// </summary>
public sealed class FileGroupVault(string? path = null) : IGroupVault
{
    private sealed record Stored(string? MemberKey, Dictionary<string, string> Groups);

    private readonly Lock _lock = new();
    private Stored? _cache;

    public byte[]? MemberKey
    {
        get
        {
            lock (_lock)
                return Load().MemberKey is { } k ? Convert.FromHexString(k) : null;
        }
    }

    public void SetMemberKey(ReadOnlySpan<byte> memberKey)
    {
        lock (_lock)
            Write(Load() with { MemberKey = Convert.ToHexStringLower(memberKey) });
    }

    public GroupMemberState? Find(string groupId)
    {
        lock (_lock)
            return Load().Groups.TryGetValue(groupId, out var s) ? GroupStateCodec.Decode(groupId, Convert.FromHexString(s)) : null;
    }

    public void Save(GroupMemberState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        if (!ExternalGroupId.IsValid(state.GroupId))
            throw new ArgumentException("not a group id", nameof(state));
        lock (_lock)
        {
            var s = Load();
            Write(s with { Groups = new Dictionary<string, string>(s.Groups, StringComparer.Ordinal) { [state.GroupId] = Convert.ToHexStringLower(GroupStateCodec.Encode(state)) } });
        }
    }

    private Stored Load()
    {
        if (_cache is not null)
            return _cache;
        _cache = path is not null && File.Exists(path)
            ? JsonSerializer.Deserialize<Stored>(File.ReadAllBytes(path)) ?? throw new InvalidDataException($"{path}: empty group state")
            : new Stored(null, new Dictionary<string, string>(StringComparer.Ordinal));
        return _cache;
    }

    private void Write(Stored s)
    {
        if (path is not null)
        {
            var temporary = path + ".tmp";
            File.WriteAllBytes(temporary, JsonSerializer.SerializeToUtf8Bytes(s));
            if (!OperatingSystem.IsWindows())
                File.SetUnixFileMode(temporary, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            File.Move(temporary, path, overwrite: true);
        }
        _cache = s;
    }
}
