using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using M2MSec.Cli.Internal;
using M2MSec.Storage.Audit;

namespace M2MSec.Cli.Commands;

/// <summary>
/// `m2msec audit show --data DIR [--since T] [--action A] [--json]`: the store's append-only audit log (who did what to
/// which subject, when; never a secret), oldest first, read-only.
/// </summary>
internal static partial class AuditCommand
{
    private const int Page = 1000;

    public static Command Create()
    {
        var command = new Command("audit", "The append-only audit log of a store");
        var store = new StoreArgs();
        var since = CliArgs.Text("--since", "only entries at or after this time: ISO 8601 (2026-12-03T07:00:00Z) or a duration back from now (90s, 15m, 1h, 7d)", "an ISO 8601 time or a duration like 1h");
        var action = CliArgs.Text("--action", "only this action (e.g. sqn.resync); a trailing * matches a prefix (ota.*)", "an action name");
        var json = CliArgs.Flag("--json", "print one JSON object");
        var show = new Command("show", "Audit entries, oldest first") { since, action, json };
        store.AddTo(show);
        CliArgs.Required(show, store.Data);
        show.Validators.Add(r =>
        {
            if (r.GetValue(since) is { } s && !TryParseSince(s, DateTimeOffset.UnixEpoch, out _))
                r.AddError($"--since: expected an ISO 8601 time or a duration like 1h, got '{s}'");
        });
        show.SetAction((r, ct) => store.RunAsync(r, async state =>
        {
            DateTimeOffset? from = r.GetValue(since) is { } s && TryParseSince(s, TimeProvider.System.GetUtcNow(), out var t) ? t : null;
            var wanted = r.GetValue(action);
            var entries = new List<AuditEntry>();
            for (long after = 0; ;)
            {
                var page = await state.Audit.ReadAsync(after, Page, ct);
                entries.AddRange(page.Where(e => (from is null || e.At >= from) && Matches(e.Action, wanted)));
                if (page.Count < Page)
                    break;
                after = page[^1].Sequence;
            }
            var output = r.InvocationConfiguration.Output;
            if (r.GetValue(json))
            {
                output.WriteLine(JsonSerializer.Serialize(new
                {
                    store = state.Description,
                    entries = entries.Select(e => new { sequence = e.Sequence, at = e.At, actor = e.Actor, action = e.Action, subject = e.Subject, detail = e.Detail }),
                }));
                return ExitCodes.Success;
            }
            if (entries.Count == 0)
                output.WriteLine($"{state.Description}: no audit entries{(from is null && wanted is null ? "" : " match")}");
            foreach (var e in entries)
                output.WriteLine($"{e.Sequence,6}  {e.At.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture)}  {e.Actor,-8} {e.Action,-18} {e.Subject}{(e.Detail is null ? "" : "  " + e.Detail)}");
            return ExitCodes.Success;
        }, ct));
        command.Subcommands.Add(show);
        return command;
    }

    private static bool Matches(string action, string? wanted) =>
        wanted is null
        || (wanted.EndsWith('*') ? action.StartsWith(wanted[..^1], StringComparison.Ordinal) : action == wanted);

    /// <summary>An ISO 8601 time (UTC unless it says otherwise), or a duration back from <paramref name="now"/>: 90s, 15m, 1h, 7d, 2w.</summary>
    internal static bool TryParseSince(string value, DateTimeOffset now, out DateTimeOffset since)
    {
        if (Duration().Match(value) is { Success: true } m
            && long.TryParse(m.Groups[1].Value, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n <= 100 * 365 * 24 * 3600L)
        {
            var seconds = n * m.Groups[2].Value switch { "s" => 1L, "m" => 60L, "h" => 3600L, "d" => 86400L, _ => 7 * 86400L };
            since = seconds <= (now - DateTimeOffset.MinValue).TotalSeconds ? now.AddSeconds(-seconds) : DateTimeOffset.MinValue;
            return true;
        }
        return DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out since) && value.Contains('-', StringComparison.Ordinal);
    }

    [GeneratedRegex("^([0-9]{1,12})([smhdw])$")]
    private static partial Regex Duration();
}
