using M2MSec.NetworkFunctions.Ota;
using M2MSec.Storage.Ccif;
using M2MSec.Storage.Dm;
using M2MSec.Storage.Dpf;
using M2MSec.Storage.Drf;
using M2MSec.Storage.Sho;

namespace M2MSec.NetworkFunctions.Console;

/// <summary>The fleet page's filters: kind ("tre", "uicc"), stage (a prefix of the stage shown), text in the PCID, TRE id or DevId.</summary>
public sealed record FleetFilter(string? Kind = null, string? Stage = null, string? Text = null);

/// <summary>One page of the fleet (<see cref="ConsoleViews.PageSize"/> rows) and how many devices match the filter.</summary>
public sealed record FleetPage(IReadOnlyList<FleetDevice> Rows, int Total, int Page);

/// <summary>
/// The fleet, one row per device (issue 20, docs/decisions/032): TRE-based devices are the CCIF's (paged and filtered in its query);
/// UICC-based devices are the DM server's accounts that belong to no CCIF device (a TRE-based device's account there has its TRE id
/// as DevId, its account at the DPF its PCID: both join to its row), and the OTA server's cards registered with their IMSI and no DM
/// account (`device run --kind uicc`). The step of a TRE-based device is the furthest of TR 33.812
/// §5.1.3.6.2's 21 steps its records prove: the ICF's temporary credential used for vectors (2–4) and PCID use (8), the DRF's
/// registration (10, 12), the DPF's states (11–20), the SHO's subscription (13, 17, 21).
/// </summary>
public sealed partial class ConsoleViews
{
    public const int PageSize = 100;

    /// <summary>How many UICC accounts or cards a scan reads per store query.</summary>
    private const int Chunk = 500;

    public async Task<FleetPage> FleetAsync(FleetFilter filter, int page, CancellationToken ct)
    {
        page = Math.Max(1, page);
        var start = (page - 1) * PageSize;
        var rows = new List<FleetDevice>();
        var total = 0;
        var ccif = (await Stores.FindAsync("ccif").ConfigureAwait(false))?.Ccif;
        if (filter.Kind is null or "tre" && ccif is not null)
        {
            if (filter.Stage is null)
            {
                total = await ccif.CountDevicesAsync(filter.Text, ct).ConfigureAwait(false);
                if (start < total)
                {
                    var devices = await ccif.SearchDevicesAsync(filter.Text, start, PageSize, ct).ConfigureAwait(false);
                    var records = await RecordsOfAsync([.. devices.Select(d => d.Pcid)], ct).ConfigureAwait(false);
                    foreach (var d in devices)
                        rows.Add(await TreDeviceAsync(d, records[d.Pcid], ct).ConfigureAwait(false));
                }
            }
            else
            {
                // The stage joins several stores: the candidates (or the CCIF's devices) a chunk at a time, each store asked once per chunk, and only the page's rows built.
                await foreach (var (d, records) in (await StageFilteredAsync(ccif, filter, ct).ConfigureAwait(false)).ConfigureAwait(false))
                {
                    if (!Classify(d, records).Stage.StartsWith(filter.Stage, StringComparison.Ordinal))
                        continue;
                    if (total >= start && rows.Count < PageSize)
                        rows.Add(await TreDeviceAsync(d, records, ct).ConfigureAwait(false));
                    total++;
                }
            }
        }
        if (filter.Kind is null or "uicc" && (filter.Stage is null || UiccStage.StartsWith(filter.Stage, StringComparison.Ordinal)))
        {
            var skip = Math.Max(0, start - total);
            await foreach (var row in UiccRowsAsync(ccif, filter.Text, ct).ConfigureAwait(false))
            {
                if (skip > 0)
                    skip--;
                else if (rows.Count < PageSize)
                    rows.Add(await row().ConfigureAwait(false));
                total++;
            }
        }
        return new FleetPage(rows, total, page);
    }

    /// <summary>The row of the device with id <paramref name="id"/> (a PCID, TRE id, DM DevId, or the ICCID of a card registered with its IMSI), or null.</summary>
    public async Task<FleetDevice?> DeviceAsync(string id, CancellationToken ct)
    {
        if (await Stores.FindAsync("ccif").ConfigureAwait(false) is { } c && (await c.Ccif.FindByIdsAsync([id], ct).ConfigureAwait(false)).FirstOrDefault() is { } tre)
            return await TreDeviceAsync(tre, ct).ConfigureAwait(false);
        // A card registered with its IMSI (by ICCID): its row, with the DM account under its ICCID if it has one (decision 033).
        if (await Stores.FindAsync("ota").ConfigureAwait(false) is { } ota && await ota.Devices.FindAsync(id, ct).ConfigureAwait(false) is { Kind: OtaServerFunction.UiccDeviceKind } card)
            return await UiccCardDeviceAsync(card, ct).ConfigureAwait(false);
        if (await Stores.FindAsync("dm").ConfigureAwait(false) is not { } dm || await dm.Dm.FindAccountAsync(id, ct).ConfigureAwait(false) is not { } account)
            return null;
        Array.Clear(account.ClientPassword);
        Array.Clear(account.ServerPassword);
        return await UiccDeviceAsync(id, ct).ConfigureAwait(false);
    }

    private async Task<FleetDevice> TreDeviceAsync(CcifDeviceSummary device, CancellationToken ct) =>
        await TreDeviceAsync(device, await RecordsOfAsync(device.Pcid, ct).ConfigureAwait(false), ct).ConfigureAwait(false);

