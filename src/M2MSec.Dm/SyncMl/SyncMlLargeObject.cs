using System.Text;

namespace M2MSec.Dm.SyncMl;

/// <summary>
/// Large objects (OMA-TS-DM_RepPro-V1_2 §6.3.4, OMA-TS-DM_Protocol-V1_2 §8.8), what both sides need to send one:
/// the longest chunk that still fits a message, and the chunk's Item (MoreData; Meta Size = the whole object's
/// octets on the first chunk only).
/// </summary>
public static class SyncMlLargeObject
{
    /// <summary>
    /// The longest prefix of <paramref name="text"/> (shorter than all of it, never splitting a surrogate pair)
    /// for which <paramref name="fits"/> holds, by binary search; 0 when not even one character fits.
    /// </summary>
    public static int LongestFittingPrefix(string text, Func<int, bool> fits)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(fits);
        var (lo, hi, best) = (1, text.Length - 1, 0);
        while (lo <= hi)
        {
            var mid = (lo + hi) / 2;
            (lo, hi, best) = fits(mid) ? (mid + 1, hi, mid) : (lo, mid - 1, best);
        }
        if (best > 1 && char.IsHighSurrogate(text[best - 1]))
            best--;
        return best;
    }

    /// <summary>The Item carrying <paramref name="text"/>[..<paramref name="length"/>] with MoreData; Size when it is the object's first chunk.</summary>
    public static SyncMlItem Chunk(SyncMlItem item, string text, int length, bool first)
    {
        ArgumentNullException.ThrowIfNull(item);
        ArgumentNullException.ThrowIfNull(text);
        var meta = first ? (item.Meta ?? new SyncMlMeta()) with { Size = Encoding.UTF8.GetByteCount(text) } : item.Meta;
        return item with { Data = SyncMlData.FromText(text[..length]), MoreData = true, Meta = meta };
    }

    /// <summary>The Item carrying the rest of an object after a chunk: no MoreData (until it is split again), no Size.</summary>
    public static SyncMlItem Rest(SyncMlItem item, string rest)
    {
        ArgumentNullException.ThrowIfNull(item);
        return item with { Data = SyncMlData.FromText(rest), MoreData = false, Meta = item.Meta is null ? null : item.Meta with { Size = null } };
    }
}
