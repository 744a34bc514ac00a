namespace M2MSec.Pki.Authority;

/// <summary>The CRLReason names of RFC 5280 §5.3.1, as the CLI spells them, and their codes.</summary>
public static class RevocationReasons
{
    private static readonly (string Name, int Code)[] All =
    [
        ("unspecified", 0), ("keyCompromise", 1), ("cACompromise", 2), ("affiliationChanged", 3), ("superseded", 4),
        ("cessationOfOperation", 5), ("certificateHold", 6), ("privilegeWithdrawn", 9), ("aACompromise", 10),
    ];

    public static IReadOnlyList<string> Names { get; } = [.. All.Select(a => a.Name)];

    public static bool TryParse(string? name, out int code)
    {
        foreach (var (n, c) in All)
        {
            if (string.Equals(n, name, StringComparison.OrdinalIgnoreCase))
            {
                code = c;
                return true;
            }
        }
        code = -1;
        return false;
    }

    public static string Name(int code) => All.FirstOrDefault(a => a.Code == code).Name ?? code.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
