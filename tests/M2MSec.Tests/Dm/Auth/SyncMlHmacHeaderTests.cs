using M2MSec.Dm.Auth;

namespace M2MSec.Tests.Dm.Auth;

public sealed class SyncMlHmacHeaderTests
{
    private const string Mac = "8m+Z7Hxd8UDAUfNO5tqW5w==";

    [Theory]
    [InlineData("algorithm=MD5, username=\"funambol\", mac=8m+Z7Hxd8UDAUfNO5tqW5w==")]
    [InlineData("mac=8m+Z7Hxd8UDAUfNO5tqW5w==,username=funambol,algorithm=md5")]
    [InlineData("  username = \"funambol\" ,  mac = \"8m+Z7Hxd8UDAUfNO5tqW5w==\"  ")]
    [InlineData("username=\"funambol\", realm=\"x, y\", mac=8m+Z7Hxd8UDAUfNO5tqW5w==, foo=bar")]
    [InlineData("USERNAME=funambol, MAC=8m+Z7Hxd8UDAUfNO5tqW5w==, Algorithm=\"MD5\"")]
    public void Parses_defensively(string value)
    {
        Assert.True(SyncMlHmacHeader.TryParse(value, out var h, out var error));
        Assert.Equal(SyncMlHmacHeaderError.None, error);
        Assert.Equal("funambol", h.Username);
        Assert.Equal(Mac, h.Mac);
        Assert.Equal("MD5", h.Algorithm);
    }

    [Theory]
    [InlineData(null, SyncMlHmacHeaderError.Missing)]
    [InlineData("   ", SyncMlHmacHeaderError.Missing)]
    [InlineData("algorithm=SHA1, username=funambol, mac=8m+Z7Hxd8UDAUfNO5tqW5w==", SyncMlHmacHeaderError.UnsupportedAlgorithm)]
    [InlineData("algorithm=HMAC-MD5, username=funambol, mac=8m+Z7Hxd8UDAUfNO5tqW5w==", SyncMlHmacHeaderError.UnsupportedAlgorithm)]
    [InlineData("algorithm=MD5, mac=8m+Z7Hxd8UDAUfNO5tqW5w==", SyncMlHmacHeaderError.MissingUsername)]
    [InlineData("algorithm=MD5, username=funambol", SyncMlHmacHeaderError.MissingMac)]
    [InlineData("username=funambol, mac=not-base64", SyncMlHmacHeaderError.BadMac)]
    [InlineData("username=funambol, mac=AAAA", SyncMlHmacHeaderError.BadMac)]
    [InlineData("username=funambol, username=x, mac=8m+Z7Hxd8UDAUfNO5tqW5w==", SyncMlHmacHeaderError.DuplicateParameter)]
    [InlineData("username=\"funambol, mac=8m+Z7Hxd8UDAUfNO5tqW5w==", SyncMlHmacHeaderError.Malformed)]
    [InlineData("username=funambol mac=8m+Z7Hxd8UDAUfNO5tqW5w==", SyncMlHmacHeaderError.Malformed)]
    [InlineData("username=, mac=8m+Z7Hxd8UDAUfNO5tqW5w==", SyncMlHmacHeaderError.Malformed)]
    [InlineData("username=\"\", mac=8m+Z7Hxd8UDAUfNO5tqW5w==", SyncMlHmacHeaderError.Malformed)]
    [InlineData("=funambol, mac=8m+Z7Hxd8UDAUfNO5tqW5w==", SyncMlHmacHeaderError.Malformed)]
    [InlineData("username=funambol,, mac=8m+Z7Hxd8UDAUfNO5tqW5w==", SyncMlHmacHeaderError.Malformed)]
    [InlineData("username=funambol, mac=8m+Z7Hxd8UDAUfNO5tqW5w==,", SyncMlHmacHeaderError.Malformed)]
    [InlineData("username=\"fun\"x, mac=8m+Z7Hxd8UDAUfNO5tqW5w==", SyncMlHmacHeaderError.Malformed)]
    [InlineData("just garbage", SyncMlHmacHeaderError.Malformed)]
    public void Refuses_malformed(string? value, SyncMlHmacHeaderError expected)
    {
        Assert.False(SyncMlHmacHeader.TryParse(value, out var h, out var error));
        Assert.Null(h);
        Assert.Equal(expected, error);
    }

    [Fact]
    public void Refuses_huge_header()
    {
        var value = $"username=funambol, mac={Mac}, pad=\"{new string('x', 5000)}\"";
        Assert.False(SyncMlHmacHeader.TryParse(value, out _, out var error));
        Assert.Equal(SyncMlHmacHeaderError.TooLong, error);
    }

    [Fact]
    public void Format_round_trips()
    {
        var h = new SyncMlHmacHeader("funambol", Mac);
        Assert.True(SyncMlHmacHeader.TryParse(h.Format(), out var back, out _));
        Assert.Equal(h, back);
        Assert.Equal("x-syncml-hmac", SyncMlHmacHeader.HeaderName);
    }

    [Theory]
    [InlineData("", Mac)]
    [InlineData("a\"b", Mac)]
    [InlineData("funambol", "AAAA")]
    public void Constructor_refuses_unformattable_values(string username, string mac) =>
        Assert.Throws<ArgumentException>(() => new SyncMlHmacHeader(username, mac));
}
