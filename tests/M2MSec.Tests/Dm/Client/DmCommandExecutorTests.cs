using System.Text;
using M2MSec.Device.Dm;
using M2MSec.Device.M2me;
using M2MSec.Dm.SyncMl;
using M2MSec.Dm.Tree;

namespace M2MSec.Tests.Dm.Client;

/// <summary>
/// The device's command execution (OMA-TS-DM_Protocol-V1_2 §6.6.3 Atomic, §6.6.14 Sequence, §8.8 large
/// objects; OMA-TS-DM_RepPro-V1_2 §10 status codes) against its real tree with the NAS MO's validators.
/// </summary>
public sealed class DmCommandExecutorTests : IDisposable
{
    private const string Server = "m2msec-dm";
    private readonly string _dir = Directory.CreateTempSubdirectory("m2msec-dmexec-").FullName;
    private readonly DmCommandExecutor _executor;

    public DmCommandExecutorTests()
    {
        var device = M2meDevice.Create(Path.Combine(_dir, "dev"), Path.Combine(_dir, "fuse"), "001010000000001", M2meKind.Tre);
        var tree = DeviceDmTree.Load(device, Server);
        tree.AddInteriorLocal("./Ext", DmAcl.Parse($"Get={Server}&Replace={Server}&Add={Server}"));
        tree.AddLeafLocal("./Ext/Blob", DmFormat.Chr, []);
        _executor = new DmCommandExecutor(Server, tree);
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static ReplaceCommand Replace(string id, string uri, string value, bool more = false, long? size = null) => new()
    {
        CmdId = id,
        Items = [new SyncMlItem { Target = new SyncMlLocation(uri), Data = value, MoreData = more, Meta = size is null ? null : new SyncMlMeta { Size = size } }],
    };

    private static GetCommand Get(string id, string uri) => new() { CmdId = id, Items = [new SyncMlItem { Target = new SyncMlLocation(uri) }] };

    private string Value(string uri) => Encoding.UTF8.GetString(_executor.Tree.Get(Server, uri).Data.Span);

    private static (string CmdRef, string Cmd, string Code)[] Statuses(IEnumerable<SyncMlCommand> answers) =>
        [.. answers.OfType<StatusCommand>().Select(s => (s.CmdRef, s.Cmd, s.Data))];

    [Fact]
    public void Atomic_AllSucceed_AllApplied()
    {
        var answers = _executor.Execute(new AtomicCommand
        {
            CmdId = "5",
            Commands = [Replace("6", "./NASConfig/NAS_SignallingPriority", "1"), Replace("7", "./NASConfig/AttachWithIMSI", "1"), Get("8", "./NASConfig/AttachWithIMSI")],
        });
        Assert.Equal([("5", "Atomic", "200"), ("6", "Replace", "200"), ("7", "Replace", "200"), ("8", "Get", "200")], Statuses(answers));
        Assert.Equal("1", Assert.Single(answers.OfType<ResultsCommand>()).Items[0].Data!.Text);
        Assert.Equal("1", Value("./NASConfig/NAS_SignallingPriority"));
    }

    [Fact]
    public void Atomic_OneRefused_NothingApplied_OthersRolledBack_507()
    {
        var answers = _executor.Execute(new AtomicCommand
        {
            CmdId = "5",
            Commands = [Replace("6", "./NASConfig/NAS_SignallingPriority", "1"), Replace("7", "./NASConfig/AttachWithIMSI", "7"), Get("8", "./NASConfig/AttachWithIMSI")],
        });
        Assert.Equal([("5", "Atomic", "507"), ("6", "Replace", "216"), ("7", "Replace", "405"), ("8", "Get", "216")], Statuses(answers));
        Assert.Empty(answers.OfType<ResultsCommand>());
        Assert.Equal("", Value("./NASConfig/NAS_SignallingPriority")); // the first Replace was undone
        Assert.Equal(0, _executor.Executed);
        // The restored tree still enforces the NAS MO's ranges.
        Assert.Equal("405", Statuses(_executor.Execute(Replace("9", "./NASConfig/AttachWithIMSI", "7")))[0].Code);
    }

    [Fact]
    public void Sequence_RunsInOrder_EachWithItsOwnStatus()
    {
        var answers = _executor.Execute(new SequenceCommand
        {
            CmdId = "2",
            Commands = [Replace("3", "./NASConfig/NAS_SignallingPriority", "1"), Replace("4", "./NASConfig/AttachWithIMSI", "7"), Get("5", "./NASConfig/NAS_SignallingPriority")],
        });
        Assert.Equal([("2", "Sequence", "200"), ("3", "Replace", "200"), ("4", "Replace", "405"), ("5", "Get", "200")], Statuses(answers));
        Assert.Equal("1", Value("./NASConfig/NAS_SignallingPriority"));
    }

    [Fact]
    public void LargeObject_ChunksAccepted213_ThenAppliedWhole()
    {
        var value = new string('x', 3000) + "é" + new string('y', 2000);
        var size = Encoding.UTF8.GetByteCount(value);
        Assert.Equal("213", Statuses(_executor.Execute(Replace("1", "./Ext/Blob", value[..2500], more: true, size: size)))[0].Code);
        Assert.Equal("213", Statuses(_executor.Execute(Replace("2", "./Ext/Blob", value[2500..4000], more: true)))[0].Code);
        Assert.Equal("", Value("./Ext/Blob")); // nothing applied before the last chunk
        Assert.Equal("200", Statuses(_executor.Execute(Replace("3", "./Ext/Blob", value[4000..])))[0].Code);
        Assert.Equal(value, Value("./Ext/Blob"));
        Assert.Equal(1, _executor.Executed);
    }

    [Fact]
    public void LargeObject_SizeDiffersFromAnnounced_424_NotApplied()
    {
        _executor.Execute(Replace("1", "./Ext/Blob", "abc", more: true, size: 10));
        Assert.Equal("424", Statuses(_executor.Execute(Replace("2", "./Ext/Blob", "def")))[0].Code);
        Assert.Equal("", Value("./Ext/Blob"));
    }

    [Fact]
    public void LargeObject_OverTheLeafLimit_413()
    {
        Assert.Equal("413", Statuses(_executor.Execute(Replace("1", "./Ext/Blob", "a", more: true, size: DmTree.MaxLeafSize + 1)))[0].Code);
        var chunk = new string('a', 40_000);
        Assert.Equal("213", Statuses(_executor.Execute(Replace("2", "./Ext/Blob", chunk, more: true)))[0].Code);
        Assert.Equal("413", Statuses(_executor.Execute(Replace("3", "./Ext/Blob", chunk, more: true)))[0].Code);
        Assert.Equal("", Value("./Ext/Blob"));
    }

    [Fact]
    public void LargeObject_Interrupted_IsDropped_TheNewCommandRunsAlone()
    {
        _executor.Execute(Replace("1", "./Ext/Blob", "partial", more: true, size: 100));
        Assert.Equal("200", Statuses(_executor.Execute(Replace("2", "./NASConfig/NAS_SignallingPriority", "1")))[0].Code);
        Assert.Equal("200", Statuses(_executor.Execute(Replace("3", "./Ext/Blob", "whole")))[0].Code);
        Assert.Equal("whole", Value("./Ext/Blob"));
    }

    [Fact]
    public void UnsupportedAndMalformedCommands_GetTheirStatus()
    {
        Assert.Equal("406", Statuses(_executor.Execute(new CopyCommand { CmdId = "1", Items = [new SyncMlItem { Target = new SyncMlLocation("./Ext/Blob") }] }))[0].Code);
        Assert.Equal("406", Statuses(_executor.Execute(new UnknownCommand { CmdId = "2", Name = "Sync" }))[0].Code);
        Assert.Equal("400", Statuses(_executor.Execute(new ReplaceCommand { CmdId = "3" }))[0].Code); // no item
        Assert.Equal("425", Statuses(_executor.Execute(Replace("4", "./DevInfo/DevId", "x")))[0].Code); // ACL: Get only
    }
}
