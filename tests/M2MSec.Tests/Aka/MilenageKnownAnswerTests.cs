using M2MSec.Aka;
using M2MSec.Tests.Support;

namespace M2MSec.Tests.Aka;

/// <summary>3GPP TS 35.208 §4.3 conformance test sets 1–6 (tests/vectors/ts35208), on both AES paths.</summary>
public sealed class MilenageKnownAnswerTests
{
    public static TheoryData<int, bool> Sets()
    {
        var data = new TheoryData<int, bool>();
        var count = TestVectors.Load("ts35208/milenage-sets-1-6.json").GetProperty("sets").GetArrayLength();
        for (var i = 0; i < count; i++)
        {
            data.Add(i, true);
            data.Add(i, false);
        }
        return data;
    }

    private static System.Text.Json.JsonElement Set(int index) =>
        TestVectors.Load("ts35208/milenage-sets-1-6.json").GetProperty("sets")[index];

    private static Milenage Implementation(bool aesNi) => new(MilenageParameters.Default, preferAesNi: aesNi);

    [Fact]
    public void VectorFile_HoldsSixDistinctSets()
    {
        var sets = TestVectors.Load("ts35208/milenage-sets-1-6.json").GetProperty("sets");
        Assert.Equal(6, sets.GetArrayLength());
        Assert.Equal(6, sets.EnumerateArray().Select(s => s.GetProperty("K").GetString()).Distinct().Count());
    }

    [Theory]
    [MemberData(nameof(Sets))]
    public void Opc_FromOp_MatchesTs35208(int set, bool aesNi)
    {
        var v = Set(set);
        var opc = new byte[16];
        Implementation(aesNi).ComputeOpc(v.Hex("K"), v.Hex("OP"), opc);
        Assert.Equal(v.Hex("OPc"), opc);
    }

    [Theory]
    [MemberData(nameof(Sets))]
    public void F1ToF5Star_MatchTs35208(int set, bool aesNi)
    {
        var v = Set(set);
        Implementation(aesNi).Compute(v.Hex("K"), v.Hex("OPc"), v.Hex("RAND"), v.Hex("SQN"), v.Hex("AMF"), out var o, includeF5Star: true);
        Assert.Equal(v.Hex("f1"), o.MacA.ToArray());
        Assert.Equal(v.Hex("f1*"), o.MacS.ToArray());
        Assert.Equal(v.Hex("f2"), o.Res.ToArray());
        Assert.Equal(v.Hex("f3"), o.Ck.ToArray());
        Assert.Equal(v.Hex("f4"), o.Ik.ToArray());
        Assert.Equal(v.Hex("f5"), o.Ak.ToArray());
        Assert.Equal(v.Hex("f5*"), o.AkStar.ToArray());
    }

    [Theory]
    [MemberData(nameof(Sets))]
    public void Autn_IsSqnXorAk_Amf_MacA(int set, bool aesNi)
    {
        var v = Set(set);
        var av = AkaVectors.Generate(Implementation(aesNi), v.Hex("K"), v.Hex("OPc"), v.Hex("RAND"), Sqn.Read(v.Hex("SQN")), v.Hex("AMF"));
        var sqn = v.Hex("SQN");
        var ak = v.Hex("f5");
        byte[] expected = [.. sqn.Zip(ak, (a, b) => (byte)(a ^ b)), .. v.Hex("AMF"), .. v.Hex("f1")];
        Assert.Equal(expected, av.Autn);
        Assert.Equal(v.Hex("f2"), av.Xres);
        Assert.Equal(v.Hex("f3"), av.Ck);
        Assert.Equal(v.Hex("f4"), av.Ik);
    }

    [Theory]
    [MemberData(nameof(Sets))]
    public void Auts_RoundTrips_AndMacSIsF1StarWithDummyAmf(int set, bool aesNi)
    {
        var v = Set(set);
        var m = Implementation(aesNi);
        var sqnMs = Sqn.Read(v.Hex("SQN"));
        var auts = AkaVectors.ComputeAuts(m, v.Hex("K"), v.Hex("OPc"), v.Hex("RAND"), sqnMs);
        // AUTS[0..5] = SQN_MS ⊕ AK*, with AK* = f5* of the test set.
        Assert.Equal(v.Hex("SQN").Zip(v.Hex("f5*"), (a, b) => (byte)(a ^ b)).ToArray(), auts[..6]);
        Assert.True(AkaVectors.TryVerifyAuts(m, v.Hex("K"), v.Hex("OPc"), v.Hex("RAND"), auts, out var recovered));
        Assert.Equal(sqnMs, recovered);
    }

    [Fact]
    public void Compute_WrongLengths_Throw()
    {
        var m = Milenage.Default;
        Assert.Throws<ArgumentException>(() => m.Compute(new byte[15], new byte[16], new byte[16], new byte[6], new byte[2], out _));
        Assert.Throws<ArgumentException>(() => m.Compute(new byte[16], new byte[16], new byte[16], new byte[5], new byte[2], out _));
        Assert.Throws<ArgumentException>(() => m.ComputeOpc(new byte[16], new byte[17], new byte[16]));
    }
}
