using M2MSec.NetworkFunctions.Ota;
using M2MSec.Storage.Ccif;
using M2MSec.Storage.Devices;

namespace M2MSec.NetworkFunctions.Console;

/// <summary>
/// The fleet's UICC-based devices (issue 20, docs/decisions/032): the DM server's accounts of no CCIF device, and the OTA server's cards
/// registered with their USIM's IMSI (`device run --kind uicc`) — one row each, never both for one device. A card whose DM account has
/// its ICCID as DevId (`device run --kind uicc`, decision 033) is the card's row, with that account's last session.
/// </summary>
public sealed partial class ConsoleViews
{
    private const string UiccStage = "uicc (AKA, no remote provisioning)";

    /// <summary>The UICC-based devices' rows, each read only when on the page: the DM server's accounts of no CCIF device, then the OTA server's cards registered with their IMSI.</summary>
    private async IAsyncEnumerable<Func<Task<FleetDevice>>> UiccRowsAsync(ICcifStore? ccif, string? text, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct)
    {
        await foreach (var devId in UiccAccountsAsync(ccif, text, ct).ConfigureAwait(false))
            yield return () => UiccDeviceAsync(devId, ct);
        await foreach (var card in UiccCardsAsync(text, ct).ConfigureAwait(false))
            yield return () => UiccCardDeviceAsync(card, ct);
    }

    /// <summary>
    /// The OTA server's cards registered with their USIM's IMSI (`device run --kind uicc`), a chunk at a time, by ICCID; a card whose IMSI
    /// (and not its ICCID) is a DM account's DevId is that account's row already.
    /// </summary>
    private async IAsyncEnumerable<DeviceRecord> UiccCardsAsync(string? text, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct)
    {
        if (await Stores.FindAsync("ota").ConfigureAwait(false) is not { } ota)
            yield break;
        var dm = await Stores.FindAsync("dm").ConfigureAwait(false);
        string? after = null;
        while (true)
        {
            var cards = await ota.Devices.ListAsync(OtaServerFunction.UiccDeviceKind, text, after, Chunk, ct).ConfigureAwait(false);
            foreach (var card in cards)
            {
                if (dm is null || !await HasDmAccountAsync(dm, card, ct).ConfigureAwait(false))
                    yield return card;
            }
            if (cards.Count < Chunk)
                yield break;
            after = cards[^1].DeviceId;
        }
    }

    /// <summary>Whether the DM server has an account under the card's IMSI and none under its ICCID (passwords wiped at once).</summary>
    private static async Task<bool> HasDmAccountAsync(M2MSec.Storage.IStateStore dm, DeviceRecord card, CancellationToken ct) =>
        !await HasAccountAsync(dm, card.DeviceId, ct).ConfigureAwait(false) && card.Pcid is { } imsi && await HasAccountAsync(dm, imsi, ct).ConfigureAwait(false);

    private static async Task<bool> HasAccountAsync(M2MSec.Storage.IStateStore dm, string devId, CancellationToken ct)
    {
        if (await dm.Dm.FindAccountAsync(devId, ct).ConfigureAwait(false) is not { } account)
            return false;
        Array.Clear(account.ClientPassword);
        Array.Clear(account.ServerPassword);
        return true;
    }

    /// <summary>A card's row: its ICCID as id, its IMSI (the device registry's PCID column: a UICC-based device's PCID is its IMSI), its battery figure.</summary>
    private async Task<FleetDevice> UiccCardDeviceAsync(DeviceRecord card, CancellationToken ct) =>
        new(card.DeviceId, "uicc", card.Pcid, -1, UiccStage, null, null, await LastSessionAsync([("dm", card.DeviceId)], ct).ConfigureAwait(false), "no",
            await BatteryAsync(await Stores.FindAsync("vno").ConfigureAwait(false), card.Pcid ?? card.DeviceId, ct).ConfigureAwait(false))
        {
            DevIds = card.Pcid is { } imsi ? [card.DeviceId, imsi] : [card.DeviceId],
        };

    /// <summary>
    /// The DM server's accounts of no CCIF device and no registered card, by DevId: read a chunk at a time, joined to the CCIF by TRE id
    /// in one query per chunk; an account whose DevId is a card's ICCID is that card's row.
    /// </summary>
    private async IAsyncEnumerable<string> UiccAccountsAsync(ICcifStore? ccif, string? text, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct)
    {
        if (await Stores.FindAsync("dm").ConfigureAwait(false) is not { } dm)
            yield break;
        var ota = await Stores.FindAsync("ota").ConfigureAwait(false);
        string? after = null;
        while (true)
        {
            var ids = await dm.Dm.ListAccountIdsAsync(text, after, Chunk, ct).ConfigureAwait(false);
            var tre = ccif is null ? [] : (await ccif.FindByIdsAsync(ids, ct).ConfigureAwait(false)).SelectMany(d => new[] { d.TreId, d.Pcid }).ToHashSet(StringComparer.Ordinal);
            foreach (var id in ids.Where(i => !tre.Contains(i)))
            {
                if (ota is null || await ota.Devices.FindAsync(id, ct).ConfigureAwait(false) is not { Kind: OtaServerFunction.UiccDeviceKind })
                    yield return id;
            }
            if (ids.Count < Chunk)
                yield break;
            after = ids[^1];
        }
    }

    private async Task<FleetDevice> UiccDeviceAsync(string devId, CancellationToken ct) =>
        new(devId, "uicc", null, -1, UiccStage, null, null, await LastSessionAsync([("dm", devId)], ct).ConfigureAwait(false), "no",
            await BatteryAsync(await Stores.FindAsync("vno").ConfigureAwait(false), devId, ct).ConfigureAwait(false));
}