    private async Task<FleetDevice> TreDeviceAsync(CcifDeviceSummary device, TreRecords records, CancellationToken ct)
    {
        var pcid = device.Pcid;
        var current = CurrentSubscription(records);
        var lockdown = records.InvalidPlatform is { } reason ? "platform invalid: " + reason : "no";
        var lastDm = await LastSessionAsync([("dm", device.TreId), ("dpf", pcid)], ct).ConfigureAwait(false);
        var (step, stage) = Classify(device, records);
        return new FleetDevice(pcid, "tre", current.Subscription?.Imsi, step, stage,
            current.Sho ?? records.Registration?.ShoId ?? records.Provisioning?.ShoId, current.Subscription?.State, lastDm, lockdown,
            await BatteryAsync(await Stores.FindAsync("vno").ConfigureAwait(false), current.Subscription?.Imsi ?? pcid, ct).ConfigureAwait(false))
        {
            DevIds = [pcid, device.TreId, .. records.Subscriptions.Select(s => s.Subscription.Imsi).OfType<string>().Distinct(StringComparer.Ordinal)],
            DmDevId = device.TreId,
        };
    }

    /// <summary>The device's subscription the console shows: the active one at any SHO, else the one changed last.</summary>
    private static (string? Sho, ShoSubscription? Subscription) CurrentSubscription(TreRecords records)
    {
        var current = records.Subscriptions.FirstOrDefault(s => s.Subscription.State == ShoSubscription.Active);
        if (current.Subscription is null)
            current = records.Subscriptions.OrderByDescending(s => s.Subscription.UpdatedAt).FirstOrDefault();
        return current;
    }

    /// <summary>The device's step (the furthest its records prove) and stage (a failure first, else the step's name).</summary>
    private static (int Step, string Stage) Classify(CcifDeviceSummary device, TreRecords records)
    {
        var current = CurrentSubscription(records).Subscription;
        var step = StepOf(records, current);
        return (step, StageOf(records, current, step, device));
    }

    private static int StepOf(TreRecords r, ShoSubscription? s)
    {
        if (s?.State == ShoSubscription.Active || r.Provisioning?.ReportedToSho == true)
            return 21;
        var icf = r.Use is not null ? 8 : r.VectorsIssued ? 4 : 0;
        var drf = r.Registration?.State switch { "registered" => 12, "bootstrapped" => 10, _ => 0 };
        var dpf = r.Provisioning?.State switch
        {
            null => 0,
            DpfProvisioning.Reading => 11,
            DpfProvisioning.Registered => 12,
            DpfProvisioning.Attesting => 14,
            DpfProvisioning.Validated => 15,
            DpfProvisioning.Downloading => 18,
            DpfProvisioning.Installed => 20,
            _ => 11,
        };
        var sho = s?.State switch { ShoSubscription.Validating => 13, ShoSubscription.Downloading => 17, _ => 0 };
        return Math.Max(Math.Max(icf, drf), Math.Max(dpf, sho));
    }

    private static string StageOf(TreRecords r, ShoSubscription? s, int step, CcifDeviceSummary device) =>
        device.RevokedAt is not null ? "failed: PfC revoked (" + (device.RevocationReason ?? "unspecified") + ")"
        : r.Provisioning?.State == DpfProvisioning.Failed ? "failed: " + (r.Provisioning.Reason ?? "unknown")
        : s?.State is ShoSubscription.Refused or ShoSubscription.Failed ? $"{s.State}: {s.Reason ?? "unknown"}"
        : r.InvalidPlatform is { } invalid && step < 21 ? "failed: platform invalid (" + invalid + ")"
        : r.Change is { State: DrfChange.Failed } c && step < 21 ? "failed: change of subscription (" + (c.Reason ?? "unknown") + ")"
        : step == 21 ? "provisioned"
        : step == 0 ? "manufactured"
        : Steps.First(x => x.Step == step).Name;

    /// <summary>
    /// The funnel over every TRE-based device: devices at each step and failures by reason — the CCIF read a chunk at a time, each
    /// store asked once per chunk (decision 032's addendum on the funnel's queries).
    /// </summary>
    public async Task<(int Devices, IReadOnlyDictionary<int, int> AtStep, IReadOnlyDictionary<string, int> Failures)> FunnelAsync(CancellationToken ct)
    {
        var atStep = Steps.Select(s => s.Step).Distinct().ToDictionary(s => s, _ => 0);
        var failures = new SortedDictionary<string, int>(StringComparer.Ordinal);
        var devices = 0;
        if (await Stores.FindAsync("ccif").ConfigureAwait(false) is { } ccif)
        {
            await foreach (var (d, records) in TreRecordsAsync(ccif.Ccif, null, ct).ConfigureAwait(false))
            {
                var (step, stage) = Classify(d, records);
                devices++;
                atStep[step]++;
                if (stage.Contains(':', StringComparison.Ordinal))
                    failures[stage] = failures.GetValueOrDefault(stage) + 1;
            }
        }
        return (devices, atStep, failures);
    }

    /// <summary>The device's last DM session at any of its accounts (the DM server's, the DPF's).</summary>
    public async Task<DmSessionRecord?> LastSessionAsync(IEnumerable<(string Role, string DevId)> accounts, CancellationToken ct)
    {
        DmSessionRecord? last = null;
        foreach (var (role, devId) in accounts)
        {
            if (await Stores.FindAsync(role).ConfigureAwait(false) is { } s && (await s.Dm.GetDeviceReportAsync(devId, ct).ConfigureAwait(false)).LastSession is { } session
                && (last is null || session.At > last.At))
                last = session;
        }
        return last;
    }
}
