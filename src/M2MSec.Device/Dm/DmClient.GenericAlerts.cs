using System.Globalization;
using M2MSec.Dm.SyncMl;

namespace M2MSec.Device.Dm;

/// <summary>
/// A Generic Alert the device reports to its server (OMA-TS-DM_Protocol-V1_2 §8.7, Alert 1226): the node it concerns
/// (Source), the alert type (Meta Type, e.g. a URN from the OMNA DM alert types registry), the Data's Format, an
/// optional Mark (e.g. "critical") and the Correlator of the Exec it answers.
/// </summary>
public sealed record DmGenericAlert(string? Source, string Type, string Format, string Data, string? Mark = null, string? Correlator = null);

public sealed partial class DmClient
{
    private readonly Lock _alertsLock = new();
    private readonly List<DmGenericAlert> _pendingAlerts = [];
    private int _alertsInFlight;

    /// <summary>Generic Alerts not yet delivered (sent in a session that completed).</summary>
    public int PendingGenericAlerts
    {
        get
        {
            lock (_alertsLock)
                return _pendingAlerts.Count;
        }
    }

    /// <summary>
    /// Queues a Generic Alert for the next session: it goes in package 1, after Alert 1201/1200 and DevInfo, and stays
    /// queued until a session that carried it completes (a failed session sends it again next time).
    /// </summary>
    public void QueueGenericAlert(DmGenericAlert alert)
    {
        ArgumentNullException.ThrowIfNull(alert);
        ArgumentException.ThrowIfNullOrEmpty(alert.Type);
        ArgumentException.ThrowIfNullOrEmpty(alert.Format);
        lock (_alertsLock)
            _pendingAlerts.Add(alert);
    }

    /// <summary>One Alert 1226 per queued alert, CmdIDs from <paramref name="firstCmdId"/>.</summary>
    private List<AlertCommand> GenericAlertCommands(int firstCmdId)
    {
        lock (_alertsLock)
        {
            _alertsInFlight = _pendingAlerts.Count;
            return [.. _pendingAlerts.Select((a, i) => new AlertCommand
            {
                CmdId = (firstCmdId + i).ToString(CultureInfo.InvariantCulture),
                Data = "1226",
                Correlator = a.Correlator,
                Items =
                [
                    new SyncMlItem
                    {
                        Source = a.Source is null ? null : new SyncMlLocation(a.Source),
                        Meta = new SyncMlMeta { Type = a.Type, Format = a.Format, Mark = a.Mark },
                        Data = a.Data,
                    },
                ],
            })];
        }
    }

    /// <summary>The session that carried the queued alerts completed: they are delivered.</summary>
    private void GenericAlertsDelivered()
    {
        lock (_alertsLock)
        {
            _pendingAlerts.RemoveRange(0, Math.Min(_alertsInFlight, _pendingAlerts.Count));
            _alertsInFlight = 0;
        }
    }
}
