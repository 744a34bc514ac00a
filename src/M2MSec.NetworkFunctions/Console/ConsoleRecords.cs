using System.Runtime.CompilerServices;
using M2MSec.Storage.Ccif;
using M2MSec.Storage.Dpf;
using M2MSec.Storage.Drf;
using M2MSec.Storage.Icf;
using M2MSec.Storage.Pva;
using M2MSec.Storage.Sho;

namespace M2MSec.NetworkFunctions.Console;

/// <summary>
/// What the ICF, DRF, DPF, SHOs and PVA record of TRE-based devices (issue 20, docs/decisions/032): for one device (its page) or for
/// many (the fleet's page, the stage filter, the funnel): one query per store for a chunk of PCIDs, no lookup per device.
/// </summary>
public sealed partial class ConsoleViews
{
    /// <summary>How many PCIDs one query of a chunk names (an IN list: SQLite takes 32,766 parameters, PostgreSQL 65,535).</summary>
    private const int RecordsChunk = 1000;

    /// <summary>How many of a PCID's latest PVA validations decide whether its platform was found invalid.</summary>
    private const int PvaWindow = 5;

    /// <summary>The records of one PCID that decide its step and stage.</summary>
    private sealed record TreRecords(bool VectorsIssued, IcfPcidUse? Use, DrfRegistration? Registration, DrfChange? Change, DpfProvisioning? Provisioning,
        IReadOnlyList<(string Sho, ShoSubscription Subscription)> Subscriptions, string? InvalidPlatform);

    /// <summary>The PVA's verdict on the platform: the reason when its last settled validation (of the latest few) was invalid, else null.</summary>
    private static string? InvalidPlatform(IEnumerable<PvaValidation> latest) =>
        latest.Where(v => v.State != PvaValidation.Pending).MaxBy(v => v.CreatedAt) is { State: "invalid" } last ? last.Reason ?? "refused" : null;

    /// <summary>Every TRE-based device (filtered by <paramref name="text"/>) with its records: the CCIF read a chunk at a time, each store asked once per chunk.</summary>
    private async IAsyncEnumerable<(CcifDeviceSummary Device, TreRecords Records)> TreRecordsAsync(ICcifStore ccif, string? text, [EnumeratorCancellation] CancellationToken ct)
    {
        for (var offset = 0; ; offset += RecordsChunk)
        {
            var chunk = await ccif.SearchDevicesAsync(text, offset, RecordsChunk, ct).ConfigureAwait(false);
            var records = await RecordsOfAsync([.. chunk.Select(d => d.Pcid)], ct).ConfigureAwait(false);
            foreach (var d in chunk)
                yield return (d, records[d.Pcid]);
            if (chunk.Count < RecordsChunk)
                yield break;
        }
    }

    /// <summary>The records of many PCIDs: one query per store for all of them.</summary>
    private async Task<IReadOnlyDictionary<string, TreRecords>> RecordsOfAsync(IReadOnlyList<string> pcids, CancellationToken ct)
    {
        var vectors = new HashSet<string>(StringComparer.Ordinal);
        var uses = new Dictionary<string, IcfPcidUse>(StringComparer.Ordinal);
        if (pcids.Count > 0 && await Stores.FindAsync("icf").ConfigureAwait(false) is { } icf)
        {
            vectors.UnionWith(await icf.Subscribers.FindWithVectorsAsync(pcids, ct).ConfigureAwait(false));
            foreach (var u in await icf.Icf.FindUsesAsync(pcids, ct).ConfigureAwait(false))
                uses[u.Pcid] = u;
        }
        var registrations = new Dictionary<string, DrfRegistration>(StringComparer.Ordinal);
        var changes = new Dictionary<string, DrfChange>(StringComparer.Ordinal);
        if (pcids.Count > 0 && await Stores.FindAsync("drf").ConfigureAwait(false) is { } drf)
        {
            foreach (var r in await drf.Drf.FindRegistrationsAsync(pcids, ct).ConfigureAwait(false))
                registrations[r.Pcid] = r;
            foreach (var c in await drf.Drf.FindChangesAsync(pcids, ct).ConfigureAwait(false))
                changes[c.Pcid] = c;
        }
        var provisionings = pcids.Count > 0 && await Stores.FindAsync("dpf").ConfigureAwait(false) is { } dpf
            ? (await dpf.Dpf.FindManyAsync(pcids, ct).ConfigureAwait(false)).ToDictionary(p => p.Pcid, StringComparer.Ordinal)
            : [];
        var subscriptions = new Dictionary<string, List<(string, ShoSubscription)>>(StringComparer.Ordinal);
        foreach (var name in ShoInstances)
        {
            if (pcids.Count == 0 || await Stores.FindAsync(name).ConfigureAwait(false) is not { } sho)
                continue;
            // Summaries: the console shows states, never K or OPc, and these queries never read them.
            foreach (var s in await sho.Sho.FindSummariesAsync(pcids, ct).ConfigureAwait(false))
            {
                if (!subscriptions.TryGetValue(s.Pcid, out var list))
                    subscriptions[s.Pcid] = list = [];
                list.Add((name, new ShoSubscription(s.Pcid, s.TreId, [], [], [], [], null, s.State, s.Imsi, null, null, s.Reason, s.CreatedAt, s.UpdatedAt)));
            }
        }
        var invalid = pcids.Count > 0 && await Stores.FindAsync("pva").ConfigureAwait(false) is { } pva
            ? (await pva.Pva.ListValidationsAsync(pcids, PvaWindow, ct).ConfigureAwait(false)).GroupBy(v => v.Pcid, StringComparer.Ordinal)
                .Select(g => (g.Key, Reason: InvalidPlatform(g))).Where(x => x.Reason is not null).ToDictionary(x => x.Key, x => x.Reason, StringComparer.Ordinal)
            : [];
        var records = new Dictionary<string, TreRecords>(StringComparer.Ordinal);
        foreach (var pcid in pcids)
        {
            records[pcid] = new TreRecords(vectors.Contains(pcid), uses.GetValueOrDefault(pcid), registrations.GetValueOrDefault(pcid), changes.GetValueOrDefault(pcid),
                provisionings.GetValueOrDefault(pcid), subscriptions.TryGetValue(pcid, out var mine) ? mine : [], invalid.GetValueOrDefault(pcid));
        }
        return records;
    }

    /// <summary>The records of one PCID (the device's page): the same queries as for many, so the same step and stage, and no SHO key read.</summary>
    private async Task<TreRecords> RecordsOfAsync(string pcid, CancellationToken ct) => (await RecordsOfAsync([pcid], ct).ConfigureAwait(false))[pcid];
}
