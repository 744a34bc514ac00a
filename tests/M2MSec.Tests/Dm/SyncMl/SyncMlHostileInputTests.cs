using System.Text;
using M2MSec.Dm;
using M2MSec.Dm.SyncMl;

namespace M2MSec.Tests.Dm.SyncMl;

/// <summary>Hostile and malformed messages end in a typed <see cref="SyncMlError"/>, never an exception or a hang.</summary>
public sealed class SyncMlHostileInputTests
{
    private const string Hdr =
        "<SyncHdr><VerDTD>1.2</VerDTD><VerProto>DM/1.2</VerProto><SessionID>7</SessionID><MsgID>3</MsgID>"
        + "<Target><LocURI>http://dm</LocURI></Target><Source><LocURI>IMEI:1</LocURI></Source></SyncHdr>";

    private static string Doc(string body, string hdr = Hdr, string ns = "SYNCML:SYNCML1.2") =>
        $"<?xml version=\"1.0\" encoding=\"UTF-8\"?><SyncML xmlns='{ns}'>{hdr}<SyncBody>{body}<Final/></SyncBody></SyncML>";

    private static SyncMlError XmlError(string xml, SyncMlLimits? limits = null)
    {
        Assert.False(SyncMlXml.TryParse(Encoding.UTF8.GetBytes(xml), out var message, out var error, limits));
        Assert.Null(message);
        return error;
    }

    private static SyncMlError WbxmlError(byte[] wbxml, SyncMlLimits? limits = null)
    {
        Assert.False(SyncMlWbxml.TryParse(wbxml, out var message, out var error, limits));
        Assert.Null(message);
        return error;
    }

    [Fact]
    public void Billion_laughs_is_refused_as_a_dtd()
    {
        var xml = "<?xml version=\"1.0\"?><!DOCTYPE SyncML [<!ENTITY a \"aaaaaaaaaa\"><!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;\">"
            + "<!ENTITY c \"&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;\"><!ENTITY d \"&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;\">]>"
            + Doc("<Alert><CmdID>1</CmdID><Data>&d;</Data></Alert>")[38..];
        var error = XmlError(xml);

        Assert.Equal(SyncMlErrorReason.DtdProhibited, error.Reason);
        Assert.Equal(DmStatusCode.UnsupportedMediaTypeOrFormat, error.StatusCode);
    }

    [Fact]
    public void External_entity_is_refused()
    {
        var xml = "<?xml version=\"1.0\"?><!DOCTYPE SyncML [<!ENTITY x SYSTEM \"file:///etc/passwd\">]>"
            + Doc("<Alert><CmdID>1</CmdID><Data>&x;</Data></Alert>")[38..];

        Assert.Equal(SyncMlErrorReason.DtdProhibited, XmlError(xml).Reason);
    }

    [Fact]
    public void Deep_nesting_is_refused()
    {
        var deep = string.Concat(Enumerable.Repeat("<Sequence>", 100)) + string.Concat(Enumerable.Repeat("</Sequence>", 100));
        var error = XmlError(Doc(deep));

        Assert.Equal(SyncMlErrorReason.TooDeep, error.Reason);
        Assert.Equal("3", error.Header?.MsgId); // the header was complete: enough to answer
    }

    [Fact]
    public void Oversized_document_is_refused_with_413()
    {
        var error = XmlError(Doc($"<Alert><CmdID>1</CmdID><Data>{new string('x', 70_000)}</Data></Alert>"));

        Assert.Equal(SyncMlErrorReason.TooLarge, error.Reason);
        Assert.Equal(DmStatusCode.RequestEntityTooLarge, error.StatusCode);
    }

    [Fact]
    public void Document_limit_is_configurable()
    {
        var xml = Doc("<Alert><CmdID>1</CmdID><Data>1201</Data></Alert>");

        Assert.Equal(SyncMlErrorReason.TooLarge, XmlError(xml, new SyncMlLimits { MaxDocumentBytes = 100 }).Reason);
        Assert.True(SyncMlXml.TryParse(Encoding.UTF8.GetBytes(xml), out _, out _));
    }

