using System.Text;
using M2MSec.Dm.Tree;

namespace M2MSec.Tests.Dm.Tree;

public sealed class DmTreeSerializerTests
{
    [Fact]
    public void Round_trip_keeps_structure_values_properties_and_acls()
    {
        var t = DmTreeCommandTests.Sample();
        var bytes = DmTreeSerializer.Serialize(t);
        var back = DmTreeSerializer.Deserialize(bytes);
        Assert.Equal(bytes, DmTreeSerializer.Serialize(back));
        Assert.Equal(t.NodeCount, back.NodeCount);
        var mod = back.Find("./DevInfo/Mod")!;
        Assert.True(mod.IsPermanent);
        Assert.Equal("text/plain", mod.Type);
        Assert.Equal("M2M-1"u8.ToArray(), mod.Value.ToArray());
        Assert.Equal([1, 2, 3], back.Find("./Nas/Secret")!.Value.ToArray());
        Assert.Equal("Replace=srv1", back.Find("./Nas/Secret")!.Acl.ToString());
        Assert.Equal(425, back.Get("srv3", "./Nas/T3412").Status);
        Assert.Equal("Add=*&Get=*", back.Root.Acl.ToString());
    }

    [Fact]
    public void Empty_tree_round_trips()
    {
        var back = DmTreeSerializer.Deserialize(DmTreeSerializer.Serialize(new DmTree()));
        Assert.Equal(1, back.NodeCount);
    }

    private static string Doc(string root) => $"{{\"format\":\"m2msec-dmtree\",\"version\":1,\"root\":{root}}}";

    private static string Root(string children) => $"{{\"name\":\".\",\"format\":\"node\",\"acl\":\"Add=*&Get=*\",\"children\":[{children}]}}";

    public static TheoryData<string> Corrupt() =>
    [
        "",
        "not json",
        "[]",
        "{\"format\":\"m2msec-dmtree\",\"version\":2,\"root\":" + Root("") + "}",
        "{\"format\":\"other\",\"version\":1,\"root\":" + Root("") + "}",
        "{\"format\":\"m2msec-dmtree\",\"version\":1}",
        "{\"format\":\"m2msec-dmtree\",\"version\":\"1\",\"root\":" + Root("") + "}",
        Doc("{\"name\":\".\",\"format\":\"node\",\"children\":[]}"), // root without ACL
        Doc("{\"name\":\"X\",\"format\":\"node\",\"acl\":\"Get=*\"}"),
        Doc(Root("{\"name\":\"a/b\",\"format\":\"chr\",\"value\":\"\"}")),
        Doc(Root("{\"name\":\"..\",\"format\":\"chr\",\"value\":\"\"}")),
        Doc(Root("{\"name\":\"A\",\"format\":\"chr\",\"value\":\"\"},{\"name\":\"A\",\"format\":\"chr\",\"value\":\"\"}")),
        Doc(Root("{\"name\":\"A\",\"format\":\"weird\",\"value\":\"\"}")),
        Doc(Root("{\"name\":\"A\",\"format\":\"chr\"}")),
        Doc(Root("{\"name\":\"A\",\"format\":\"chr\",\"value\":\"!!\"}")),
        Doc(Root("{\"name\":\"A\",\"format\":\"int\",\"value\":\"eA==\"}")),
        Doc(Root("{\"name\":\"A\",\"format\":\"chr\",\"value\":\"\",\"children\":[]}")),
        Doc(Root("{\"name\":\"A\",\"format\":\"node\",\"value\":\"\"}")),
        Doc(Root("{\"name\":\"A\",\"format\":\"node\",\"acl\":\"Get=\"}")),
        Doc(Root("{\"name\":\"A\",\"format\":\"node\",\"permanent\":1}")),
        Doc(Root("{\"name\":\"A\",\"format\":\"node\",\"extra\":1}")),
        Doc(Root("{\"name\":\"A\",\"format\":\"node\",\"type\":5}")),
        Doc(Root("{\"name\":\"A\",\"format\":\"node\",\"name\":\"B\"}")),
        Doc(Root("5")),
    ];

    [Theory]
    [MemberData(nameof(Corrupt))]
    public void Corrupt_input_is_refused_with_a_typed_error(string json)
    {
        var bytes = Encoding.UTF8.GetBytes(json);
        Assert.False(DmTreeSerializer.TryDeserialize(bytes, out var tree, out var error), json);
        Assert.Throws<DmTreeFormatException>(() => DmTreeSerializer.Deserialize(bytes));
        Assert.Null(tree);
        Assert.NotEmpty(error);
    }

    [Fact]
    public void Too_deep_and_truncated_input_are_refused()
    {
        var t = new DmTree();
        var uri = ".";
        for (var i = 0; i < DmUri.MaxDepth; i++)
        {
            uri += "/n";
            t.AddInteriorLocal(uri);
        }

        var ok = DmTreeSerializer.Serialize(t);
        Assert.Equal(t.NodeCount, DmTreeSerializer.Deserialize(ok).NodeCount);
        var deeper = Encoding.UTF8.GetString(ok).Replace("\"children\":[]", "\"children\":[{\"name\":\"x\",\"format\":\"node\",\"children\":[]}]", StringComparison.Ordinal);
        Assert.Throws<DmTreeFormatException>(() => DmTreeSerializer.Deserialize(Encoding.UTF8.GetBytes(deeper)));
        Assert.Throws<DmTreeFormatException>(() => DmTreeSerializer.Deserialize(ok.AsSpan(0, ok.Length - 3)));
    }
}
