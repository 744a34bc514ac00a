using M2MSec.Dm.SyncMl;

namespace M2MSec.NetworkFunctions.Dm;

/// <summary>
/// Puts queued commands into one server message without exceeding the device's MaxMsgSize
/// (OMA-TS-DM_RepPro-V1_2 §6.1.1): whole commands while they fit, the rest in later messages of the same
/// package (no Final; the device asks with Alert 1222). A value too large for any message goes as a large
/// object (§6.3.4 / OMA-TS-DM_Protocol-V1_2 §8.8): chunks with MoreData, the first with Meta Size = the
/// object's octets, one chunk per message, each acknowledged with 213. The size is the length of the XML form
/// (SyncMlXml.Measure: counted, not written), which is never shorter than the WBXML form.
/// </summary>
internal static class DmMessagePacker
{
    /// <summary>Room left for the header's Cred and Final.</summary>
    private const int Margin = 256;

    /// <returns>True when the outbox is empty: this message ends the server's package.</returns>
    public static bool Fill(DmReplyBuilder reply, DmSessionState state)
    {
        var budget = state.MaxMsgSize - Margin;
        if (FitsWhole(reply, state, budget))
            return true;
        var added = 0;
        while (state.Outbox.First is { } node)
        {
            var o = node.Value;
            var text = o.Remaining ?? o.Command.Items[0].Data?.Text;
            var id = reply.Add(Piece(o, text));
            if (Size(reply) <= budget || text is not { Length: > 1 } && added == 0)
            {
                state.Sent[id] = (o.JobId, o.Seq);
                state.Outbox.RemoveFirst();
                added++;
                continue;
            }
            reply.RemoveLast();
            if (added > 0 || text is not { Length: > 1 })
                break;
            // Alone it does not fit: the longest prefix that does goes now, with MoreData (at least one character).
            var best = Math.Max(1, SyncMlLargeObject.LongestFittingPrefix(text, length =>
            {
                reply.Add(Chunk(o, text, length));
                var fits = Size(reply) <= budget;
                reply.RemoveLast();
                return fits;
            }));
            state.Sent[reply.Add(Chunk(o, text, best))] = (o.JobId, o.Seq);
            node.Value = o with { Remaining = text[best..] };
            break;
        }
        return state.Outbox.Count == 0;
    }

    /// <summary>The usual case, measured once: everything queued fits this message.</summary>
    private static bool FitsWhole(DmReplyBuilder reply, DmSessionState state, long budget)
    {
        if (state.Outbox.Count == 0)
            return true;
        var ids = state.Outbox.Select(o => reply.Add(Piece(o, o.Remaining ?? o.Command.Items[0].Data?.Text))).ToList();
        if (Size(reply) <= budget)
        {
            foreach (var (o, id) in state.Outbox.Zip(ids))
                state.Sent[id] = (o.JobId, o.Seq);
            state.Outbox.Clear();
            return true;
        }
        foreach (var _ in ids)
            reply.RemoveLast();
        return false;
    }

    /// <summary>The command with all of <paramref name="text"/>: the whole value, or the last chunk of a large object.</summary>
    private static ItemCommand Piece(DmOutgoing o, string? text) =>
        o.Remaining is null ? o.Command : WithItem(o, o.Command.Items[0] with { Data = SyncMlData.FromText(text!), MoreData = false });

    private static ItemCommand Chunk(DmOutgoing o, string text, int length) =>
        WithItem(o, SyncMlLargeObject.Chunk(o.Command.Items[0], text, length, first: o.Remaining is null));

    private static ItemCommand WithItem(DmOutgoing o, SyncMlItem item) => o.Command with { Items = [item] };

    private static long Size(DmReplyBuilder reply) => SyncMlXml.Measure(reply.Build(null, final: false));
}
