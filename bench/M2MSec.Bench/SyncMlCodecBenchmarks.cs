using BenchmarkDotNet.Attributes;
using M2MSec.Dm.SyncMl;

namespace M2MSec.Bench;

/// <summary>
/// The SyncML XML codec per DM session of the demo's NAS job (issue 19 target 3): the four messages of a kept-connection
/// session — the device's package 1 (Alert 1201, DevInfo, auth-md5 Cred), the server's package 2 (Status with Chal, 4
/// Replace + 4 Get), the device's package 3 (9 Status, 4 Results) and the server's last message (Status for the Results) —
/// each parsed once and written once, as the server and the device between them do; and the server's packing measure
/// (the length of package 2 without writing it). docs/BENCHMARKS.md, "2026-12-04 evening".
/// </summary>
[MemoryDiagnoser]
public class SyncMlCodecBenchmarks
{
    private const string Server = "https://dm.operator.example:8443/dm";
    private const string DevId = "TRE-0010100000001";
    private static readonly (string Leaf, string Value)[] Nas =
        [("NAS_SignallingPriority", "1"), ("AttachWithIMSI", "1"), ("MinimumPeriodicSearchTimer", "60"), ("ExtendedAccessBarring", "1")];

    private SyncMlMessage[] _messages = [];
    private byte[][] _wire = [];

    [GlobalSetup]
    public void Setup()
    {
        _messages = [Package1(), Package2(), Package3(), Package4()];
        _wire = [.. _messages.Select(SyncMlXml.Write)];
    }

    [Benchmark(Description = "session: parse + write of its 4 messages")]
    public int Session()
    {
        var n = 0;
        foreach (var wire in _wire)
            n += SyncMlXml.Parse(wire).Commands.Count;
        foreach (var message in _messages)
            n += SyncMlXml.Write(message).Length;
        return n;
    }

    [Benchmark(Description = "parse of the 4 messages")]
    public int Parse()
    {
        var n = 0;
        foreach (var wire in _wire)
            n += SyncMlXml.Parse(wire).Commands.Count;
        return n;
    }

    [Benchmark(Description = "write of the 4 messages")]
    public int Write()
    {
        var n = 0;
        foreach (var message in _messages)
            n += SyncMlXml.Write(message).Length;
        return n;
    }

    [Benchmark(Description = "server packing: length of package 2")]
    public int Measure() => SyncMlXml.Measure(_messages[1]);

    private static SyncMlCred Md5Cred(string data) => new() { Meta = new SyncMlMeta { Type = "syncml:auth-md5", Format = "b64" }, Data = data };

    private static SyncMlChal Chal(string nonce) => new() { Meta = new SyncMlMeta { Type = "syncml:auth-md5", Format = "b64", NextNonce = nonce } };

    private static SyncHeader Header(string msgId, bool fromServer, SyncMlCred? cred) => new()
    {
        SessionId = "3A7F",
        MsgId = msgId,
        Target = new SyncMlLocation(fromServer ? DevId : Server),
        Source = new SyncMlLocation(fromServer ? Server : DevId),
        RespUri = fromServer ? Server + "?s=i0.Qm9vdHN0cmFwLXNlc3Npb24tdG9rZW4tMDEyMzQ1Njc4OQ" : null,
        Cred = cred,
        Meta = new SyncMlMeta { MaxMsgSize = 65536 },
    };

    private static StatusCommand Status(int id, string msgRef, string cmdRef, string cmd, string code, SyncMlChal? chal = null) => new()
    {
        CmdId = id.ToString(System.Globalization.CultureInfo.InvariantCulture),
        MsgRef = msgRef,
        CmdRef = cmdRef,
        Cmd = cmd,
        TargetRefs = cmdRef == "0" ? [cmd == "SyncHdr" ? Server : DevId] : [],
        SourceRefs = cmdRef == "0" ? [DevId] : [],
        Chal = chal,
        Data = code,
    };

    private static SyncMlMessage Package1() => new()
    {
        Header = Header("1", false, Md5Cred("Lx7CSZp0iHRedCEbryGJuw==")),
        Commands =
        [
            new AlertCommand { CmdId = "1", Data = "1201" },
            new ReplaceCommand
            {
                CmdId = "2",
                Items = [.. new[] { ("DevId", DevId), ("Man", "M2MSec"), ("Mod", "M2ME-TRE"), ("DmV", "1.2"), ("Lang", "en") }.Select(l => new SyncMlItem
                {
                    Source = new SyncMlLocation("./DevInfo/" + l.Item1),
                    Meta = new SyncMlMeta { Format = "chr", Type = "text/plain" },
                    Data = l.Item2,
                })],
            },
        ],
        Final = true,
    };

    private static SyncMlMessage Package2() => new()
    {
        Header = Header("1", true, Md5Cred("q2bq1cTqhkDSQbP7SDp1gw==")),
        Commands =
        [
            Status(1, "1", "0", "SyncHdr", "212", Chal("c3J2bm9uY2UtMDAwMQ==")),
            Status(2, "1", "1", "Alert", "200"),
            Status(3, "1", "2", "Replace", "200"),
            .. Nas.Select((n, i) => (SyncMlCommand)new ReplaceCommand
            {
                CmdId = (4 + i).ToString(System.Globalization.CultureInfo.InvariantCulture),
                Items = [new SyncMlItem { Target = new SyncMlLocation("./NASConfig/" + n.Leaf), Meta = new SyncMlMeta { Format = "chr", Type = "text/plain" }, Data = n.Value }],
            }),
            .. Nas.Select((n, i) => (SyncMlCommand)new GetCommand
            {
                CmdId = (8 + i).ToString(System.Globalization.CultureInfo.InvariantCulture),
                Items = [new SyncMlItem { Target = new SyncMlLocation("./NASConfig/" + n.Leaf) }],
            }),
        ],
        Final = true,
    };

    private static SyncMlMessage Package3() => new()
    {
        Header = Header("2", false, null),
        Commands =
        [
            Status(1, "1", "0", "SyncHdr", "212", Chal("ZGV2bm9uY2UtMDAwMg==")),
            .. Enumerable.Range(4, 8).Select(i => (SyncMlCommand)Status(i - 2, "1", i.ToString(System.Globalization.CultureInfo.InvariantCulture), i < 8 ? "Replace" : "Get", "200")),
            .. Nas.Select((n, i) => (SyncMlCommand)new ResultsCommand
            {
                CmdId = (10 + i).ToString(System.Globalization.CultureInfo.InvariantCulture),
                MsgRef = "1",
                CmdRef = (8 + i).ToString(System.Globalization.CultureInfo.InvariantCulture),
                Items = [new SyncMlItem { Source = new SyncMlLocation("./NASConfig/" + n.Leaf), Meta = new SyncMlMeta { Format = "chr", Type = "text/plain" }, Data = n.Value }],
            }),
        ],
        Final = true,
    };

    private static SyncMlMessage Package4() => new()
    {
        Header = Header("2", true, Md5Cred("8m0VbOFAq0d4OSyJpGYsKQ==")),
        Commands =
        [
            Status(1, "2", "0", "SyncHdr", "200", Chal("c3J2bm9uY2UtMDAwMw==")),
            .. Enumerable.Range(10, 4).Select(i => (SyncMlCommand)Status(i - 8, "2", i.ToString(System.Globalization.CultureInfo.InvariantCulture), "Results", "200")),
        ],
        Final = true,
    };
}
