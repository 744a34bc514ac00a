namespace M2MSec.Nas.Group;

/// <summary>
/// The External Group Identifier (TS 23.003 §19.7.3, TS 23.682 §4.6): <c>local@domain</c>, where the domain identifies the network
/// that manages the group, so identifiers are unique across networks as long as each network creates groups only under its own
/// domain; the local part is unique in that domain. Checked here: local part 1–64 of <c>A-Z a-z 0-9 . _ -</c>, domain 1–190 octets of
/// LDH labels (1–63 each) separated by dots; the domain is case-insensitive and normalised to lowercase.
/// </summary>
public static class ExternalGroupId
{
    public const int MaxLength = 255;

    /// <summary>Normalises <paramref name="value"/> (domain lowercased) or returns false with the reason.</summary>
    public static bool TryNormalise(string? value, out string normalised, out string reason)
    {
        normalised = "";
        if (value is null || value.Length is 0 or > MaxLength)
        {
            reason = "expected local@domain (TS 23.003 §19.7.3), at most 255 characters";
            return false;
        }
        var at = value.IndexOf('@', StringComparison.Ordinal);
        if (at <= 0 || at != value.LastIndexOf('@') || at == value.Length - 1)
        {
            reason = "expected exactly one '@' between a local part and a domain (local@domain)";
            return false;
        }
        var local = value[..at];
        var domain = value[(at + 1)..];
        if (local.Length > 64 || !local.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-'))
        {
            reason = "the local part is 1 to 64 of A-Z a-z 0-9 . _ -";
            return false;
        }
        if (domain.Length > 190 || domain.Split('.').Any(l => l.Length is 0 or > 63 || l[0] == '-' || l[^1] == '-' || !l.All(c => char.IsAsciiLetterOrDigit(c) || c == '-')))
        {
            reason = "the domain is dot-separated labels of A-Z a-z 0-9 - (1 to 63 each, no leading or trailing '-')";
            return false;
        }
        normalised = $"{local}@{domain.ToLowerInvariant()}";
        reason = "";
        return true;
    }

    public static bool IsValid(string? value) => TryNormalise(value, out _, out _);
}
