using M2MSec.Dm.Tree;

namespace M2MSec.Tests.Dm.Tree;

public sealed class DmAclTests
{
    [Theory]
    [InlineData("Add=*&Get=srv1+srv2&Replace=srv1")]
    [InlineData("Get=*")]
    [InlineData("Add=a&Delete=b&Exec=c&Get=d&Replace=e")]
    [InlineData("")]
    public void Canonical_acls_round_trip(string text)
    {
        var acl = DmAcl.Parse(text);
        Assert.Equal(text, acl.ToString());
        Assert.Equal(acl, DmAcl.Parse(acl.ToString()));
    }

    [Fact]
    public void Parse_normalises_order_duplicates_and_wildcards()
    {
        Assert.Equal("Add=*&Get=a+b", DmAcl.Parse("Get=a&Add=x+*&Get=b+a").ToString());
        Assert.Equal(DmAcl.Parse("Get=b+a"), DmAcl.Parse("Get=a+b"));
        Assert.NotEqual(DmAcl.Parse("Get=a"), DmAcl.Parse("Replace=a"));
    }

    [Theory]
    [InlineData("Get=")]
    [InlineData("Foo=*")]
    [InlineData("get=*")]
    [InlineData("Get=a++b")]
    [InlineData("Get=a+")]
    [InlineData("Get")]
    [InlineData("Get=*&")]
    [InlineData("&Get=*")]
    [InlineData("Get=a b")]
    [InlineData("Get=a=b")]
    [InlineData("Get=a*")]
    [InlineData(null)]
    public void Malformed_acls_are_refused(string? text)
    {
        Assert.False(DmAcl.TryParse(text, out _));
        if (text is not null)
        {
            Assert.Throws<FormatException>(() => DmAcl.Parse(text));
        }
    }

    [Fact]
    public void Over_long_acl_is_refused() =>
        Assert.False(DmAcl.TryParse("Get=" + string.Join('+', Enumerable.Range(0, 1000).Select(i => $"s{i}")), out _));

    [Fact]
    public void Allows_by_server_id_and_wildcard()
    {
        var acl = DmAcl.Parse("Add=*&Get=srv1+srv2&Replace=srv1");
        Assert.True(acl.Allows(DmAclCommand.Add, "anyone"));
        Assert.True(acl.Allows(DmAclCommand.Get, "srv2"));
        Assert.False(acl.Allows(DmAclCommand.Get, "srv3"));
        Assert.False(acl.Allows(DmAclCommand.Replace, "srv2"));
        Assert.False(acl.Allows(DmAclCommand.Delete, "srv1"));
        Assert.False(acl.Allows(DmAclCommand.Get, "SRV1"));
        Assert.Equal(["srv1", "srv2"], acl.ServersFor(DmAclCommand.Get));
        Assert.Empty(acl.ServersFor(DmAclCommand.Exec));
    }

    [Fact]
    public void With_replaces_one_entry()
    {
        var acl = DmAcl.Parse("Get=a&Replace=a").With(DmAclCommand.Get, "b", "c");
        Assert.Equal("Get=b+c&Replace=a", acl.ToString());
        Assert.Equal("Exec=x", DmAcl.Empty.With(DmAclCommand.Exec, "x").ToString());
        Assert.Equal("Add=*&Get=*", DmAcl.RootDefault.ToString());
    }
}
