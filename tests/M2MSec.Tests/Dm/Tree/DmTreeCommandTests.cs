using System.Text;
using M2MSec.Dm.Tree;

namespace M2MSec.Tests.Dm.Tree;

public sealed class DmTreeCommandTests
{
    internal static DmTree Sample()
    {
        var t = new DmTree();
        t.AddInteriorLocal("./DevInfo", DmAcl.Parse("Get=*"), permanent: true);
        t.AddLeafLocal("./DevInfo/Mod", DmFormat.Chr, "M2M-1"u8, permanent: true, type: "text/plain");
        t.AddLeafLocal("./DevInfo/DevId", DmFormat.Chr, "IMEI:1"u8, permanent: true);
        t.AddInteriorLocal("./Nas", DmAcl.Parse("Add=srv1&Delete=srv1&Exec=srv1&Get=srv1+srv2&Replace=srv1"));
        t.AddLeafLocal("./Nas/T3412", DmFormat.Int, "54"u8);
        t.AddLeafLocal("./Nas/Secret", DmFormat.Bin, [1, 2, 3], DmAcl.Parse("Replace=srv1"));
        return t;
    }

    [Fact]
    public void Root_has_default_acl_and_is_permanent()
    {
        var t = new DmTree();
        Assert.Equal("Add=*&Get=*", t.Root.Acl.ToString());
        Assert.Equal(425, t.Delete("srv1", "."));
        t.SetAclLocal(".", DmAcl.Parse("Add=*&Delete=*&Get=*"));
        Assert.Equal(405, t.Delete("srv1", "."));
        Assert.Equal(200, t.Add("anyone", "./X", DmFormat.Node, []));
        Assert.Equal(418, t.Add("anyone", ".", DmFormat.Node, []));
    }

    [Fact]
    public void Get_leaf_and_interior_child_list()
    {
        var t = Sample();
        var leaf = t.Get("anyone", "./DevInfo/Mod");
        Assert.Equal(200, leaf.Status);
        Assert.Equal("M2M-1"u8.ToArray(), leaf.Data.ToArray());
        Assert.Equal(DmFormat.Chr, leaf.Format);
        Assert.Equal("text/plain", leaf.Type);
        var interior = t.Get("anyone", "DevInfo");
        Assert.Equal(DmFormat.Node, interior.Format);
        Assert.Equal("DevId/Mod", Encoding.UTF8.GetString(interior.Data.Span));
        Assert.Equal("DevInfo/Nas", Encoding.UTF8.GetString(t.Get("x", ".").Data.Span));
    }

    [Fact]
    public void Acl_is_inherited_from_the_nearest_ancestor_with_one()
    {
        var t = Sample();
        Assert.Equal(200, t.Get("srv2", "./Nas/T3412").Status);
        Assert.Equal(425, t.Get("srv3", "./Nas/T3412").Status);
        Assert.Equal(425, t.Replace("srv2", "./Nas/T3412", null, "60"u8));
        Assert.Equal(200, t.Replace("srv1", "./Nas/T3412", null, "60"u8));
        // Secret has its own ACL (Replace only): no Get for anybody, even srv1.
        Assert.Equal(425, t.Get("srv1", "./Nas/Secret").Status);
        Assert.Equal("Replace=srv1", DmTree.EffectiveAcl(t.Find("./Nas/Secret")!).ToString());
        Assert.Equal("Add=*&Get=*", DmTree.EffectiveAcl(t.Root).ToString());
    }

    [Fact]
    public void Status_404_for_missing_nodes()
    {
        var t = Sample();
        Assert.Equal(404, t.Get("srv1", "./Nas/Nope").Status);
        Assert.Equal(404, t.Replace("srv1", "./Nas/Nope", null, "1"u8));
        Assert.Equal(404, t.Delete("srv1", "./Nas/Nope"));
        Assert.Equal(404, t.Exec("srv1", "./Nas/Nope", []));
        Assert.Equal(404, t.Add("srv1", "./Nas/Missing/Leaf", DmFormat.Chr, "x"u8));
        Assert.Equal(404, t.ReplaceAcl("srv1", "./Nope", "Get=*"));
    }