    [Fact]
    public void Too_many_commands_and_items_are_refused()
    {
        var alerts = string.Concat(Enumerable.Range(1, 300).Select(i => $"<Alert><CmdID>{i}</CmdID><Data>1201</Data></Alert>"));
        var commands = XmlError(Doc(alerts));
        Assert.Equal(SyncMlErrorReason.TooManyElements, commands.Reason);
        Assert.Equal("7", commands.Header?.SessionId);

        var items = string.Concat(Enumerable.Repeat("<Item><Target><LocURI>./a</LocURI></Target></Item>", 300));
        Assert.Equal(SyncMlErrorReason.TooManyElements, XmlError(Doc($"<Get><CmdID>1</CmdID>{items}</Get>")).Reason);
    }

    [Theory]
    [InlineData(10)]
    [InlineData(200)]
    [InlineData(-1)]
    public void Truncated_xml_is_refused(int length)
    {
        var whole = Encoding.UTF8.GetBytes(Doc("<Alert><CmdID>1</CmdID><Data>1201</Data></Alert>"));
        var xml = whole[..(length < 0 ? whole.Length + length : length)];

        Assert.False(SyncMlXml.TryParse(xml, out _, out var error));
        Assert.Contains(error.Reason, new[] { SyncMlErrorReason.Truncated, SyncMlErrorReason.Malformed });
        Assert.Equal(DmStatusCode.BadRequest, error.StatusCode);
    }

    [Fact]
    public void Wrong_namespace_and_wrong_root_are_unsupported_format()
    {
        Assert.Equal(SyncMlErrorReason.UnsupportedFormat, XmlError(Doc("", ns: "SYNCML:SYNCML1.1")).Reason);
        Assert.Equal(SyncMlErrorReason.UnsupportedFormat, XmlError("<html><body/></html>").Reason);
    }

    [Fact]
    public void Wrong_versions_are_refused_with_the_header()
    {
        var dtd = XmlError(Doc("", Hdr.Replace("<VerDTD>1.2", "<VerDTD>1.1", StringComparison.Ordinal)));
        Assert.Equal(SyncMlErrorReason.UnsupportedDtdVersion, dtd.Reason);
        Assert.Equal(505, dtd.StatusCode);
        Assert.Equal("1.1", dtd.Header?.VerDtd);

        var proto = XmlError(Doc("", Hdr.Replace("DM/1.2", "DM/1.1", StringComparison.Ordinal)));
        Assert.Equal(SyncMlErrorReason.UnsupportedProtocolVersion, proto.Reason);
        Assert.Equal(513, proto.StatusCode);
    }

    [Fact]
    public void Missing_required_elements_are_malformed()
    {
        Assert.Equal(SyncMlErrorReason.Malformed, XmlError(Doc("", Hdr.Replace("<MsgID>3</MsgID>", "", StringComparison.Ordinal))).Reason);
        var noCmdId = XmlError(Doc("<Get><Item><Target><LocURI>./a</LocURI></Target></Item></Get>"));
        Assert.Equal(SyncMlErrorReason.Malformed, noCmdId.Reason);
        Assert.Equal("3", noCmdId.Header?.MsgId);
    }

    [Fact]
    public void Foreign_and_unknown_elements_are_ignored_unmodelled_commands_kept()
    {
        var m = SyncMlXml.Parse(Encoding.UTF8.GetBytes(Doc(
            "<x:Evil xmlns:x='urn:x'><Alert><CmdID>9</CmdID></Alert></x:Evil><Bogus>1</Bogus><Sync><CmdID>4</CmdID></Sync>")));

        var unknown = Assert.IsType<UnknownCommand>(Assert.Single(m.Commands));
        Assert.Equal(("Sync", "4"), (unknown.Name, unknown.CmdId));
    }

