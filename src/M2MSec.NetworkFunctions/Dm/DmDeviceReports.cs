using M2MSec.Dm.SyncMl;
using M2MSec.Storage.Dm;

namespace M2MSec.NetworkFunctions.Dm;

/// <summary>
/// Keeps what a device reports in an authenticated message (the engine calls this only once the session has
/// authenticated): the ./DevInfo leaves of its Replace (package 1, OMA-TS-DM_Protocol-V1_2 §8.3; interior nodes,
/// Format node, are not kept) and the Items of its Generic Alerts (Alert 1226, §8.7, in any package). The store
/// bounds what it keeps (<see cref="DmDeviceReportLimits"/>); the engine answers both with Status 200.
/// </summary>
public static class DmDeviceReports
{
    /// <summary>The Alert code of a Generic Alert (OMA-TS-DM_Protocol-V1_2 §8.7).</summary>
    public const int GenericAlert = 1226;

    private const string DevInfoRoot = "./DevInfo/";

    public static async Task KeepAsync(IDmStore store, string devId, SyncMlMessage incoming, DateTimeOffset now, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(incoming);
        var devInfo = DevInfo(incoming);
        if (devInfo.Count > 0)
            await store.KeepDevInfoAsync(devId, devInfo, now, cancellationToken).ConfigureAwait(false);
        var alerts = GenericAlerts(incoming, now);
        if (alerts.Count > 0)
            await store.AddGenericAlertsAsync(devId, alerts, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The ./DevInfo leaves (Source LocURI and Data) of the message's Replace commands, at most the store's limit.</summary>
    /// <remarks>Loops, not LINQ: this runs on every authenticated message (issue 19, the DM server's CPU per session).</remarks>
    public static IReadOnlyList<(string Uri, string Value)> DevInfo(SyncMlMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        List<(string Uri, string Value)>? found = null;
        foreach (var command in message.Commands)
        {
            if (command is not ReplaceCommand replace)
                continue;
            foreach (var item in replace.Items)
            {
                if ((found?.Count ?? 0) >= DmDeviceReportLimits.MaxDevInfoItems)
                    return found ?? [];
                if (item.Source?.LocUri is { } uri && uri.StartsWith(DevInfoRoot, StringComparison.Ordinal)
                    && (item.Meta?.Format ?? replace.Meta?.Format) != "node" && item.Data is { } data)
                    (found ??= []).Add((uri, data.Text));
            }
        }
        return found ?? [];
    }

    /// <summary>One record per Item of each Generic Alert of the message, at most the store's limit.</summary>
    public static IReadOnlyList<DmGenericAlertRecord> GenericAlerts(SyncMlMessage message, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(message);
        List<DmGenericAlertRecord>? found = null;
        foreach (var command in message.Commands)
        {
            if (command is not AlertCommand { Code: GenericAlert } alert)
                continue;
            foreach (var i in alert.Items)
            {
                if ((found?.Count ?? 0) >= DmDeviceReportLimits.MaxAlertsPerDevice)
                    return found ?? [];
                (found ??= []).Add(new DmGenericAlertRecord(now, alert.Correlator, i.Source?.LocUri, i.Meta?.Type, i.Meta?.Format, i.Meta?.Mark, i.Data?.Text));
            }
        }
        return found ?? [];
    }
}
