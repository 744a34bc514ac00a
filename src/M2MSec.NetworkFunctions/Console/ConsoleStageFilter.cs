using System.Runtime.CompilerServices;
using M2MSec.Storage;
using M2MSec.Storage.Ccif;
using M2MSec.Storage.Dpf;
using M2MSec.Storage.Drf;
using M2MSec.Storage.Sho;

namespace M2MSec.NetworkFunctions.Console;

/// <summary>
/// The fleet filtered by stage (issue 20, docs/decisions/032): a stage is shown only for a device with the record that proves it, so
/// the candidates are the PCIDs the stores defining the matching stages list in that state (an indexed query each, PCIDs only); each
/// candidate's stage is then worked out from all its records as everywhere else (one query per store per chunk), so the rows are
/// exactly those of a scan. A prefix that may match "manufactured" (no record at all) or the ICF's steps, or a text filter too, scans
/// the CCIF's devices instead.
/// </summary>
public sealed partial class ConsoleViews
{
    /// <summary>A stage's text (before its reason when <paramref name="Open"/>) and the store queries that list the PCIDs that may have it.</summary>
    private sealed record StageSource(string Text, bool Open, params (string Instance, Func<IStateStore, string?, int, CancellationToken, ValueTask<IReadOnlyList<string>>> List)[] Lists);

    private static (string, Func<IStateStore, string?, int, CancellationToken, ValueTask<IReadOnlyList<string>>>) Dpf(string state) =>
        ("dpf", (s, after, limit, ct) => s.Dpf.ListPcidsAsync(state, after, limit, ct));

    private static (string, Func<IStateStore, string?, int, CancellationToken, ValueTask<IReadOnlyList<string>>>) Sho(string instance, string state) =>
        (instance, (s, after, limit, ct) => s.Sho.ListPcidsAsync(state, after, limit, ct));

    private static (string, Func<IStateStore, string?, int, CancellationToken, ValueTask<IReadOnlyList<string>>>)[] Shos(string state) =>
        [.. ShoInstances.Select(i => Sho(i, state))];

    private static (string, Func<IStateStore, string?, int, CancellationToken, ValueTask<IReadOnlyList<string>>>) Registrations(string state) =>
        ("drf", (s, after, limit, ct) => s.Drf.ListRegistrationPcidsAsync(state, after, limit, ct));

    /// <summary>Every stage <see cref="StageOf"/> gives but "manufactured" and the ICF's steps (4, 8), with where its devices are found.</summary>
    private static StageSource[] StageSources => _stageSources ??=
    [
        new("failed: PfC revoked (", true, ("ccif", (s, after, limit, ct) => s.Ccif.ListRevokedPcidsAsync(after, limit, ct))),
        new("failed: ", true, [Dpf(DpfProvisioning.Failed), .. Shos(ShoSubscription.Failed)]),
        new("refused: ", true, Shos(ShoSubscription.Refused)),
        new("failed: platform invalid (", true, ("pva", (s, after, limit, ct) => s.Pva.ListPcidsAsync("invalid", after, limit, ct))),
        new("failed: change of subscription (", true, ("drf", (s, after, limit, ct) => s.Drf.ListChangePcidsAsync(DrfChange.Failed, after, limit, ct))),
        new("provisioned", false, [Dpf(DpfProvisioning.Installed), .. Shos(ShoSubscription.Active)]),
        new(StepName(10), false, Registrations("bootstrapped")),
        new(StepName(11), false, Dpf(DpfProvisioning.Reading)),
        new(StepName(12), false, Registrations("registered"), Dpf(DpfProvisioning.Registered)),
        new(StepName(13), false, Shos(ShoSubscription.Validating)),
        new(StepName(14), false, Dpf(DpfProvisioning.Attesting)),
        new(StepName(15), false, Dpf(DpfProvisioning.Validated)),
        new(StepName(17), false, Shos(ShoSubscription.Downloading)),
        new(StepName(18), false, Dpf(DpfProvisioning.Downloading)),
        new(StepName(20), false, Dpf(DpfProvisioning.Installed)),
    ];

    private static StageSource[]? _stageSources;

    /// <summary>The stages a scan has to find: no record names their devices in one query.</summary>
    private static string[] ScannedStages => _scannedStages ??= ["manufactured", StepName(4), StepName(8)];

    private static string[]? _scannedStages;

    private static string StepName(int step) => Steps.First(s => s.Step == step).Name;

    /// <summary>The PCIDs that may be at a stage starting with <paramref name="prefix"/>, by PCID; null when only a scan finds them.</summary>
    private async Task<IReadOnlyList<string>?> StageCandidatesAsync(string prefix, CancellationToken ct)
    {
        if (ScannedStages.Any(s => s.StartsWith(prefix, StringComparison.Ordinal)))
            return null;
        var candidates = new HashSet<string>(StringComparer.Ordinal);
        foreach (var source in StageSources.Where(s => s.Text.StartsWith(prefix, StringComparison.Ordinal) || (s.Open && prefix.StartsWith(s.Text, StringComparison.Ordinal))))
        {
            foreach (var (instance, list) in source.Lists)
            {
                if (await Stores.FindAsync(instance).ConfigureAwait(false) is not { } store)
                    continue;
                for (string? after = null; ;)
                {
                    var page = await list(store, after, RecordsChunk, ct).ConfigureAwait(false);
                    candidates.UnionWith(page);
                    if (page.Count < RecordsChunk)
                        break;
                    after = page[^1];
                }
            }
        }
        return [.. candidates.Order(StringComparer.Ordinal)];
    }

    /// <summary>The CCIF's devices among <paramref name="pcids"/> (by PCID) with their records, a chunk at a time.</summary>
    private async IAsyncEnumerable<(CcifDeviceSummary Device, TreRecords Records)> CandidateRecordsAsync(ICcifStore ccif, IReadOnlyList<string> pcids,
        [EnumeratorCancellation] CancellationToken ct)
    {
        foreach (var chunk in pcids.Chunk(RecordsChunk))
        {
            var wanted = chunk.ToHashSet(StringComparer.Ordinal);
            var devices = (await ccif.FindByIdsAsync(wanted, ct).ConfigureAwait(false)).Where(d => wanted.Contains(d.Pcid)).OrderBy(d => d.Pcid, StringComparer.Ordinal).ToList();
            var records = await RecordsOfAsync([.. devices.Select(d => d.Pcid)], ct).ConfigureAwait(false);
            foreach (var d in devices)
                yield return (d, records[d.Pcid]);
        }
    }

    /// <summary>The TRE-based devices to test for the filter's stage: its candidates, or every device matching the text.</summary>
    private async Task<IAsyncEnumerable<(CcifDeviceSummary Device, TreRecords Records)>> StageFilteredAsync(ICcifStore ccif, FleetFilter filter, CancellationToken ct) =>
        filter.Text is null && await StageCandidatesAsync(filter.Stage!, ct).ConfigureAwait(false) is { } candidates
            ? CandidateRecordsAsync(ccif, candidates, ct)
            : TreRecordsAsync(ccif, filter.Text, ct);
}
