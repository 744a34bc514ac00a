using M2MSec.Aka;

namespace M2MSec.Tests.Aka;

/// <summary>TS 33.102 Annex C: SQN = SEQ || IND, the USIM's SEQ_MS array and the limits Δ and L.</summary>
public sealed class SqnSchemeTests
{
    private static readonly SqnScheme Scheme = new(indBits: 5, delta: 1000, l: 50);

    [Fact]
    public void Compose_SplitsSeqAndInd()
    {
        var sqn = Scheme.Compose(0x123456, 17);
        Assert.Equal(0x123456UL, Scheme.Seq(sqn));
        Assert.Equal(17, Scheme.Ind(sqn));
        Assert.Equal((0x123456UL << 5) | 17, sqn);
        Assert.Throws<ArgumentOutOfRangeException>(() => Scheme.Compose(1, 32));
        Assert.Throws<ArgumentOutOfRangeException>(() => Scheme.Compose(Scheme.MaxSeq + 1, 0));
    }

    [Fact]
    public void Usim_AcceptsOutOfOrderAcrossIndSlots_ButNotTwiceInOne()
    {
        var usim = new UsimSqnState(Scheme);
        var v1 = Scheme.Compose(1, 0);
        var v2 = Scheme.Compose(2, 1);
        var v3 = Scheme.Compose(3, 2);
        usim.Accept(v3);
        Assert.True(usim.IsFresh(v1));
        usim.Accept(v1);
        usim.Accept(v2);
        Assert.False(usim.IsFresh(v3)); // replay
        Assert.False(usim.IsFresh(v1));
        Assert.False(usim.IsFresh(Scheme.Compose(2, 2))); // lower SEQ in a used slot
        Assert.Equal(3UL, usim.HighestSeq);
    }

    [Fact]
    public void Usim_RefusesJumpBeyondDelta_WrapAroundProtection()
    {
        var usim = new UsimSqnState(Scheme);
        usim.Accept(Scheme.Compose(10, 0));
        Assert.True(usim.IsFresh(Scheme.Compose(1010, 1)));
        Assert.False(usim.IsFresh(Scheme.Compose(1011, 1)));
    }

    [Fact]
    public void Usim_RefusesSeqOlderThanL_BehindTheHighest()
    {
        var usim = new UsimSqnState(Scheme);
        usim.Accept(Scheme.Compose(100, 0));
        Assert.True(usim.IsFresh(Scheme.Compose(50, 1)));
        Assert.False(usim.IsFresh(Scheme.Compose(49, 1)));
    }

    [Fact]
    public void SqnMs_IsHighestAcceptedWithItsInd()
    {
        var usim = new UsimSqnState(Scheme);
        usim.Accept(Scheme.Compose(7, 3));
        usim.Accept(Scheme.Compose(9, 12));
        usim.Accept(Scheme.Compose(8, 4));
        Assert.Equal(Scheme.Compose(9, 12), usim.SqnMs());
    }

    [Fact]
    public void Accept_OfStaleSqn_Throws_AndChangesNothing()
    {
        var usim = new UsimSqnState(Scheme);
        usim.Accept(Scheme.Compose(5, 0));
        var before = usim.Snapshot();
        Assert.Throws<InvalidOperationException>(() => usim.Accept(Scheme.Compose(5, 0)));
        Assert.Equal(before, usim.Snapshot());
    }

    [Fact]
    public void HeGenerator_IncrementsSeq_CyclesInd_AndResyncNeverGoesBack()
    {
        ulong seq = 0;
        var ind = 0;
        var a = HeSqnGenerator.Next(Scheme, ref seq, ref ind);
        var b = HeSqnGenerator.Next(Scheme, ref seq, ref ind);
        Assert.Equal(Scheme.Compose(1, 0), a);
        Assert.Equal(Scheme.Compose(2, 1), b);
        Assert.True(HeSqnGenerator.Resynchronise(Scheme, Scheme.Compose(500, 3), ref seq));
        Assert.Equal(500UL, seq);
        Assert.False(HeSqnGenerator.Resynchronise(Scheme, Scheme.Compose(100, 3), ref seq));
        Assert.Equal(500UL, seq);
    }

    [Fact]
    public void Sqn_ReadsAndWritesSixOctetsBigEndian()
    {
        Assert.Equal(0xff9bb4d0b607UL, Sqn.Read(Convert.FromHexString("ff9bb4d0b607")));
        Assert.Equal("ff9bb4d0b607", Convert.ToHexStringLower(Sqn.ToBytes(0xff9bb4d0b607UL)));
        Assert.Throws<ArgumentOutOfRangeException>(() => Sqn.ToBytes(1UL << 48));
        Assert.Throws<ArgumentException>(() => Sqn.Read(new byte[5]));
    }
}
