using System.Text.RegularExpressions;
using M2MSec.Storage.Audit;
using M2MSec.Storage.Dm;
using M2MSec.Storage.Dpf;
using M2MSec.Storage.Ota;
using M2MSec.Storage.Sho;

namespace M2MSec.NetworkFunctions.Console;

/// <summary>One device of the fleet page.</summary>
public sealed record FleetDevice(string Id, string Kind, string? Imsi, int Step, string Stage, string? Sho, string? Mcim, DmSessionRecord? LastDm,
    string Lockdown, string Battery);

/// <summary>
/// What the pages show, read from the fleet's stores (issue 20, docs/decisions/032). The provisioning step of a device is the furthest
/// of TR 33.812 §5.1.3.6.2's 21 steps its records prove (docs/provisioning.md's table): a DRF registration step 10, the DPF's states
/// 11–20, the SHO's active subscription step 21.
/// </summary>
public sealed partial class ConsoleViews(ConsoleStores stores)
{
    /// <summary>The fleet page shows at most this many devices.</summary>
    public const int MaxDevices = 2000;

    /// <summary>The 21 steps, by number (docs/provisioning.md), as the funnel names them.</summary>
    public static IReadOnlyList<(int Step, string Name)> Steps { get; } =
    [
        (0, "manufactured"), (1, "attach with PCID"), (2, "vectors for the PCID"), (3, "vectors for the PCID"), (4, "vectors for the PCID"),
        (5, "AKA"), (6, "attach confirmed"), (7, "device asks the RO"), (8, "K_RO to the DRF"), (9, "DPF found"), (10, "Bootstrap message"),
        (11, "DPF reads M2MMobj"), (12, "registered at the SHO"), (13, "PVA asked"), (14, "attestation"), (15, "verdict"),
        (16, "MCIM sealed"), (17, "M2MSIMMobj to the DPF"), (18, "download"), (19, "install"), (20, "DM status back"), (21, "IMSI in the HSS"),
    ];

    public ConsoleStores Stores { get; } = stores;

    public async Task<IReadOnlyList<FleetDevice>> FleetAsync(CancellationToken ct)
    {
        var ids = new SortedSet<string>(StringComparer.Ordinal);
        var kinds = new Dictionary<string, string>(StringComparer.Ordinal);
        if (await Stores.FindAsync("ccif").ConfigureAwait(false) is { } ccif)
        {
            string? after = null;
            while (ids.Count < MaxDevices)
            {
                var page = await ccif.Ccif.ListValidPfcsAsync(after, 500, ct).ConfigureAwait(false);
                foreach (var p in page)
                {
                    ids.Add(p.Pcid);
                    kinds[p.Pcid] = "tre";
                }
                if (page.Count < 500)
                    break;
                after = page[^1].Pcid;
            }
        }
        var dpf = await DpfRecordsAsync(ct).ConfigureAwait(false);
        var subscriptions = await SubscriptionsAsync(ct).ConfigureAwait(false);
        foreach (var pcid in dpf.Keys.Concat(subscriptions.Select(s => s.Subscription.Pcid)))
        {
            ids.Add(pcid);
            kinds.TryAdd(pcid, "tre");
        }
        var dm = await Stores.FindAsync("dm").ConfigureAwait(false);
        if (dm is not null)
        {
            foreach (var a in await dm.Dm.ListAccountsAsync(ct).ConfigureAwait(false))
            {
                if (ids.Add(a.DevId))
                    kinds[a.DevId] = "uicc";
            }
        }
        var pva = await Stores.FindAsync("pva").ConfigureAwait(false);
        var vno = await Stores.FindAsync("vno").ConfigureAwait(false);
        var rows = new List<FleetDevice>();
        foreach (var id in ids.Take(MaxDevices))
        {
            var held = subscriptions.Where(s => s.Subscription.Pcid == id).ToList();
            var active = held.FirstOrDefault(s => s.Subscription.State == ShoSubscription.Active);
            var current = active.Subscription is not null ? active : held.OrderByDescending(s => s.Subscription.UpdatedAt).FirstOrDefault();
            dpf.TryGetValue(id, out var provisioning);
            var step = StepOf(kinds[id], provisioning, current.Subscription);
            var lastDm = await LastSessionAsync(id, ct).ConfigureAwait(false);
            var lockdown = "no";
            if (pva is not null && kinds[id] == "tre")
            {
                var last = (await pva.Pva.ListValidationsAsync(id, 5, ct).ConfigureAwait(false)).Where(v => v.State != "pending").OrderByDescending(v => v.CreatedAt).FirstOrDefault();
                if (last is { State: "invalid" })
                    lockdown = "platform invalid: " + (last.Reason ?? "refused");
            }
            rows.Add(new FleetDevice(id, kinds[id], current.Subscription?.Imsi, step, StageOf(kinds[id], provisioning, current.Subscription),
                current.Sho ?? provisioning?.ShoId, current.Subscription?.State, lastDm, lockdown,
                await BatteryAsync(vno, current.Subscription?.Imsi ?? id, ct).ConfigureAwait(false)));
        }
        return rows;
    }

