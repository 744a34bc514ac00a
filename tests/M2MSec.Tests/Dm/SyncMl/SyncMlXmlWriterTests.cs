using System.Text;
using System.Xml;
using M2MSec.Dm.SyncMl;

namespace M2MSec.Tests.Dm.SyncMl;

/// <summary>
/// Issue 19: the XML writer without <see cref="XmlWriter"/> writes the same bytes XmlWriter wrote (kept here as the reference),
/// refuses what XmlWriter refused, and <see cref="SyncMlXml.Measure"/> is the length of what it writes. The reader keeps its
/// text rules (one value from text and CDATA pieces, mixed content refused).
/// </summary>
public sealed class SyncMlXmlWriterTests
{
    /// <summary>The writer before issue 19: XmlWriter over the same element tree.</summary>
    private static byte[] Reference(SyncMlMessage message)
    {
        var root = SyncMlTreeWriter.Write(message);
        using var stream = new MemoryStream();
        using (var writer = XmlWriter.Create(stream, new XmlWriterSettings { Encoding = new UTF8Encoding(false), Indent = false }))
        {
            writer.WriteStartDocument();
            WriteNode(writer, root);
            writer.WriteEndDocument();
        }
        return stream.ToArray();
    }

    private static void WriteNode(XmlWriter writer, SyncMlNode node)
    {
        writer.WriteStartElement(node.Name, node.MetInf ? SyncMlTags.MetInfNamespace : SyncMlTags.SyncMlNamespace);
        if (node.Opaque is { } opaque)
            writer.WriteString(new UTF8Encoding(false, true).GetString(opaque));
        else if (node.Text is { Length: > 0 } text)
            writer.WriteString(text);
        foreach (var child in node.Children)
            WriteNode(writer, child);
        writer.WriteEndElement();
    }

    private static void AssertSameAsReference(SyncMlMessage message)
    {
        var written = SyncMlXml.Write(message);
        Assert.Equal(Encoding.UTF8.GetString(Reference(message)), Encoding.UTF8.GetString(written));
        Assert.Equal(Reference(message), written);
        Assert.Equal(written.Length, SyncMlXml.Measure(message));
    }

    private static SyncMlMessage WithValue(SyncMlData data) => SyncMlTestMessages.ServerPackage() with
    {
        Commands = [new ReplaceCommand { CmdId = "3", Items = [new SyncMlItem { Target = new SyncMlLocation("./a"), Meta = new SyncMlMeta { Format = "chr" }, Data = data }] }],
    };

    [Theory]
    [MemberData(nameof(SyncMlVectors.AllXmlMessages), MemberType = typeof(SyncMlVectors))]
    public void Recorded_messages_are_written_as_xml_writer_wrote_them(string file)
    {
        var message = SyncMlXml.Parse(SyncMlVectors.Body(file));

        AssertSameAsReference(message);
    }

    [Fact]
    public void Server_package_and_every_command_kind_are_written_as_xml_writer_wrote_them()
    {
        AssertSameAsReference(SyncMlTestMessages.ServerPackage());
        var item = new SyncMlItem
        {
            Target = new SyncMlLocation("./a", "A"),
            Source = new SyncMlLocation("./b"),
            Meta = new SyncMlMeta { Format = "b64", Type = "application/octet-stream", Size = 3, MaxObjSize = 9, Mark = "m", Version = "1" },
            Data = SyncMlData.FromOpaque("ABC"u8),
            MoreData = true,
        };
        AssertSameAsReference(SyncMlTestMessages.ServerPackage() with
        {
            Header = SyncMlTestMessages.ServerPackage().Header with { RespUri = "https://dm/r?s=1&t=2", NoResp = true, Meta = new SyncMlMeta { MaxMsgSize = 16384 } },
            Commands =
            [
                new AlertCommand { CmdId = "1", Data = "1226", Correlator = "c1", Items = [item] },
                new AddCommand { CmdId = "2", NoResp = true, Items = [item with { Data = SyncMlData.Empty }] },
                new DeleteCommand { CmdId = "4", Items = [item with { Data = null }] },
                new ExecCommand { CmdId = "5", Correlator = "x", Items = [item with { Data = SyncMlData.FromOpaque([]) }] },
                new AtomicCommand { CmdId = "6", Commands = [new ReplaceCommand { CmdId = "7", Items = [item] }] },
                new ResultsCommand { CmdId = "10", MsgRef = "1", CmdRef = "9", Items = [item] },
                new StatusCommand { CmdId = "11", MsgRef = "1", CmdRef = "2", Cmd = "Add", Data = "200", TargetRefs = ["./a", "./b"] },
            ],
        });
    }

