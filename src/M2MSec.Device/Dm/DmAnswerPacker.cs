using M2MSec.Dm.SyncMl;

namespace M2MSec.Device.Dm;

/// <summary>
/// Keeps each device message within the server's MaxMsgSize (OMA-TS-DM_RepPro-V1_2 §6.1.1): answers while they
/// fit; a Results too large for the message goes as a large object (§6.3.4) — the largest prefix that fits with
/// MoreData (Meta Size = the object's octets on the first chunk), the rest and everything after it in the next
/// message, once the server has acknowledged with 213 and asked with Alert 1222. Measured on the XML form, as sent.
/// </summary>
internal sealed class DmAnswerPacker
{
    /// <summary>Room for the header (Cred, Meta) and Final.</summary>
    private const int Margin = 256;

    /// <summary>Results whose first chunk has gone (no Size on the later ones).</summary>
    private readonly HashSet<ResultsCommand> _continuations = new(ReferenceEqualityComparer.Instance);

    /// <returns>What goes now (after <paramref name="first"/>) and what waits for the next message.</returns>
    public (List<SyncMlCommand> Now, List<SyncMlCommand> Later) Pack(IReadOnlyList<SyncMlCommand> first, IReadOnlyList<SyncMlCommand> queue, long maxMsgSize,
        Func<IReadOnlyList<SyncMlCommand>, long> size)
    {
        var budget = maxMsgSize - Margin;
        if (size([.. first, .. queue]) <= budget)
            return ([.. first, .. queue], []); // the usual case, measured once
        var now = new List<SyncMlCommand>(first);
        for (var i = 0; i < queue.Count; i++)
        {
            now.Add(queue[i]);
            if (size(now) <= budget)
                continue;
            now.RemoveAt(now.Count - 1);
            if (queue[i] is ResultsCommand { Items: [{ Data.Text: { Length: > 1 } text } item] } results)
            {
                var isFirst = !_continuations.Contains(results);
                var best = SyncMlLargeObject.LongestFittingPrefix(text, length =>
                {
                    now.Add(results with { Items = [SyncMlLargeObject.Chunk(item, text, length, isFirst)] });
                    var fits = size(now) <= budget;
                    now.RemoveAt(now.Count - 1);
                    return fits;
                });
                if (best > 0)
                {
                    now.Add(results with { Items = [SyncMlLargeObject.Chunk(item, text, best, isFirst)] });
                    var rest = results with { Items = [SyncMlLargeObject.Rest(item, text[best..])] };
                    _continuations.Add(rest);
                    return (now, [rest, .. queue.Skip(i + 1)]);
                }
            }
            if (now.Count == first.Count)
            {
                now.Add(queue[i]); // cannot be split: it goes alone, however large
                return (now, [.. queue.Skip(i + 1)]);
            }
            return (now, [.. queue.Skip(i)]);
        }
        return (now, []);
    }
}
