namespace M2MSec.Aka;

/// <summary>
/// The SQN generation and verification scheme of TS 33.102 Annex C: SQN (48 bits) = SEQ || IND,
/// IND being the <see cref="IndBits"/> least significant bits (C.1.1); the USIM keeps one SEQ_MS
/// per IND value (C.2.1); <see cref="Delta"/> bounds how far a new SEQ may jump ahead of the
/// highest accepted one (C.2.2, wrap-around protection) and <see cref="L"/> how far behind it an
/// accepted SEQ may lie (C.2.2, age limit). Values: docs/decisions/001-sqn-scheme.md.
/// </summary>
public sealed record SqnScheme
{
    public const ulong SqnMask = (1UL << 48) - 1;

    public SqnScheme(int indBits = 5, ulong delta = 1UL << 28, ulong l = 1UL << 10)
    {
        if (indBits is < 0 or > 10)
            throw new ArgumentOutOfRangeException(nameof(indBits), "IND length must be 0..10 bits.");
        if (delta == 0 || delta >= 1UL << (48 - indBits))
            throw new ArgumentOutOfRangeException(nameof(delta), "Δ must be positive and below 2^(48 - IND length).");
        if (l == 0)
            throw new ArgumentOutOfRangeException(nameof(l), "L must be positive.");
        IndBits = indBits;
        Delta = delta;
        L = l;
    }

    public static SqnScheme Default { get; } = new();

    /// <summary>Length of IND in bits (Annex C.1.1 suggests 5).</summary>
    public int IndBits { get; }

    /// <summary>Number of IND values, i.e. the size of the USIM's SEQ_MS array.</summary>
    public int IndCount => 1 << IndBits;

    /// <summary>Largest accepted step ahead of the highest SEQ_MS (Annex C.2.2: Δ, e.g. 2^28).</summary>
    public ulong Delta { get; }

    /// <summary>Largest accepted age behind the highest SEQ_MS (Annex C.2.2: L).</summary>
    public ulong L { get; }

    /// <summary>Largest SEQ value that fits.</summary>
    public ulong MaxSeq => SqnMask >> IndBits;

    public ulong Seq(ulong sqn) => (sqn & SqnMask) >> IndBits;

    public int Ind(ulong sqn) => (int)(sqn & ((1UL << IndBits) - 1));

    public ulong Compose(ulong seq, int ind)
    {
        if (seq > MaxSeq)
            throw new ArgumentOutOfRangeException(nameof(seq), "SEQ does not fit in SQN.");
        if ((uint)ind >= (uint)IndCount)
            throw new ArgumentOutOfRangeException(nameof(ind), $"IND must be below {IndCount}.");
        return seq << IndBits | (uint)ind;
    }
}
