using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json;
using M2MSec.Cli.Internal;
using M2MSec.Storage.Dm;

namespace M2MSec.Cli.Commands;

/// <summary>
/// `m2msec dm device show`: what a device has reported to the DM server — its DevInfo (package 1), its Generic Alerts
/// (1226, oldest first) — and when its last session ended, how. The values come from the device: the text form shows
/// control and format characters escaped (\u001b), so they cannot drive the operator's terminal; JSON escapes them anyway.
/// </summary>
internal static class DmDeviceCommand
{
    public static Command Create()
    {
        var device = new Command("device", "What DM devices have reported: DevInfo, Generic Alerts, last session");
        device.Subcommands.Add(Show());
        return device;
    }

    private static Command Show()
    {
        var show = new Command("show", "A device's DevInfo, its Generic Alerts (oldest first) and its last session's time and outcome");
        var store = new StoreArgs();
        var devId = CliArgs.Text("--dev-id", "the device's DevId", "a DevId");
        var json = CliArgs.Flag("--json", "one JSON object");
        store.AddTo(show);
        show.Options.Add(devId);
        show.Options.Add(json);
        CliArgs.Required(show, store.Data, devId);
        show.Validators.Add(r =>
        {
            if (r.GetValue(devId) is { } v && (v.Length is 0 or > 128 || v.Any(char.IsControl)))
                r.AddError("--dev-id: expected 1 to 128 printable characters");
        });
        show.SetAction((r, ct) => store.RunAsync(r, async state =>
        {
            var dev = r.GetRequiredValue(devId);
            if (await state.Dm.FindAccountAsync(dev, ct) is null)
            {
                CliOutput.Error(r, $"--dev-id: {dev} has no DM account");
                return ExitCodes.BadArguments;
            }
            var report = await state.Dm.GetDeviceReportAsync(dev, ct);
            var output = r.InvocationConfiguration.Output;
            if (r.GetValue(json))
                output.WriteLine(JsonSerializer.Serialize(Json(report)));
            else
                WriteText(output, report);
            return ExitCodes.Success;
        }, ct));
        return show;
    }

    private static object Json(DmDeviceReport report) => new
    {
        dev_id = report.DevId,
        dev_info = report.DevInfo.OrderBy(i => i.Uri, StringComparer.Ordinal).Select(i => new { uri = i.Uri, value = i.Value, updated_at = i.UpdatedAt }),
        generic_alerts = report.GenericAlerts.Select(a => new
        {
            received_at = a.ReceivedAt,
            correlator = a.Correlator,
            source = a.Source,
            type = a.Type,
            format = a.Format,
            mark = a.Mark,
            data = a.Data,
        }),
        last_session = report.LastSession is { } s ? new { at = s.At, outcome = s.Outcome } : null,
    };

    private static void WriteText(TextWriter output, DmDeviceReport report)
    {
        output.WriteLine($"device        {Printable(report.DevId)}");
        output.WriteLine(report.LastSession is { } s
            ? $"last session  {s.At.ToString("O", CultureInfo.InvariantCulture)} {Printable(s.Outcome)}"
            : "last session  none");
        output.WriteLine(report.DevInfo.Count == 0 ? "dev info      none reported" : "dev info");
        foreach (var i in report.DevInfo.OrderBy(i => i.Uri, StringComparer.Ordinal))
            output.WriteLine($"  {Printable(i.Uri)} = {Printable(i.Value)}");
        output.WriteLine($"generic alerts  {report.GenericAlerts.Count.ToString(CultureInfo.InvariantCulture)} (oldest first)");
        foreach (var a in report.GenericAlerts)
        {
            var fields = new (string Name, string? Value)[]
            {
                ("source", a.Source), ("type", a.Type), ("format", a.Format), ("mark", a.Mark), ("correlator", a.Correlator), ("data", a.Data),
            };
            output.WriteLine($"  {a.ReceivedAt.ToString("O", CultureInfo.InvariantCulture)}"
                + string.Concat(fields.Where(f => f.Value is not null).Select(f => $"  {f.Name} {Printable(f.Value!)}")));
        }
    }

    /// <summary>Device-reported text for a terminal: control and format characters (ESC, CR, bidi overrides…) as \uXXXX.</summary>
    internal static string Printable(string text)
    {
        var builder = new StringBuilder(text.Length);
        foreach (var c in text)
        {
            if (char.IsControl(c) || CharUnicodeInfo.GetUnicodeCategory(c) is UnicodeCategory.Format or UnicodeCategory.LineSeparator or UnicodeCategory.ParagraphSeparator)
                builder.Append(CultureInfo.InvariantCulture, $"\\u{(int)c:x4}");
            else
                builder.Append(c);
        }
        return builder.ToString();
    }
}
