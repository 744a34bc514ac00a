using System.Text;
using M2MSec.Dm.SyncMl;

namespace M2MSec.Tests.Dm.SyncMl;

/// <summary>SyncMlXml against libdmclient's packages (OMA-TS-DM_RepPro-V1_2).</summary>
public sealed class SyncMlXmlVectorTests
{
    public static TheoryData<string> Messages() => SyncMlVectors.AllXmlMessages();

    [Theory]
    [MemberData(nameof(Messages))]
    public void Every_captured_message_parses_and_round_trips(string file)
    {
        var message = SyncMlXml.Parse(SyncMlVectors.Body(file));

        Assert.Equal("1.2", message.Header.VerDtd);
        Assert.Equal("DM/1.2", message.Header.VerProto);
        Assert.Equal("1", message.Header.SessionId);
        Assert.True(message.Final);
        Assert.NotEmpty(message.Commands);
        Assert.Equal(message, SyncMlXml.Parse(SyncMlXml.Write(message)));
    }

    [Fact]
    public void Package1_has_basic_cred_alert_1201_and_devinfo()
    {
        var m = SyncMlXml.Parse(SyncMlVectors.Body("session_md5_challenge/01_client_to_server.xml"));

        Assert.Equal("1", m.Header.MsgId);
        Assert.Equal("http://127.0.0.1:8080/funambol/dm", m.Header.Target.LocUri);
        Assert.Equal("DMCtest", m.Header.Source.LocUri);
        Assert.Equal("syncml:auth-basic", m.Header.Cred!.Meta!.Type);
        Assert.Equal("b64", m.Header.Cred.Meta.Format);
        Assert.Equal("ZnVuYW1ib2w6ZnVuYW1ib2w=", m.Header.Cred.Data!.Text);
        Assert.True(m.Header.Cred.Data.TryGetBytes("b64", out var cred));
        Assert.Equal("funambol:funambol", Encoding.ASCII.GetString(cred));
        Assert.Equal(16384, m.Header.Meta!.MaxMsgSize);

        var alert = Assert.IsType<AlertCommand>(m.Commands[0]);
        Assert.Equal("1", alert.CmdId);
        Assert.Equal(1201, alert.Code);

        var replace = Assert.IsType<ReplaceCommand>(m.Commands[1]);
        Assert.Equal("2", replace.CmdId);
        Assert.Equal(13, replace.Items.Count);
        var mod = replace.Items.Single(i => i.Source!.LocUri == "./DevInfo/Mod");
        Assert.Equal("chr", mod.Meta!.Format);
        Assert.Equal("text/plain", mod.Meta.Type);
        Assert.Equal("test model", mod.Data!.Text);
        var ext = replace.Items.Single(i => i.Source!.LocUri == "./DevInfo/Ext");
        Assert.Equal("node", ext.Meta!.Format);
        Assert.Equal("Intel/other", ext.Data!.Text);
        Assert.Equal("DMCtest", replace.Items.Single(i => i.Source!.LocUri == "./DevInfo/DevId").Data!.Text);
    }

    [Fact]
    public void Server_challenge_has_401_with_md5_nonce_and_407s()
    {
        var m = SyncMlXml.Parse(SyncMlVectors.Body("session_md5_challenge/02_server_to_client.xml"));

        Assert.Equal("syncml:auth-md5", m.Header.Cred!.Meta!.Type);
        Assert.Equal("Lx7CSZp0iHRedCEbryGJuw==", m.Header.Cred.Data!.Text);
        var statuses = m.Commands.Cast<StatusCommand>().ToList();
        Assert.Equal(3, statuses.Count);

        var hdr = statuses[0];
        Assert.Equal(("1", "0", "SyncHdr", 401), (hdr.MsgRef, hdr.CmdRef, hdr.Cmd, hdr.Code));
        Assert.Equal(["http://127.0.0.1:8080/funambol/dm"], hdr.TargetRefs);
        Assert.Equal(["DMCtest"], hdr.SourceRefs);
        Assert.Equal("syncml:auth-md5", hdr.Chal!.Meta!.Type);
        Assert.Equal("b64", hdr.Chal.Meta.Format);
        Assert.Equal("c3J2bm9uY2UtMDAwMQ==", hdr.Chal.Meta.NextNonce);
        Assert.Equal("srvnonce-0001", Encoding.ASCII.GetString(Convert.FromBase64String(hdr.Chal.Meta.NextNonce!)));

        Assert.Equal(("Alert", "1", 407), (statuses[1].Cmd, statuses[1].CmdRef, statuses[1].Code));
        Assert.Equal(("Replace", "2", 407), (statuses[2].Cmd, statuses[2].CmdRef, statuses[2].Code));
    }

    [Fact]
    public void Client_package3_has_results_with_data_and_404()
    {
        var m = SyncMlXml.Parse(SyncMlVectors.Body("session_md5_challenge/05_client_to_server.xml"));

        Assert.Equal("3", m.Header.MsgId);
        Assert.Null(m.Header.Cred);
        var results = m.Commands.OfType<ResultsCommand>().ToList();
        Assert.Equal(2, results.Count);
        Assert.Equal(("2", "4"), (results[0].MsgRef, results[0].CmdRef));
        Assert.Equal("./DevInfo/Mod", results[0].Items[0].Source!.LocUri);
        Assert.Equal("test model", results[0].Items[0].Data!.Text);
        Assert.Equal("true", results[0].Items[1].Data!.Text);
        Assert.Equal("0", results[1].Items.Single().Data!.Text);
        Assert.Equal("int", results[1].Items.Single().Meta!.Format);

        var missing = m.Commands.OfType<StatusCommand>().Single(s => s.Code == 404);
        Assert.Equal(["./Vendor/memory/NoSuchLeaf"], missing.TargetRefs);
        Assert.Equal("Get", missing.Cmd);
    }

    [Fact]
    public void Server_package2_has_get_add_with_empty_data_and_replace()
    {
        var m = SyncMlXml.Parse(SyncMlVectors.Body("session_basic/02_server_to_client.xml"));

        var get = Assert.IsType<GetCommand>(m.Commands[3]);
        Assert.Equal(["./DevInfo/Mod", "./DevDetail/LrgObj"], get.Items.Select(i => i.Target!.LocUri));
        var addNode = Assert.IsType<AddCommand>(m.Commands[4]);
        Assert.Equal("node", addNode.Items[0].Meta!.Format);
        Assert.Equal(SyncMlData.Empty, addNode.Items[0].Data);
        var replace = Assert.IsType<ReplaceCommand>(m.Commands[6]);
        Assert.Equal("./Vendor/memory/NASConfig/NAS_SignallingPriority", replace.Items[0].Target!.LocUri);
        Assert.Equal("0", replace.Items[0].Data!.Text);

        // <Data></Data> is written back as <Data /> (libdmclient needs the element present).
        Assert.Contains("<Data /></Item></Add>", Encoding.UTF8.GetString(SyncMlXml.Write(m)), StringComparison.Ordinal);
    }
}