    [Fact]
    public void Add_checks_parent_rights_existence_and_kind()
    {
        var t = Sample();
        Assert.Equal(425, t.Add("srv2", "./Nas/New", DmFormat.Int, "1"u8));
        Assert.Equal(418, t.Add("srv1", "./Nas/T3412", DmFormat.Int, "1"u8));
        Assert.Equal(405, t.Add("srv1", "./Nas/T3412/Sub", DmFormat.Int, "1"u8));
        Assert.Equal(415, t.Add("srv1", "./Nas/Bad", DmFormat.Int, "x1"u8));
        Assert.Equal(413, t.Add("srv1", "./Nas/Big", DmFormat.Bin, new byte[DmTree.MaxLeafSize + 1]));
        Assert.Equal(200, t.Add("srv1", "./Nas/Sub", DmFormat.Node, []));
        Assert.Equal(200, t.Add("srv1", "./Nas/Sub/Flag", DmFormat.Bool, "true"u8));
        Assert.Equal("Flag", Encoding.UTF8.GetString(t.Get("srv1", "./Nas/Sub").Data.Span));
        Assert.Equal(400, t.Add("srv1", "./Nas/../X", DmFormat.Chr, "x"u8));
        Assert.Equal(414, t.Add("srv1", "./" + new string('a', 300), DmFormat.Chr, "x"u8));
    }

    [Fact]
    public void Replace_refuses_interior_format_change_and_bad_syntax()
    {
        var t = Sample();
        Assert.Equal(405, t.Replace("srv1", "./Nas", null, "x"u8));
        Assert.Equal(415, t.Replace("srv1", "./Nas/T3412", DmFormat.Chr, "60"u8));
        Assert.Equal(415, t.Replace("srv1", "./Nas/T3412", DmFormat.Int, "99999999999"u8));
        Assert.Equal(200, t.Replace("srv1", "./Nas/T3412", DmFormat.Int, "-5"u8, "text/plain"));
        Assert.Equal("text/plain", t.Find("./Nas/T3412")!.Type);
        Assert.Equal(2, t.Find("./Nas/T3412")!.Size);
    }

    [Fact]
    public void Validator_refusal_is_405_and_keeps_the_old_value()
    {
        var t = Sample();
        t.SetValidator("./Nas/T3412", v => int.Parse(Encoding.ASCII.GetString(v.Span), System.Globalization.CultureInfo.InvariantCulture) is >= 0 and <= 3600);
        Assert.Equal(405, t.Replace("srv1", "./Nas/T3412", null, "4000"u8));
        Assert.Equal("54"u8.ToArray(), t.Find("./Nas/T3412")!.Value.ToArray());
        Assert.Equal(200, t.Replace("srv1", "./Nas/T3412", null, "3600"u8));
        Assert.Throws<ArgumentException>(() => t.SetValidator("./Nas", _ => true));
    }

    [Fact]
    public void Delete_rights_permanence_and_subtree()
    {
        var t = Sample();
        Assert.Equal(425, t.Delete("srv2", "./Nas/T3412"));
        Assert.Equal(425, t.Delete("srv1", "./DevInfo/Mod"));
        t.SetAclLocal("./DevInfo", DmAcl.Parse("Delete=*&Get=*"));
        Assert.Equal(405, t.Delete("srv1", "./DevInfo/Mod"));
        Assert.Equal(405, t.Delete("srv1", "./DevInfo"));
        var before = t.NodeCount;
        Assert.Equal(200, t.Delete("srv1", "./Nas"));
        Assert.Equal(before - 3, t.NodeCount);
        Assert.Null(t.Find("./Nas/T3412"));
    }

