using System.Globalization;
using Spectre.Console;

namespace M2MSec.Cli.Demo;

/// <summary>
/// The demo's tables, laid out to fit 80 columns whatever the fleet: one row per stage (so a new stage
/// adds a row, never a column), short headers, numbers right-aligned; then the summary, the expected
/// events and the failures by reason as name/value rows.
/// </summary>
internal static class DemoTables
{
    public static void Render(IAnsiConsole console, DemoSummary summary, IReadOnlyList<KeyValuePair<string, int>> events, TimeSpan wallTime)
    {
        ArgumentNullException.ThrowIfNull(console);
        ArgumentNullException.ThrowIfNull(summary);
        ArgumentNullException.ThrowIfNull(events);
        var stages = new Table().Title("Stages").AddColumn("Stage");
        foreach (var header in new[] { "Done", "Failed", "Seconds", "Per s" })
            stages.AddColumn(new TableColumn(header).RightAligned().NoWrap());
        foreach (var s in summary.Stages)
        {
            stages.AddRow(Markup.Escape(s.Name), Number(s.Completed), s.Failed == 0 ? "0" : $"[red]{Number(s.Failed)}[/]",
                s.Seconds.ToString("0.00", CultureInfo.InvariantCulture), s.PerSecond.ToString("0.0", CultureInfo.InvariantCulture));
        }
        console.Write(stages);

        var totals = NameValue("Summary", "Value");
        totals.AddRow("Devices", Number(summary.Devices));
        totals.AddRow("Completed", $"[green]{Number(summary.Completed)}[/]");
        totals.AddRow("Failed", summary.Failed == 0 ? "0" : $"[red]{Number(summary.Failed)}[/]");
        totals.AddRow("Wall time", string.Create(CultureInfo.InvariantCulture, $"{wallTime.TotalSeconds:0.0} s"));
        if (wallTime > TimeSpan.Zero)
            totals.AddRow("Devices per s", string.Create(CultureInfo.InvariantCulture, $"{summary.Completed / wallTime.TotalSeconds:0.0}"));
        totals.AddRow("Peak memory", string.Create(CultureInfo.InvariantCulture, $"{summary.PeakMemoryMb:0} MB"));
        // Issue 19 (docs/decisions/034-fleet-bound.md): the fixed cost and the ratio to the fleet bound of the same run.
        if (summary.Profile is { } profile)
            totals.AddRow("Fixed cost", string.Create(CultureInfo.InvariantCulture, $"{profile.FixedCostS:0.0} s (start {profile.StartS:0.0} s)"));
        if (summary.FleetBound is { } bound)
            totals.AddRow("Fleet bound", string.Create(CultureInfo.InvariantCulture, $"{bound.FleetBoundDevicesPerS:0.0}/s, ratio {summary.RatioToFleetBound:0.00}"));
        if (summary.CpuSeconds > 0 && summary.Completed > 0)
            totals.AddRow("CPU ms per device", string.Create(CultureInfo.InvariantCulture, $"{summary.CpuSeconds * 1000 / summary.Completed:0}"));
        console.Write(totals);
        if (summary.StageCosts is { Count: > 0 } costs)
            console.Write(StageCosts(costs));

        if (summary.Battery is { } b)
        {
            // Issue 17 (decision 026): per fake trigger, under labelled assumptions — not measurements.
            var table = NameValue("Fake triggers (battery)", "Value");
            table.AddRow("Fake triggers", b.FakeTriggers.ToString(CultureInfo.InvariantCulture));
            table.AddRow("Protected, mJ each", b.ProtectedMjEach.ToString("0.0##", CultureInfo.InvariantCulture));
            table.AddRow("Unprotected, mJ each", b.UnprotectedMjEach.ToString("0.0##", CultureInfo.InvariantCulture));
            table.AddRow("Radio set-ups, protected", b.ProtectedConnectionSetups.ToString(CultureInfo.InvariantCulture));
            table.AddRow("Radio set-ups, unprotected", b.UnprotectedConnectionSetups.ToString(CultureInfo.InvariantCulture));
            table.AddRow("Figures", b.Source.StartsWith("assumption", StringComparison.Ordinal) ? "assumed (decision 026)" : "data sheet");
            console.Write(table);
        }
        if (summary.Groups is { } g)
        {
            var table = NameValue("Group (VNO)", "Value");
            table.AddRow("Group", Markup.Escape(g.GroupId));
            table.AddRow("Members read the message", Number(g.MembersRead));
            table.AddRow("Rekeys (member removed)", Number(g.Rekeys));
            table.AddRow("Removed member refused", Number(g.RemovedMemberRefused));
            table.AddRow("Remaining member read", Number(g.RemainingMemberRead));
            console.Write(table);
        }
        if (events.Count > 0)
        {
            var table = NameValue("Event", "Devices");
            foreach (var (name, count) in events)
                table.AddRow(Markup.Escape(name), Number(count));
            console.Write(table);
        }
        if (summary.Failures.Count > 0)
        {
            var table = NameValue("Failure", "Devices");
            foreach (var (reason, count) in summary.Failures.OrderByDescending(f => f.Value).ThenBy(f => f.Key, StringComparer.Ordinal))
                table.AddRow($"[red]{Markup.Escape(reason)}[/]", Number(count));
            console.Write(table);
        }
    }

    /// <summary>Issue 19, `demo --stage-costs`: per device of each stage, CPU (and the JIT's share of it) and wall milliseconds, the requests answered and the durable commits.</summary>
    private static Table StageCosts(IReadOnlyList<DemoStageCost> costs)
    {
        var table = new Table().Title("Cost per device by stage").AddColumn("Stage")
            .Caption("One device in flight, the first third of the fleet not measured; JIT ms: the JIT compiling meanwhile, part of CPU ms; Registration holds the DPF session that validates and installs too (decision 038).");
        foreach (var header in new[] { "CPU ms", "JIT ms", "Wall ms", "Requests", "Commits" })
            table.AddColumn(new TableColumn(header).RightAligned().NoWrap());
        foreach (var c in costs)
        {
            table.AddRow(Markup.Escape(c.Stage), c.CpuMs.ToString("0.0", CultureInfo.InvariantCulture), c.JitMs.ToString("0.0", CultureInfo.InvariantCulture),
                c.WallMs.ToString("0.0", CultureInfo.InvariantCulture),
                c.HttpRequests.ToString("0.0", CultureInfo.InvariantCulture),
                c.Operations.GetValueOrDefault(DemoFleetBound.DurableCommit).ToString("0.0", CultureInfo.InvariantCulture));
        }
        return table;
    }

    private static Table NameValue(string name, string value) =>
        new Table().AddColumn(name).AddColumn(new TableColumn(value).RightAligned().NoWrap());

    private static string Number(int n) => n.ToString(CultureInfo.InvariantCulture);
}
