using M2MSec.Dm.Tree;

namespace M2MSec.Tests.Dm.Tree;

public sealed class DmUriTests
{
    [Theory]
    [InlineData(".", "")]
    [InlineData("./DevInfo/Mod", "DevInfo/Mod")]
    [InlineData("DevInfo/Mod", "DevInfo/Mod")]
    [InlineData("./A", "A")]
    public void Normalises(string uri, string path)
    {
        Assert.True(DmUri.TryParse(uri, out var segs, out var error));
        Assert.Equal(DmUriError.None, error);
        Assert.Equal(path, string.Join('/', segs));
        Assert.Equal(path.Length == 0 ? "." : "./" + path, DmUri.Format(segs));
    }

    [Theory]
    [InlineData(null, DmUriError.Empty)]
    [InlineData("", DmUriError.Empty)]
    [InlineData("./", DmUriError.EmptySegment)]
    [InlineData("/DevInfo", DmUriError.EmptySegment)]
    [InlineData("./DevInfo/", DmUriError.EmptySegment)]
    [InlineData("./DevInfo//Mod", DmUriError.EmptySegment)]
    [InlineData("./DevInfo/../Mod", DmUriError.DotSegment)]
    [InlineData("..", DmUriError.DotSegment)]
    [InlineData("./DevInfo/./Mod", DmUriError.DotSegment)]
    [InlineData("././DevInfo", DmUriError.DotSegment)]
    [InlineData("./DevInfo?prop=ACL", DmUriError.InvalidCharacter)]
    [InlineData("./Dev\nInfo", DmUriError.InvalidCharacter)]
    public void Refuses(string? uri, DmUriError expected)
    {
        Assert.False(DmUri.TryParse(uri, out _, out var error));
        Assert.Equal(expected, error);
        Assert.Equal(400, DmUri.StatusFor(error));
    }

    [Fact]
    public void Refuses_over_long_and_over_deep()
    {
        Assert.False(DmUri.TryParse("./" + string.Join('/', Enumerable.Repeat("abcdefghij", 25)), out _, out var e1));
        Assert.Equal(DmUriError.TooLong, e1);
        Assert.False(DmUri.TryParse("./" + string.Join('/', Enumerable.Repeat("a", 17)), out _, out var e2));
        Assert.Equal(DmUriError.TooDeep, e2);
        Assert.True(DmUri.TryParse("./" + string.Join('/', Enumerable.Repeat("a", 16)), out _, out _));
        Assert.False(DmUri.TryParse("./" + new string('a', 65), out _, out var e3));
        Assert.Equal(DmUriError.SegmentTooLong, e3);
        Assert.Equal(414, DmUri.StatusFor(e1));
        Assert.Equal(414, DmUri.StatusFor(e2));
    }

    [Theory]
    [InlineData("Mod", true)]
    [InlineData("a/b", false)]
    [InlineData("", false)]
    [InlineData("..", false)]
    [InlineData(null, false)]
    public void Node_names(string? name, bool valid) => Assert.Equal(valid, DmUri.IsValidNodeName(name));
}
