using System.Text;
using System.Xml;
using M2MSec.Dm.SyncMl;

namespace M2MSec.Tests.Dm.SyncMl;

/// <summary>What we write for a server package is well-formed SyncML DM 1.2 and reads back equal.</summary>
public sealed class SyncMlWriteTests
{
    [Fact]
    public void Server_package_xml_is_well_formed_and_round_trips()
    {
        var message = SyncMlTestMessages.ServerPackage();
        var xml = SyncMlXml.Write(message);

        var doc = new XmlDocument { XmlResolver = null };
        doc.LoadXml(Encoding.UTF8.GetString(xml));
        Assert.Equal("SYNCML:SYNCML1.2", doc.DocumentElement!.NamespaceURI);
        var ns = new XmlNamespaceManager(doc.NameTable);
        ns.AddNamespace("s", "SYNCML:SYNCML1.2");
        ns.AddNamespace("m", "syncml:metinf");
        Assert.Equal("c3J2bm9uY2UtMDAwMQ==", doc.SelectSingleNode("//s:Status/s:Chal/s:Meta/m:NextNonce", ns)?.InnerText);
        Assert.Equal("212", doc.SelectSingleNode("//s:Status/s:Data", ns)?.InnerText);
        Assert.NotNull(doc.SelectSingleNode("/s:SyncML/s:SyncBody/s:Final", ns));

        Assert.Equal(message, SyncMlXml.Parse(xml));
        Assert.Equal(message, SyncMlWbxml.Parse(SyncMlWbxml.Write(message)));
    }

    [Fact]
    public void Every_command_kind_round_trips_in_both_encodings()
    {
        var item = new SyncMlItem
        {
            Target = new SyncMlLocation("./a", "A"),
            Source = new SyncMlLocation("./b"),
            Meta = new SyncMlMeta { Format = "b64", Type = "application/octet-stream", Size = 3, MaxObjSize = 9 },
            Data = SyncMlData.FromOpaque([0x41, 0x42, 0x43]),
            MoreData = true,
        };
        var message = SyncMlTestMessages.ServerPackage() with
        {
            Header = SyncMlTestMessages.ServerPackage().Header with { RespUri = "http://dm/r?s=1", Meta = new SyncMlMeta { MaxMsgSize = 16384, MaxObjSize = 65536 } },
            Commands =
            [
                new AlertCommand { CmdId = "1", Data = "1226", Correlator = "c1", Items = [item] },
                new AddCommand { CmdId = "2", NoResp = true, Items = [item with { Data = SyncMlData.Empty }] },
                new CopyCommand { CmdId = "3", Items = [item] },
                new DeleteCommand { CmdId = "4", Items = [item with { Data = null }] },
                new ExecCommand { CmdId = "5", Correlator = "x", Items = [item] },
                new AtomicCommand { CmdId = "6", Commands = [new ReplaceCommand { CmdId = "7", Items = [item] }] },
                new SequenceCommand { CmdId = "8", Commands = [new GetCommand { CmdId = "9", Items = [item] }] },
                new ResultsCommand { CmdId = "10", MsgRef = "1", CmdRef = "9", Items = [item] },
            ],
        };

        Assert.Equal(message, SyncMlXml.Parse(SyncMlXml.Write(message)));
        Assert.Equal(message, SyncMlWbxml.Parse(SyncMlWbxml.Write(message)));
        Assert.True(item.Data!.TryGetBytes(null, out var raw));
        Assert.Equal("ABC"u8.ToArray(), raw);
    }
}
