namespace M2MSec.Aka;

/// <summary>
/// SQN generation in the HE/AuC (TS 33.102 Annex C.1.1 / C.3.2, not time-based): one SEQ_HE
/// per subscriber, incremented by one per vector, with IND taken cyclically so that vectors
/// handed to different serving nodes can be used out of order (C.1.2). Pure state-transition
/// functions: the store that holds SEQ_HE and IND_HE applies them atomically.
/// </summary>
public static class HeSqnGenerator
{
    /// <summary>The next SQN after (SEQ_HE, IND_HE); returns the new counters.</summary>
    public static ulong Next(SqnScheme scheme, ref ulong seqHe, ref int indHe)
    {
        ArgumentNullException.ThrowIfNull(scheme);
        if (seqHe >= scheme.MaxSeq)
            throw new InvalidOperationException("SEQ_HE is exhausted; the subscription needs a new key.");
        seqHe++;
        var sqn = scheme.Compose(seqHe, indHe);
        indHe = (indHe + 1) % scheme.IndCount;
        return sqn;
    }

    /// <summary>
    /// Resynchronisation (§6.3.5): after MAC-S verified, if the next SQN from SEQ_HE would not be
    /// accepted by the USIM (SEQ_HE &lt; SEQ_MS), SEQ_HE := SEQ_MS. SEQ_HE never goes backwards, so
    /// a replayed AUTS cannot lower it.
    /// </summary>
    public static bool Resynchronise(SqnScheme scheme, ulong sqnMs, ref ulong seqHe)
    {
        ArgumentNullException.ThrowIfNull(scheme);
        var seqMs = scheme.Seq(sqnMs);
        if (seqMs <= seqHe)
            return false;
        seqHe = seqMs;
        return true;
    }
}
