namespace M2MSec.Dm.SyncMl;

/// <summary>What the XML and WBXML codecs share: turning a parsed tree (or a failure) into a message or an error.</summary>
internal static class SyncMlCodec
{
    /// <summary>
    /// Runs <paramref name="parse"/> (which builds the tree and reports the SyncHdr node once it is complete),
    /// then maps the tree. Every failure, including one from the underlying reader, becomes a <see cref="SyncMlError"/>.
    /// </summary>
    public static bool TryDecode(
        Func<Action<SyncMlNode>, SyncMlNode> parse,
        Func<Exception, SyncMlError?> classify,
        SyncMlLimits limits,
        out SyncMlMessage? message,
        out SyncMlError? error)
    {
        SyncMlNode? hdr = null;
        SyncHeader? header = null;
        message = null;
        error = null;
        try
        {
            var root = parse(h => hdr = h);
            hdr ??= SyncMlTreeReader.Required(root, "SyncHdr");
            header = SyncMlTreeReader.ReadHeader(hdr);
            if (header.VerDtd != SyncHeader.DmVerDtd)
                throw new SyncMlFormatException(SyncMlErrorReason.UnsupportedDtdVersion, $"VerDTD {header.VerDtd}");
            if (header.VerProto != SyncHeader.DmVerProto)
                throw new SyncMlFormatException(SyncMlErrorReason.UnsupportedProtocolVersion, $"VerProto {header.VerProto}");
            message = new SyncMlTreeReader(limits).ReadMessage(root, header);
            return true;
        }
        catch (Exception e) when (e is SyncMlFormatException || classify(e) is not null)
        {
            var (reason, text) = e is SyncMlFormatException f ? (f.Reason, f.Message) : (classify(e)!.Reason, classify(e)!.Message);
            error = new SyncMlError(reason, text, header ?? TryHeader(hdr));
            return false;
        }
    }

    private static SyncHeader? TryHeader(SyncMlNode? hdr)
    {
        if (hdr is null)
            return null;
        try
        {
            return SyncMlTreeReader.ReadHeader(hdr);
        }
        catch (SyncMlFormatException)
        {
            return null;
        }
    }
}