    /// <summary>
    /// Issue 20 (decision 033): the battery figure the device last reported to the VNO (vno_battery, keyed by IMSI: the row's IMSI, else its
    /// id — a UICC-based device's PCID is its IMSI).
    /// </summary>
    private static async Task<string> BatteryAsync(M2MSec.Storage.IStateStore? vno, string imsi, CancellationToken ct) =>
        vno is not null && await vno.Vno.FindBatteryAsync(imsi, ct).ConfigureAwait(false) is { } b
            ? FormattableString.Invariant($"{b.LevelPermille / 10.0:0.0} % at {b.ReportedAt.UtcDateTime:yyyy-MM-dd HH:mm:ss}Z")
            : "not reported to the network";

    private static int StepOf(string kind, DpfProvisioning? p, ShoSubscription? s)
    {
        if (kind != "tre")
            return -1;
        if (s?.State == ShoSubscription.Active || p?.ReportedToSho == true)
            return 21;
        var step = p?.State switch
        {
            DpfProvisioning.Reading => 11,
            DpfProvisioning.Registered => 12,
            DpfProvisioning.Attesting => 14,
            DpfProvisioning.Validated => 15,
            DpfProvisioning.Downloading => 18,
            DpfProvisioning.Installed => 20,
            _ => p is null ? 0 : 11,
        };
        return Math.Max(step, s?.State switch { ShoSubscription.Validating => 13, ShoSubscription.Downloading => 17, _ => 0 });
    }

    private static string StageOf(string kind, DpfProvisioning? p, ShoSubscription? s) =>
        kind != "tre" ? "uicc (AKA, no remote provisioning)"
        : p?.State == DpfProvisioning.Failed ? "failed: " + (p.Reason ?? "unknown")
        : s?.State is ShoSubscription.Refused or ShoSubscription.Failed ? $"{s.State}: {s.Reason ?? "unknown"}"
        : s?.State == ShoSubscription.Active ? "provisioned"
        : p?.State ?? "manufactured";

    public async Task<Dictionary<string, DpfProvisioning>> DpfRecordsAsync(CancellationToken ct) =>
        await Stores.FindAsync("dpf").ConfigureAwait(false) is { } dpf
            ? (await dpf.Dpf.ListAsync(ct).ConfigureAwait(false)).ToDictionary(p => p.Pcid, StringComparer.Ordinal)
            : new Dictionary<string, DpfProvisioning>(StringComparer.Ordinal);

    /// <summary>Every SHO instance's subscriptions (summaries: never K or OPc), with the SHO's name.</summary>
    public async Task<IReadOnlyList<(string Sho, ShoSubscription Subscription)>> SubscriptionsAsync(CancellationToken ct)
    {
        var all = new List<(string, ShoSubscription)>();
        foreach (var sho in ShoInstances)
        {
            if (await Stores.FindAsync(sho).ConfigureAwait(false) is not { } store)
                continue;
            foreach (var s in await store.Sho.ListAsync(ct).ConfigureAwait(false))
                all.Add((sho, new ShoSubscription(s.Pcid, s.TreId, [], [], [], [], null, s.State, s.Imsi, null, null, s.Reason, s.CreatedAt, s.UpdatedAt)));
        }
        return all;
    }

    /// <summary>The SHO instances `serve all` runs.</summary>
    public static IReadOnlyList<string> ShoInstances { get; } = ["sho", "sho-b"];

    /// <summary>The device's last DM session at the DM server, else at the DPF (provisioning sessions).</summary>
    public async Task<DmSessionRecord?> LastSessionAsync(string id, CancellationToken ct)
    {
        DmSessionRecord? last = null;
        foreach (var role in DmRoles)
        {
            if (await Stores.FindAsync(role).ConfigureAwait(false) is { } s && (await s.Dm.GetDeviceReportAsync(id, ct).ConfigureAwait(false)).LastSession is { } session
                && (last is null || session.At > last.At))
                last = session;
        }
        return last;
    }

    /// <summary>The roles that run DM sessions: the DM server (NAS configuration) and the DPF (provisioning).</summary>
    public static IReadOnlyList<string> DmRoles { get; } = ["dm", "dpf"];

    /// <summary>The device's DM jobs at both DM servers, newest first.</summary>
    public async Task<IReadOnlyList<(string Role, DmJobRecord Job)>> DmJobsAsync(string id, CancellationToken ct)
    {
        var jobs = new List<(string, DmJobRecord)>();
        foreach (var role in DmRoles)
        {
            if (await Stores.FindAsync(role).ConfigureAwait(false) is { } s)
                jobs.AddRange((await s.Dm.ListJobsAsync(id, ct).ConfigureAwait(false)).Select(j => (role, j)));
        }
        return [.. jobs.OrderByDescending(j => j.Item2.CreatedAt)];
    }

