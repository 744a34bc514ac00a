namespace M2MSec.Aka;

/// <summary>
/// The operator-selectable rotation constants r1..r5 (bits) and addition constants c1..c5
/// of MILENAGE (TS 35.206 §4.1). <see cref="Default"/> holds the values the specification
/// proposes: r = 64, 0, 32, 64, 96 and c1..c5 = 0, 1, 2, 4, 8 in the last octet.
/// </summary>
public sealed class MilenageParameters
{
    private readonly byte[][] _c;
    private readonly int[] _r;

    public MilenageParameters(ReadOnlySpan<int> r, IReadOnlyList<byte[]> c)
    {
        if (r.Length != 5)
            throw new ArgumentException("MILENAGE has exactly five rotation constants r1..r5.", nameof(r));
        if (c is null || c.Count != 5)
            throw new ArgumentException("MILENAGE has exactly five addition constants c1..c5.", nameof(c));
        _r = new int[5];
        _c = new byte[5][];
        for (var i = 0; i < 5; i++)
        {
            if (r[i] is < 0 or > 127)
                throw new ArgumentOutOfRangeException(nameof(r), $"r{i + 1} must be 0..127 bits, got {r[i]}.");
            if (c[i] is null || c[i].Length != 16)
                throw new ArgumentException($"c{i + 1} must be 16 octets.", nameof(c));
            _r[i] = r[i];
            _c[i] = (byte[])c[i].Clone();
        }
    }

    /// <summary>TS 35.206 §4.1 default constants.</summary>
    public static MilenageParameters Default { get; } = new(
        [64, 0, 32, 64, 96],
        [LastOctet(0), LastOctet(1), LastOctet(2), LastOctet(4), LastOctet(8)]);

    /// <summary>Rotation constant r<paramref name="i"/> in bits, i = 1..5.</summary>
    public int R(int i) => _r[i - 1];

    /// <summary>Addition constant c<paramref name="i"/>, i = 1..5.</summary>
    public ReadOnlySpan<byte> C(int i) => _c[i - 1];

    internal bool AllRotationsByteAligned => _r.All(r => r % 8 == 0);

    private static byte[] LastOctet(byte value)
    {
        var c = new byte[16];
        c[15] = value;
        return c;
    }
}