    [Fact]
    public void Exec_needs_right_and_handler()
    {
        var t = Sample();
        t.AddLeafLocal("./Nas/Reset", DmFormat.Chr, ""u8);
        Assert.Equal(405, t.Exec("srv1", "./Nas/Reset", []));
        byte[]? seen = null;
        t.SetExecHandler("./Nas/Reset", d => { seen = d.ToArray(); return 202; });
        Assert.Equal(425, t.Exec("srv2", "./Nas/Reset", "go"u8));
        Assert.Null(seen);
        Assert.Equal(202, t.Exec("srv1", "./Nas/Reset", "go"u8));
        Assert.Equal("go"u8.ToArray(), seen);
    }

    [Fact]
    public void Acl_property_get_and_replace()
    {
        var t = Sample();
        Assert.Equal("Get=*", Encoding.UTF8.GetString(t.GetAcl("x", "./DevInfo").Data.Span));
        Assert.Equal("", Encoding.UTF8.GetString(t.GetAcl("srv1", "./Nas/T3412").Data.Span));
        Assert.Equal(425, t.ReplaceAcl("srv2", "./Nas", "Get=*"));
        Assert.Equal(400, t.ReplaceAcl("srv1", "./Nas", "Get="));
        // Leaf ACL: Replace on the parent (srv1 on ./Nas), not on the leaf.
        Assert.Equal(200, t.ReplaceAcl("srv1", "./Nas/T3412", "Get=srv3"));
        Assert.Equal(200, t.Get("srv3", "./Nas/T3412").Status);
        Assert.Equal(425, t.Get("srv1", "./Nas/T3412").Status);
        t.SetAclLocal(".", DmAcl.Parse("Add=*&Get=*&Replace=admin"));
        Assert.Equal(405, t.ReplaceAcl("admin", ".", ""));
        Assert.Throws<ArgumentException>(() => t.SetAclLocal(".", DmAcl.Empty));
    }

    [Theory]
    [InlineData(DmFormat.Bool, "TRUE", false)]
    [InlineData(DmFormat.Bool, "false", true)]
    [InlineData(DmFormat.Float, "1.5e3", true)]
    [InlineData(DmFormat.Float, "NaN", false)]
    [InlineData(DmFormat.Date, "2026-11-23", true)]
    [InlineData(DmFormat.Date, "2026-13-01", false)]
    [InlineData(DmFormat.Time, "16:37:39Z", true)]
    [InlineData(DmFormat.Time, "25:00:00", false)]
    [InlineData(DmFormat.B64, "AAEC", true)]
    [InlineData(DmFormat.B64, "AAE", false)]
    [InlineData(DmFormat.Int, " 1", false)]
    public void Leaf_values_must_match_their_format(DmFormat format, string value, bool ok)
    {
        var t = new DmTree();
        Assert.Equal(ok ? 200 : 415, t.Add("s", "./V", format, Encoding.UTF8.GetBytes(value)));
    }

    [Fact]
    public void Chr_must_be_utf8_and_local_api_throws_on_misuse()
    {
        var t = new DmTree();
        Assert.Equal(415, t.Add("s", "./V", DmFormat.Chr, [0xC3, 0x28]));
        Assert.Throws<ArgumentException>(() => t.AddLeafLocal("./A/B", DmFormat.Chr, "x"u8));
        Assert.Throws<ArgumentException>(() => t.AddLeafLocal("./A", DmFormat.Node, "x"u8));
        Assert.Throws<ArgumentException>(() => t.AddInteriorLocal("."));
        t.AddInteriorLocal("./A");
        Assert.Throws<ArgumentException>(() => t.AddInteriorLocal("./A"));
        Assert.Throws<ArgumentException>(() => t.AddLeafLocal("./A/I", DmFormat.Int, "x"u8));
        Assert.Throws<ArgumentException>(() => t.SetValueLocal("./A", "x"u8));
    }
}
