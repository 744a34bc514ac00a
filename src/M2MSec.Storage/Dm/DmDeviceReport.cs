using System.Text;

namespace M2MSec.Storage.Dm;

/// <summary>A ./DevInfo leaf the device reported in its package 1 (OMA-TS-DM_Protocol-V1_2 §8.3: a Replace of ./DevInfo).</summary>
public sealed record DmDevInfoItem(string Uri, string Value, DateTimeOffset UpdatedAt);

/// <summary>
/// One Item of a Generic Alert (Alert 1226, OMA-TS-DM_Protocol-V1_2 §8.7): the Source of the alert, its Meta Type, Format
/// and Mark, its Data, and the Correlator of the Exec it answers, if any.
/// </summary>
public sealed record DmGenericAlertRecord(DateTimeOffset ReceivedAt, string? Correlator, string? Source, string? Type, string? Format, string? Mark, string? Data);

/// <summary>How the device's last DM session ended, and when (<see cref="DmSessionOutcomes"/>).</summary>
public sealed record DmSessionRecord(DateTimeOffset At, string Outcome);

/// <summary>What a device has reported to the DM server: its DevInfo, its Generic Alerts (oldest first), its last session.</summary>
public sealed record DmDeviceReport(string DevId, IReadOnlyList<DmDevInfoItem> DevInfo, IReadOnlyList<DmGenericAlertRecord> GenericAlerts, DmSessionRecord? LastSession);

/// <summary>The session outcomes the DM server records per device.</summary>
public static class DmSessionOutcomes
{
    /// <summary>The device authenticated and the session ran to its end (every queued command answered).</summary>
    public const string Completed = "completed";

    /// <summary>The session went silent longer than the idle time (its running jobs failed the same way).</summary>
    public const string SessionExpired = "session-expired";

    /// <summary>The device refused the server's credential twice.</summary>
    public const string ServerCredentialRefused = "server-credential-refused";

    /// <summary>A session that had authenticated failed to authenticate a later message.</summary>
    public const string AuthFailed = "auth-failed";
}

/// <summary>
/// Bounds on what a device may make the server keep: text is cut to a length, the DevInfo leaves and the alerts kept
/// per device are counted (the oldest alerts are dropped). Stores apply them, so no caller can exceed them.
/// </summary>
public static class DmDeviceReportLimits
{
    /// <summary>URIs (DevInfo leaf, alert Source), Type, Format, Mark, Correlator: characters kept.</summary>
    public const int MaxNameLength = 255;

    /// <summary>A DevInfo value or an alert's Data: characters kept.</summary>
    public const int MaxValueLength = 1024;

    /// <summary>DevInfo leaves kept per device (new leaves beyond are ignored; known ones are updated).</summary>
    public const int MaxDevInfoItems = 32;

    /// <summary>Generic Alert items kept per device; the oldest are dropped.</summary>
    public const int MaxAlertsPerDevice = 50;

    /// <summary>A session outcome: characters kept.</summary>
    public const int MaxOutcomeLength = 64;

    /// <summary>
    /// <paramref name="text"/> with at most <paramref name="max"/> UTF-16 units, never a split surrogate pair, with NUL and
    /// unpaired surrogates replaced by U+FFFD (PostgreSQL text holds neither).
    /// </summary>
    public static string? Bound(string? text, int max)
    {
        if (text is null)
            return null;
        var builder = new StringBuilder(Math.Min(text.Length, max));
        var rest = text.AsSpan();
        while (!rest.IsEmpty)
        {
            var status = Rune.DecodeFromUtf16(rest, out var rune, out var used);
            if (status != System.Buffers.OperationStatus.Done || rune.Value == 0)
                rune = Rune.ReplacementChar;
            if (builder.Length + rune.Utf16SequenceLength > max)
                break;
            builder.Append(rune.ToString());
            rest = rest[used..];
        }
        return builder.ToString();
    }

    /// <summary>The alert with each text cut to its limit.</summary>
    public static DmGenericAlertRecord Bound(DmGenericAlertRecord alert)
    {
        ArgumentNullException.ThrowIfNull(alert);
        return alert with
        {
            Correlator = Bound(alert.Correlator, MaxNameLength),
            Source = Bound(alert.Source, MaxNameLength),
            Type = Bound(alert.Type, MaxNameLength),
            Format = Bound(alert.Format, MaxNameLength),
            Mark = Bound(alert.Mark, MaxNameLength),
            Data = Bound(alert.Data, MaxValueLength),
        };
    }
}
