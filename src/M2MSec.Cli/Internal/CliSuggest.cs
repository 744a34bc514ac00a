using System.CommandLine;

namespace M2MSec.Cli.Internal;

/// <summary>The nearest option or subcommand to a mistyped word ("--dev-idd" → "--dev-id"), by edit distance.</summary>
internal static class CliSuggest
{
    public static string? Nearest(Command command, string typed)
    {
        var names = command.Options.Where(o => !o.Hidden).SelectMany(o => o.Aliases.Prepend(o.Name))
            .Concat(command.Subcommands.Where(c => !c.Hidden).Select(c => c.Name))
            .Concat(command.Parents.OfType<Command>().SelectMany(Ancestors).SelectMany(c => c.Options).Where(o => o.Recursive && !o.Hidden).Select(o => o.Name))
            .Distinct(StringComparer.Ordinal);
        // Close enough to be a typo: at most a third of the word changed (and at most 3 edits).
        var best = names.Select(n => (Name: n, Distance: Distance(typed, n))).OrderBy(c => c.Distance).ThenBy(c => c.Name, StringComparer.Ordinal).FirstOrDefault();
        return best.Name is not null && best.Distance <= Math.Min(3, Math.Max(1, typed.TrimStart('-').Length / 3)) ? best.Name : null;
    }

    private static IEnumerable<Command> Ancestors(Command command) =>
        command.Parents.OfType<Command>().SelectMany(Ancestors).Prepend(command);

    /// <summary>Edit distance with adjacent transpositions (optimal string alignment), case-insensitive.</summary>
    private static int Distance(string a, string b)
    {
        a = a.ToLowerInvariant();
        b = b.ToLowerInvariant();
        var d = new int[a.Length + 1, b.Length + 1];
        for (var i = 0; i <= a.Length; i++)
            d[i, 0] = i;
        for (var j = 0; j <= b.Length; j++)
            d[0, j] = j;
        for (var i = 1; i <= a.Length; i++)
        {
            for (var j = 1; j <= b.Length; j++)
            {
                d[i, j] = Math.Min(Math.Min(d[i, j - 1] + 1, d[i - 1, j] + 1), d[i - 1, j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1));
                if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
                    d[i, j] = Math.Min(d[i, j], d[i - 2, j - 2] + 1); // two letters swapped: one typo
            }
        }
        return d[a.Length, b.Length];
    }
}
