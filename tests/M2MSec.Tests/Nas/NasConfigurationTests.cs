using System.Text.Json;
using M2MSec.Nas;
using M2MSec.Tests.Support;

namespace M2MSec.Tests.Nas;

/// <summary>The NAS configuration model (TS 24.368) and its EF_NASCONFIG (TS 31.102) and MO encodings.</summary>
public sealed class NasConfigurationTests
{
    public static TheoryData<string> Valid() => Names("valid");

    public static TheoryData<string> Invalid() => Names("invalid");

    private static TheoryData<string> Names(string group)
    {
        var data = new TheoryData<string>();
        foreach (var v in TestVectors.Load("ts31102/ef-nasconfig.json").GetProperty(group).EnumerateArray())
            data.Add(v.GetProperty("name").GetString()!);
        return data;
    }

    private static JsonElement Case(string group, string name) =>
        TestVectors.Load("ts31102/ef-nasconfig.json").GetProperty(group).EnumerateArray().Single(v => v.GetProperty("name").GetString() == name);

    private static NasConfiguration FromValues(JsonElement values) =>
        values.EnumerateObject().Aggregate(NasConfiguration.Empty, (c, p) => c.With(NasParameters.ByLeaf(p.Name)!, p.Value.GetInt32()));

    [Theory]
    [MemberData(nameof(Valid))]
    public void EfNasConfig_Decodes_KnownContents(string name)
    {
        var v = Case("valid", name);
        Assert.Equal(FromValues(v.GetProperty("values")), EfNasConfigCodec.Decode(v.Hex("hex")));
    }

    [Theory]
    [MemberData(nameof(Valid))]
    public void EfNasConfig_Encodes_KnownContents_UpToPadding(string name)
    {
        var v = Case("valid", name);
        var bytes = v.Hex("hex");
        var encoded = EfNasConfigCodec.Encode(FromValues(v.GetProperty("values")));
        if (name.Contains("unknown", StringComparison.Ordinal))
            return; // we do not re-emit tags of later releases we do not know
        Assert.Equal(bytes.TakeWhile(b => b != 0xFF).ToArray(), encoded);
        Assert.Equal(bytes, EfNasConfigCodec.EncodeFile(FromValues(v.GetProperty("values")), bytes.Length));
    }

    [Theory]
    [MemberData(nameof(Invalid))]
    public void EfNasConfig_MalformedOrOutOfRange_GivesATypedError(string name)
    {
        var v = Case("invalid", name);
        var bytes = v.Hex("hex");
        if (v.GetProperty("error").GetString() == "format")
            Assert.Throws<EfNasConfigFormatException>(() => EfNasConfigCodec.Decode(bytes));
        else
            Assert.Throws<NasConfigurationException>(() => EfNasConfigCodec.Decode(bytes));
    }

    [Fact]
    public void EfNasConfig_EveryTruncation_OfAValidFile_IsATypedErrorOrAPrefix()
    {
        var full = Case("valid", "every parameter").Hex("hex");
        for (var n = 0; n < full.Length; n++)
        {
            try
            {
                // A cut between two objects is a shorter, valid file.
                var prefix = EfNasConfigCodec.Decode(full.AsSpan(0, n), out var consumed);
                Assert.Equal(n, consumed);
                Assert.True(prefix.Count < 14);
            }
            catch (Exception e) when (e is EfNasConfigFormatException or NasConfigurationException)
            {
                Assert.IsType<EfNasConfigFormatException>(e);
            }
        }
    }

    [Fact]
    public void EfNasConfig_TooSmallFile_IsRefusedBeforeWriting()
    {
        var c = NasConfiguration.Empty.With(NasParameters.AttachWithImsi, true).With(NasParameters.DefaultDcnId, 7);
        Assert.Equal(7, EfNasConfigCodec.GetEncodedLength(c));
        Assert.False(EfNasConfigCodec.TryEncode(c, new byte[6], out _));
        Assert.Throws<ArgumentException>(() => EfNasConfigCodec.EncodeFile(c, 6));
    }

    [Theory]
    [InlineData("MinimumPeriodicSearchTimer", 256)]
    [InlineData("MinimumPeriodicSearchTimer", -1)]
    [InlineData("NAS_SignallingPriority", 0)]
    [InlineData("AttachWithIMSI", 2)]
    [InlineData("DefaultDCNID", 65536)]
    public void OutOfRange_IsRefusedBeforeAnyEncoding(string leaf, int value) =>
        Assert.Throws<NasConfigurationException>(() => NasConfiguration.Empty.With(NasParameters.ByLeaf(leaf)!, value));

    [Fact]
    public void Mo_Leaves_RoundTrip_AndMatchTheEfEncoding()
    {
        var v = Case("valid", "every parameter");
        var c = FromValues(v.GetProperty("values"));
        var leaves = NasConfigMo.ToLeaves(c).ToList();
        Assert.Equal(14, leaves.Count);
        Assert.Contains(new KeyValuePair<string, string>("MinimumPeriodicSearchTimer", "60"), leaves);
        Assert.Contains(new KeyValuePair<string, string>("AttachWithIMSI", "1"), leaves);
        Assert.Equal(c, NasConfigMo.FromLeaves(leaves));
        Assert.Equal(v.Hex("hex"), EfNasConfigCodec.Encode(NasConfigMo.FromLeaves(leaves)));
    }

    [Theory]
    [InlineData("AttachWithIMSI", "yes")]
    [InlineData("AttachWithIMSI", "2")]
    [InlineData("MinimumPeriodicSearchTimer", "-5")]
    [InlineData("MinimumPeriodicSearchTimer", "300")]
    [InlineData("MinimumPeriodicSearchTimer", "1e2")]
    [InlineData("NoSuchLeaf", "1")]
    public void Mo_BadLeafValue_IsRefused_AndTheConfigurationUnchanged(string leaf, string value)
    {
        var before = NasConfiguration.Empty.With(NasParameters.AttachWithImsi, false);
        Assert.Throws<NasConfigurationException>(() => NasConfigMo.ApplyLeaf(before, leaf, value));
        Assert.Equal(0, before[NasParameters.AttachWithImsi]);
        Assert.Equal(1, before.Count);
    }

    [Fact]
    public void Mo_AcceptsOmaDmBoolFormatOnInput()
    {
        var c = NasConfigMo.ApplyLeaf(NasConfiguration.Empty, "ExtendedAccessBarring", "true");
        Assert.Equal(1, c[NasParameters.ExtendedAccessBarring]);
        Assert.Equal("1", NasConfigMo.ToLeaves(c).Single().Value);
    }

    [Fact]
    public void Overrides_MustAgree()
    {
        var c = NasConfiguration.Empty.With(NasParameters.OverrideNasSignallingLowPriority, true);
        Assert.Throws<NasConfigurationException>(() => c.With(NasParameters.OverrideExtendedAccessBarring, false));
        Assert.Equal(1, c.With(NasParameters.OverrideExtendedAccessBarring, true)[NasParameters.OverrideExtendedAccessBarring]);
    }
}
