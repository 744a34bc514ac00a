using System.Text.RegularExpressions;
using M2MSec.Storage.Audit;
using M2MSec.Storage.Dm;
using M2MSec.Storage.Ota;

namespace M2MSec.NetworkFunctions.Console;

/// <summary>One device of the fleet page: Id is the PCID of a TRE-based device, the DevId of its DM account for a UICC-based one (its card's ICCID when it has none).</summary>
public sealed record FleetDevice(string Id, string Kind, string? Imsi, int Step, string Stage, string? Sho, string? Mcim, DmSessionRecord? LastDm,
    string Lockdown, string Battery)
{
    /// <summary>Every id the stores know the device by: PCID (ICF, DRF, DPF, SHO; the DPF's DM account), TRE id (the DM server's account, the DRF's DevId), IMSI.</summary>
    public IReadOnlyList<string> DevIds { get; init; } = [Id];

    /// <summary>The DevId of the device's account at the DM server (the TRE id of a TRE-based device), where the console queues DM jobs.</summary>
    public string DmDevId { get; init; } = Id;
}

/// <summary>
/// What the pages show, read from the fleet's stores (issue 20, docs/decisions/032). The provisioning step of a device is the furthest
/// of TR 33.812 §5.1.3.6.2's 21 steps its records prove (docs/provisioning.md's table): a DRF registration step 10, the DPF's states
/// 11–20, the SHO's active subscription step 21.
/// </summary>
public sealed partial class ConsoleViews(ConsoleStores stores)
{
    /// <summary>The 21 steps, by number (docs/provisioning.md), as the funnel names them.</summary>
    public static IReadOnlyList<(int Step, string Name)> Steps { get; } =
    [
        (0, "manufactured"), (1, "attach with PCID"), (2, "vectors for the PCID"), (3, "vectors for the PCID"), (4, "vectors for the PCID"),
        (5, "AKA"), (6, "attach confirmed"), (7, "device asks the RO"), (8, "K_RO to the DRF"), (9, "DPF found"), (10, "Bootstrap message"),
        (11, "DPF reads M2MMobj"), (12, "registered at the SHO"), (13, "PVA asked"), (14, "attestation"), (15, "verdict"),
        (16, "MCIM sealed"), (17, "M2MSIMMobj to the DPF"), (18, "download"), (19, "install"), (20, "DM status back"), (21, "IMSI in the HSS"),
    ];

    public ConsoleStores Stores { get; } = stores;

    /// <summary>
    /// Issue 20 (decision 033): the battery figure the device last reported to the VNO (vno_battery, keyed by IMSI: the row's IMSI, else its
    /// id — a UICC-based device's PCID is its IMSI).
    /// </summary>
    private static async Task<string> BatteryAsync(M2MSec.Storage.IStateStore? vno, string imsi, CancellationToken ct) =>
        vno is not null && await vno.Vno.FindBatteryAsync(imsi, ct).ConfigureAwait(false) is { } b
            ? FormattableString.Invariant($"{b.LevelPermille / 10.0:0.0} % at {b.ReportedAt.UtcDateTime:yyyy-MM-dd HH:mm:ss}Z")
            : "not reported to the network";

    /// <summary>The SHO instances' stores, each once (in a shared database every instance has the same one).</summary>
    public async Task<IReadOnlyList<M2MSec.Storage.IStateStore>> ShoStoresAsync()
    {
        var stores = new List<M2MSec.Storage.IStateStore>();
        foreach (var sho in ShoInstances)
        {
            if (await Stores.FindAsync(sho).ConfigureAwait(false) is { } store && !stores.Contains(store))
                stores.Add(store);
        }
        return stores;
    }

    /// <summary>The SHO instances `serve all` runs.</summary>
    public static IReadOnlyList<string> ShoInstances { get; } = ["sho", "sho-b"];

    /// <summary>The roles that run DM sessions: the DM server (NAS configuration) and the DPF (provisioning).</summary>
    public static IReadOnlyList<string> DmRoles { get; } = ["dm", "dpf"];

    /// <summary>The device's DM jobs at both DM servers, under every DevId it has there (TRE id at the DM server, PCID at the DPF), newest first.</summary>
    public async Task<IReadOnlyList<(string Role, DmJobRecord Job)>> DmJobsAsync(IReadOnlyList<string> devIds, CancellationToken ct)
    {
        var jobs = new List<(string, DmJobRecord)>();
        foreach (var role in DmRoles)
        {
            if (await Stores.FindAsync(role).ConfigureAwait(false) is not { } s)
                continue;
            foreach (var id in devIds)
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
            if (await Stores.FindAsync(role).ConfigureAwait(false) is { } s)
                jobs.AddRange((await s.Dm.ListRecentJobsAsync(limit, ct).ConfigureAwait(false)).Select(j => (role, j)));
        }
        return [.. jobs.OrderByDescending(j => j.Item2.CreatedAt).Take(limit)];
    }

    /// <summary>The OTA server's jobs its audit log names ("job ID …"), newest first.</summary>
    public async Task<IReadOnlyList<OtaJobRecord>> OtaJobsAsync(IReadOnlyCollection<string>? subjects, CancellationToken ct)
    {
        if (await Stores.FindAsync("ota").ConfigureAwait(false) is not { } ota)
            return [];
        var ids = new HashSet<string>(StringComparer.Ordinal);
        var jobs = new List<OtaJobRecord>();
        var entries = subjects is null ? (await ota.Audit.ReadAsync(0, 5000, ct).ConfigureAwait(false)).Reverse()
            : await ota.Audit.ReadBySubjectsAsync(subjects, 500, ct).ConfigureAwait(false);
        foreach (var e in entries)
        {
            if (OtaJobId().Match(e.Detail ?? "") is { Success: true } m && ids.Add(m.Groups[1].Value)
                && await ota.OtaJobs.FindAsync(m.Groups[1].Value, ct).ConfigureAwait(false) is { } job)
                jobs.Add(job);
        }
        return jobs;
    }

    [GeneratedRegex(@"^job (\S+)")]
    private static partial Regex OtaJobId();

    /// <summary>The device's reports at the DM server and the DPF under each of its DevIds: DevInfo, Generic Alerts.</summary>
    public async Task<IReadOnlyList<(string Role, DmDeviceReport Report)>> ReportsAsync(IReadOnlyList<string> devIds, CancellationToken ct)
    {
        var reports = new List<(string, DmDeviceReport)>();
        foreach (var role in DmRoles)
        {
            if (await Stores.FindAsync(role).ConfigureAwait(false) is not { } s)
                continue;
            foreach (var id in devIds)
                reports.Add((role, await s.Dm.GetDeviceReportAsync(id, ct).ConfigureAwait(false)));
        }
        return reports;
    }

    /// <summary>The audit entries whose subject is one of <paramref name="subjects"/>, of every store (one query each), newest first.</summary>
    public async Task<IReadOnlyList<(string Instance, AuditEntry Entry)>> AuditOfAsync(IReadOnlyCollection<string> subjects, int limit, CancellationToken ct)
    {
        var all = new List<(string, AuditEntry)>();
        foreach (var (name, store) in await Stores.AllAsync().ConfigureAwait(false))
            all.AddRange((await store.Audit.ReadBySubjectsAsync(subjects, limit, ct).ConfigureAwait(false)).Select(e => (name, e)));
        return [.. all.OrderByDescending(e => e.Item2.At).Take(limit)];
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
}