    /// <summary>Every DM job of every account at the DM server and the DPF, newest first (at most <paramref name="limit"/>).</summary>
    public async Task<IReadOnlyList<(string Role, DmJobRecord Job)>> AllDmJobsAsync(int limit, CancellationToken ct)
    {
        var jobs = new List<(string, DmJobRecord)>();
        foreach (var role in DmRoles)
        {
            if (await Stores.FindAsync(role).ConfigureAwait(false) is not { } s)
                continue;
            foreach (var a in await s.Dm.ListAccountsAsync(ct).ConfigureAwait(false))
                jobs.AddRange((await s.Dm.ListJobsAsync(a.DevId, ct).ConfigureAwait(false)).Select(j => (role, j)));
        }
        return [.. jobs.OrderByDescending(j => j.Item2.CreatedAt).Take(limit)];
    }

    /// <summary>The OTA server's jobs its audit log names ("job ID …"), newest first.</summary>
    public async Task<IReadOnlyList<OtaJobRecord>> OtaJobsAsync(string? subject, CancellationToken ct)
    {
        if (await Stores.FindAsync("ota").ConfigureAwait(false) is not { } ota)
            return [];
        var ids = new HashSet<string>(StringComparer.Ordinal);
        var jobs = new List<OtaJobRecord>();
        foreach (var e in (await ota.Audit.ReadAsync(0, 5000, ct).ConfigureAwait(false)).Reverse())
        {
            if (subject is not null && e.Subject != subject)
                continue;
            if (OtaJobId().Match(e.Detail ?? "") is { Success: true } m && ids.Add(m.Groups[1].Value)
                && await ota.OtaJobs.FindAsync(m.Groups[1].Value, ct).ConfigureAwait(false) is { } job)
                jobs.Add(job);
        }
        return jobs;
    }

    [GeneratedRegex(@"^job (\S+)")]
    private static partial Regex OtaJobId();

    /// <summary>The device's report at the DM server and the DPF: DevInfo, Generic Alerts.</summary>
    public async Task<IReadOnlyList<(string Role, DmDeviceReport Report)>> ReportsAsync(string id, CancellationToken ct)
    {
        var reports = new List<(string, DmDeviceReport)>();
        foreach (var role in DmRoles)
        {
            if (await Stores.FindAsync(role).ConfigureAwait(false) is { } s)
                reports.Add((role, await s.Dm.GetDeviceReportAsync(id, ct).ConfigureAwait(false)));
        }
        return reports;
    }

    /// <summary>
    /// The DM tree as last read: for each node the newest Results a Get of a job brought back (the server keeps no tree of its own,
    /// only what devices answered).
    /// </summary>
    public static IReadOnlyList<(string Uri, string Value, DateTimeOffset At)> TreeOf(IEnumerable<(string Role, DmJobRecord Job)> jobs)
    {
        var nodes = new Dictionary<string, (string, DateTimeOffset)>(StringComparer.Ordinal);
        foreach (var (_, job) in jobs.OrderBy(j => j.Job.UpdatedAt))
        {
            foreach (var c in job.Commands.Where(c => c.Verb == "get" && c.Results is not null))
                nodes[c.Uri] = (c.Results!, job.UpdatedAt);
        }
        return [.. nodes.OrderBy(n => n.Key, StringComparer.Ordinal).Select(n => (n.Key, n.Value.Item1, n.Value.Item2))];
    }

    /// <summary>Audit entries of every store, newest first, filtered.</summary>
    public async Task<IReadOnlyList<(string Instance, AuditEntry Entry)>> AuditAsync(string? instance, string? action, string? subject, DateTimeOffset? since,
        int limit, CancellationToken ct)
    {
        var all = await Stores.AuditAsync(ct: ct).ConfigureAwait(false);
        return [.. all.Where(e => (instance is null || e.Instance == instance)
                && (action is null || e.Entry.Action.StartsWith(action, StringComparison.Ordinal))
                && (subject is null || e.Entry.Subject.Contains(subject, StringComparison.Ordinal) || (e.Entry.Detail?.Contains(subject, StringComparison.Ordinal) ?? false))
                && (since is null || e.Entry.At >= since))
            .OrderByDescending(e => e.Entry.At).ThenByDescending(e => e.Entry.Sequence).Take(limit)];
    }

    /// <summary>The funnel: devices at each step (TRE-based devices only), and the failures by reason.</summary>
    public static (IReadOnlyDictionary<int, int> AtStep, IReadOnlyDictionary<string, int> Failures) Funnel(IReadOnlyList<FleetDevice> fleet)
    {
        var atStep = Steps.Select(s => s.Step).Distinct().ToDictionary(s => s, _ => 0);
        var failures = new SortedDictionary<string, int>(StringComparer.Ordinal);
        foreach (var d in fleet.Where(d => d.Kind == "tre"))
        {
            atStep[d.Step]++;
            if (d.Stage.Contains(':', StringComparison.Ordinal))
                failures[d.Stage] = failures.GetValueOrDefault(d.Stage) + 1;
        }
        return (atStep, failures);
    }
}
