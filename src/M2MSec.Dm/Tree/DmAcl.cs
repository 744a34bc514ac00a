using System.Diagnostics.CodeAnalysis;

namespace M2MSec.Dm.Tree;

/// <summary>The commands an ACL grants (OMA-TS-DM_TND-V1_2 §7.7.1).</summary>
public enum DmAclCommand
{
    Add,
    Delete,
    Exec,
    Get,
    Replace,
}

/// <summary>
/// A node ACL (OMA-TS-DM_TND-V1_2 §7.7.1): <c>Add=*&amp;Get=srv1+srv2&amp;Replace=srv1</c>. Entries are
/// command "=" server ids joined by '+'; '*' grants any server. The empty ACL means "inherit from the parent".
/// Repeated commands are merged; a '*' among ids collapses to '*'. <see cref="ToString"/> is canonical
/// (commands in Add, Delete, Exec, Get, Replace order, ids in first-seen order).
/// </summary>
public sealed class DmAcl : IEquatable<DmAcl>
{
    public const string Any = "*";

    /// <summary>Cap on ACL text we parse.</summary>
    public const int MaxLength = 4096;

    private readonly SortedDictionary<DmAclCommand, List<string>> _entries;

    private DmAcl(SortedDictionary<DmAclCommand, List<string>> entries) => _entries = entries;

    public static DmAcl Empty { get; } = new([]);

    /// <summary>The root's default ACL, "Add=*&amp;Get=*" (TND §7.7.1).</summary>
    public static DmAcl RootDefault { get; } = Parse("Add=*&Get=*");

    public bool IsEmpty => _entries.Count == 0;

    public static DmAcl Parse(string text) =>
        TryParse(text, out var acl) ? acl : throw new FormatException("malformed DM ACL");

    public static bool TryParse(string? text, [NotNullWhen(true)] out DmAcl? acl)
    {
        acl = null;
        if (text is null || text.Length > MaxLength)
        {
            return false;
        }

        var entries = new SortedDictionary<DmAclCommand, List<string>>();
        if (text.Length == 0)
        {
            acl = Empty;
            return true;
        }

        foreach (var entry in text.Split('&'))
        {
            var eq = entry.IndexOf('=', StringComparison.Ordinal);
            if (eq < 0 || !TryCommand(entry[..eq], out var command))
            {
                return false;
            }

            var ids = entry[(eq + 1)..].Split('+');
            if (!entries.TryGetValue(command, out var list))
            {
                entries[command] = list = [];
            }

            foreach (var id in ids)
            {
                if (!IsValidServerId(id) && id != Any)
                {
                    return false;
                }

                if (!list.Contains(id))
                {
                    list.Add(id);
                }
            }

            if (list.Contains(Any))
            {
                list.Clear();
                list.Add(Any);
            }
        }

        acl = new DmAcl(entries);
        return true;
    }

    /// <summary>A server id: non-empty printable ASCII without '&amp;', '+', '=', '*' or spaces.</summary>
    public static bool IsValidServerId(string? id) =>
        !string.IsNullOrEmpty(id) && id.Length <= 255 && id.All(c => c is > ' ' and < (char)0x7F and not ('&' or '+' or '=' or '*'));

    /// <summary>The ids granted <paramref name="command"/> ("*" for any); empty when not granted.</summary>
    public IReadOnlyList<string> ServersFor(DmAclCommand command) =>
        _entries.TryGetValue(command, out var list) ? list : [];

    public bool Allows(DmAclCommand command, string serverId) =>
        _entries.TryGetValue(command, out var list) && (list.Contains(Any) || list.Contains(serverId, StringComparer.Ordinal));

    /// <summary>A copy with <paramref name="command"/> granted to <paramref name="serverIds"/> (replacing that entry).</summary>
    public DmAcl With(DmAclCommand command, params string[] serverIds)
    {
        var copy = new SortedDictionary<DmAclCommand, List<string>>();
        foreach (var (c, l) in _entries)
        {
            copy[c] = [.. l];
        }

        copy.Remove(command);
        var acl = new DmAcl(copy).ToString();
        var entry = $"{command}={string.Join('+', serverIds)}";
        return Parse(acl.Length == 0 ? entry : acl + "&" + entry);
    }

    public override string ToString() =>
        string.Join('&', _entries.Select(e => $"{e.Key}={string.Join('+', e.Value)}"));

    public bool Equals(DmAcl? other) =>
        other is not null && _entries.Count == other._entries.Count
        && _entries.All(e => other._entries.TryGetValue(e.Key, out var l) && l.Count == e.Value.Count && !l.Except(e.Value, StringComparer.Ordinal).Any());

    public override bool Equals(object? obj) => Equals(obj as DmAcl);

    public override int GetHashCode() => HashCode.Combine(_entries.Count, string.Join(',', _entries.Keys));

    private static bool TryCommand(string name, out DmAclCommand command)
    {
        switch (name)
        {
            case "Add": command = DmAclCommand.Add; return true;
            case "Delete": command = DmAclCommand.Delete; return true;
            case "Exec": command = DmAclCommand.Exec; return true;
            case "Get": command = DmAclCommand.Get; return true;
            case "Replace": command = DmAclCommand.Replace; return true;
            default: command = default; return false;
        }
    }
}
