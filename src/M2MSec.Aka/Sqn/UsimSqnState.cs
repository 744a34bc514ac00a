namespace M2MSec.Aka;

/// <summary>
/// The USIM's record of accepted sequence numbers (TS 33.102 Annex C.2): SEQ_MS(i) for each
/// IND value i. Not thread-safe: a USIM runs one AUTHENTICATE at a time.
/// </summary>
public sealed class UsimSqnState
{
    private readonly ulong[] _seqMs;

    public UsimSqnState(SqnScheme scheme)
    {
        Scheme = scheme ?? throw new ArgumentNullException(nameof(scheme));
        _seqMs = new ulong[scheme.IndCount];
    }

    /// <summary>Restores a persisted array (see <see cref="Snapshot"/>).</summary>
    public UsimSqnState(SqnScheme scheme, ReadOnlySpan<ulong> seqMs) : this(scheme)
    {
        if (seqMs.Length != scheme.IndCount)
            throw new ArgumentException($"Expected {scheme.IndCount} SEQ_MS values, got {seqMs.Length}.", nameof(seqMs));
        seqMs.CopyTo(_seqMs);
    }

    public SqnScheme Scheme { get; }

    /// <summary>The highest SEQ accepted so far, over all IND values.</summary>
    public ulong HighestSeq => _seqMs.Max();

    public ulong[] Snapshot() => (ulong[])_seqMs.Clone();

    /// <summary>
    /// Annex C.2.2: SQN is fresh when SEQ &gt; SEQ_MS(IND), SEQ − SEQ_MS ≤ Δ (no jump that
    /// could wrap the counter) and SEQ_MS − SEQ ≤ L (not too old), SEQ_MS being the highest
    /// accepted SEQ.
    /// </summary>
    public bool IsFresh(ulong sqn)
    {
        var seq = Scheme.Seq(sqn);
        var ind = Scheme.Ind(sqn);
        var highest = HighestSeq;
        if (seq <= _seqMs[ind])
            return false;
        if (seq > highest && seq - highest > Scheme.Delta)
            return false;
        if (seq < highest && highest - seq > Scheme.L)
            return false;
        return true;
    }

    /// <summary>Records an accepted SQN: SEQ_MS(IND) := SEQ.</summary>
    public void Accept(ulong sqn)
    {
        if (!IsFresh(sqn))
            throw new InvalidOperationException("Only a fresh SQN can be accepted.");
        _seqMs[Scheme.Ind(sqn)] = Scheme.Seq(sqn);
    }

    /// <summary>
    /// SQN_MS for a synchronisation failure (§6.3.3, Annex C.3): the highest accepted SEQ_MS with
    /// the IND under which it was accepted.
    /// </summary>
    public ulong SqnMs()
    {
        var best = 0;
        for (var i = 1; i < _seqMs.Length; i++)
            if (_seqMs[i] > _seqMs[best])
                best = i;
        return Scheme.Compose(_seqMs[best], best);
    }
}