    [Theory]
    [InlineData("")]
    [InlineData("plain")]
    [InlineData("a<b>c&d \"q\" 'a' ]]> &amp;")]
    [InlineData("line\r\nend\rcr\nlf\ttab\r")]
    [InlineData("caf\u00e9 \u20ac \u00ff\u0080 \ud83d\ude00 \u4e2d\u6587 \u007f")]
    [InlineData("<?xml?><!-- x --><![CDATA[y]]>")]
    public void Text_is_escaped_as_xml_writer_escaped_it(string text)
    {
        AssertSameAsReference(WithValue(SyncMlData.FromText(text)));
        AssertSameAsReference(WithValue(SyncMlData.FromOpaque(Encoding.UTF8.GetBytes(text))));
        Assert.Equal(text.Replace("\r\n", "\n", StringComparison.Ordinal).Replace('\r', '\n'),
            SyncMlXml.Parse(SyncMlXml.Write(WithValue(SyncMlData.FromText(text)))).Commands[0] is ReplaceCommand r ? r.Items[0].Data!.Text : null);
    }

    /// <summary>Code points, not strings: a lone surrogate in an attribute's string would reach the test as U+FFFD.</summary>
    [Theory]
    [InlineData(0x00, false)]
    [InlineData(0x07, false)]
    [InlineData(0x1F, false)]
    [InlineData(0xD800, false)]
    [InlineData(0xDBFF, true)]
    [InlineData(0xDC00, false)]
    [InlineData(0xFFFE, false)]
    [InlineData(0xFFFF, true)]
    public void Characters_xml_cannot_carry_are_refused_as_xml_writer_refused_them(int c, bool atTheEnd)
    {
        var text = atTheEnd ? "value " + (char)c : "value " + (char)c + " more";
        var message = WithValue(SyncMlData.FromText(text));

        Assert.ThrowsAny<ArgumentException>(() => Reference(message));
        Assert.ThrowsAny<ArgumentException>(() => SyncMlXml.Write(message));
        Assert.ThrowsAny<ArgumentException>(() => SyncMlXml.Measure(message));
    }

    [Fact]
    public void Opaque_data_that_is_not_utf8_is_refused_as_before()
    {
        var message = WithValue(SyncMlData.FromOpaque([0x41, 0xFF, 0x42]));

        Assert.ThrowsAny<ArgumentException>(() => Reference(message));
        Assert.ThrowsAny<ArgumentException>(() => SyncMlXml.Write(message));
    }

    private const string Head =
        "<?xml version=\"1.0\"?><SyncML xmlns='SYNCML:SYNCML1.2'><SyncHdr><VerDTD>1.2</VerDTD><VerProto>DM/1.2</VerProto><SessionID>7</SessionID>"
        + "<MsgID>3</MsgID><Target><LocURI>http://dm</LocURI></Target><Source><LocURI>IMEI:1</LocURI></Source></SyncHdr><SyncBody>";

    [Fact]
    public void Text_and_cdata_pieces_make_one_value_and_whitespace_between_elements_is_dropped()
    {
        var xml = Head + "\n  <Alert>\n   <CmdID>1</CmdID>\n   <Data>12<![CDATA[0]]>1<![CDATA[]]></Data>\n  </Alert>\n  <Final/>\n </SyncBody></SyncML>";
        var message = SyncMlXml.Parse(Encoding.UTF8.GetBytes(xml));

        var alert = Assert.IsType<AlertCommand>(Assert.Single(message.Commands));
        Assert.Equal(("1", "1201", 1201), (alert.CmdId, alert.Data, alert.Code));
        Assert.True(message.Final);
    }

    [Theory]
    [InlineData("<Alert>text<CmdID>1</CmdID></Alert>")]
    [InlineData("<Alert><CmdID>1</CmdID>text</Alert>")]
    [InlineData("<Alert> <CmdID>1</CmdID> <![CDATA[x]]> </Alert>")]
    public void Mixed_content_is_still_malformed(string command)
    {
        Assert.False(SyncMlXml.TryParse(Encoding.UTF8.GetBytes(Head + command + "<Final/></SyncBody></SyncML>"), out _, out var error));

        Assert.Equal(SyncMlErrorReason.Malformed, error.Reason);
        Assert.Contains("mixed content", error.Message, StringComparison.Ordinal);
        Assert.Equal("3", error.Header?.MsgId);
    }
}