    [Fact]
    public void Wbxml_truncated_at_every_length_is_refused()
    {
        var wbxml = SyncMlWbxml.Write(SyncMlTestMessages.ServerPackage());
        for (var n = 0; n < wbxml.Length; n++)
            Assert.False(SyncMlWbxml.TryParse(wbxml.AsSpan(0, n), out _, out _), $"length {n}");
        Assert.Equal(SyncMlErrorReason.Truncated, WbxmlError(wbxml[..40]).Reason);
    }

    [Fact]
    public void Wbxml_string_table_reference_out_of_range_is_refused()
    {
        // STR_T offset 5 into an empty string table, as VerDTD content.
        byte[] wbxml = [0x02, 0xA4, 0x01, 0x6A, 0x00, 0x6D, 0x6C, 0x71, 0x83, 0x05, 0x01, 0x01, 0x01];
        Assert.Contains("out of range", WbxmlError(wbxml).Message, StringComparison.Ordinal);

        // Public id by string table reference beyond the table.
        Assert.Equal(SyncMlErrorReason.Malformed, WbxmlError([0x02, 0x00, 0x09, 0x6A, 0x02, 0x41, 0x00, 0x6D, 0x01]).Reason);
    }

    [Fact]
    public void Wbxml_unknown_code_page_public_id_and_charset_are_unsupported()
    {
        Assert.Equal(SyncMlErrorReason.UnsupportedFormat, WbxmlError([0x02, 0xA4, 0x01, 0x6A, 0x00, 0x6D, 0x00, 0x07, 0x45, 0x01]).Reason);
        Assert.Equal(SyncMlErrorReason.UnsupportedFormat, WbxmlError([0x02, 0x9F, 0x53, 0x6A, 0x00, 0x6D, 0x01]).Reason); // 0x0FD3 = SyncML 1.1
        Assert.Equal(SyncMlErrorReason.UnsupportedFormat, WbxmlError([0x02, 0xA4, 0x01, 0x04, 0x00, 0x6D, 0x01]).Reason); // ISO-8859-1
    }

    [Fact]
    public void Wbxml_deep_nesting_oversize_and_bad_tokens_are_refused()
    {
        byte[] deep = [0x02, 0xA4, 0x01, 0x6A, 0x00, 0x6D, 0x6B, .. Enumerable.Repeat((byte)0x64, 1000)];
        Assert.Equal(SyncMlErrorReason.TooDeep, WbxmlError(deep).Reason);

        byte[] big = [0x02, 0xA4, 0x01, 0x6A, 0x00, 0x6D, 0x4F, 0xC3, 0x84, 0x80, 0x00, .. new byte[70_000]];
        Assert.Equal(SyncMlErrorReason.TooLarge, WbxmlError(big).Reason);

        // OPAQUE claiming 2^31 bytes; 5-byte mb_u_int32 overflow; attributes; LITERAL.
        Assert.Equal(SyncMlErrorReason.Malformed, WbxmlError([0x02, 0xA4, 0x01, 0x6A, 0x00, 0x6D, 0x4F, 0xC3, 0x88, 0x80, 0x80, 0x80, 0x00]).Reason);
        Assert.Equal(SyncMlErrorReason.Malformed, WbxmlError([0x02, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F, 0x6A, 0x00]).Reason);
        Assert.Equal(SyncMlErrorReason.Malformed, WbxmlError([0x02, 0xA4, 0x01, 0x6A, 0x00, 0xED, 0x01]).Reason);
        Assert.Equal(SyncMlErrorReason.Malformed, WbxmlError([0x02, 0xA4, 0x01, 0x6A, 0x00, 0x6D, 0x44, 0x00, 0x01]).Reason);
    }

    [Fact]
    public void Random_bytes_never_throw()
    {
        var random = new Random(1234);
        var valid = SyncMlWbxml.Write(SyncMlTestMessages.ServerPackage());
        for (var i = 0; i < 2000; i++)
        {
            var mutated = (byte[])valid.Clone();
            for (var k = 0; k < 3; k++)
                mutated[random.Next(mutated.Length)] = (byte)random.Next(256);
            SyncMlWbxml.TryParse(mutated, out _, out _);
            SyncMlXml.TryParse(mutated, out _, out _);
        }
    }
}
