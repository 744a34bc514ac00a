using M2MSec.Dm.SyncMl;
using M2MSec.NetworkFunctions.Dm;
using M2MSec.Storage.Dm;
using M2MSec.Storage.InMemory;
using M2MSec.Tests.Dm.SyncMl;
using Microsoft.Extensions.Time.Testing;

namespace M2MSec.Tests.Dm.Server;

/// <summary>
/// Issue 13 item 11: the server keeps what an authenticated device reports — the DevInfo of package 1 and the Items of its
/// Generic Alerts (1226, answered 200) — fed with the package 1 the real client (libdmclient) sent, in XML and WBXML; an
/// unauthenticated message carrying the same stores nothing. Issue 13 item 9: an interior Add carries Meta Format node on
/// its Item (libdmclient reads Item-level Meta only), in XML and WBXML.
/// </summary>
public sealed class DmDeviceReportsTests
{
    private const string ServerUri = "http://127.0.0.1:8080/funambol/dm";
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 12, 3, 7, 0, 0, TimeSpan.Zero));
    private readonly InMemoryDmStore _store;

    public DmDeviceReportsTests()
    {
        _store = new InMemoryDmStore(_clock);
    }

    private async Task<DmSessionEngine> EngineAsync(string clientPassword = "funambol", params DmCommandRecord[] commands)
    {
        Assert.True(await _store.AddAccountAsync(new DmAccount("DMCtest", "funambol", "funambol", System.Text.Encoding.UTF8.GetBytes(clientPassword),
            "srvpwd"u8.ToArray(), "basic", "md5", _clock.GetUtcNow())));
        if (commands.Length > 0)
            await _store.AddJobAsync(new DmJobRecord("job-1", "DMCtest", "queued", _clock.GetUtcNow(), _clock.GetUtcNow(), commands));
        return new DmSessionEngine(_store, ServerUri, _clock, new DmSessionOptions { AllowPlainHttpSessions = true });
    }

    private static SyncMlMessage Package1() => SyncMlXml.Parse(SyncMlVectors.Body("session_basic/01_client_to_server.xml"));

    private static readonly AlertCommand FirmwareAlert = new()
    {
        CmdId = "3",
        Data = "1226",
        Correlator = "abc123",
        Items =
        [
            new SyncMlItem
            {
                Source = new SyncMlLocation("./FwUpdate/Pkg1/DownloadAndUpdate"),
                Meta = new SyncMlMeta { Type = "org.openmobilealliance.dm.firmwareupdate.downloadandupdate", Format = "int", Mark = "critical" },
                Data = "200",
            },
            new SyncMlItem { Meta = new SyncMlMeta { Type = "urn:oma:at:diagmon:1.0:TrapNotification", Format = "chr" }, Data = "link down\u001b[2J" },
        ],
    };

    private static SyncMlMessage WithAlert(SyncMlMessage m) => m with { Commands = [.. m.Commands, FirmwareAlert] };

    [Fact]
    public async Task RealClientsPackage1_Authenticated_LeavesItsDevInfoStored_InterfaceNodesNot()
    {
        var engine = await EngineAsync();
        var reply = (await engine.HandleAsync(Package1(), null, default, TestContext.Current.CancellationToken)).Message;
        Assert.Equal("212", reply.Commands.OfType<StatusCommand>().First().Data);

        var report = await _store.GetDeviceReportAsync("DMCtest", TestContext.Current.CancellationToken);
        var info = report.DevInfo.ToDictionary(i => i.Uri, i => i.Value);
        Assert.Equal("DMCtest", info["./DevInfo/DevId"]);
        Assert.Equal("test manufacturer", info["./DevInfo/Man"]);
        Assert.Equal("test model", info["./DevInfo/Mod"]);
        Assert.Equal("1.0", info["./DevInfo/DmV"]);
        Assert.Equal("test language", info["./DevInfo/Lang"]);
        Assert.Equal("data of test1", info["./DevInfo/Ext/Intel/test1"]);
        Assert.DoesNotContain("./DevInfo/Ext/Intel", info.Keys); // Format node: an interior node's child list, not kept
        Assert.Equal(9, info.Count);
        Assert.All(report.DevInfo, i => Assert.Equal(_clock.GetUtcNow(), i.UpdatedAt));
    }

    [Fact]
    public async Task RealClientsWbxmlPackage1_LeavesDevInfoStored_AndAnInteriorAdd_CarriesItemMetaFormatNode_LibdmclientInterop()
    {
        var engine = await EngineAsync(commands:
        [
            new("job-1", 1, "add", "./Vendor/memory/NASConfig", null, null, null),
            new("job-1", 2, "add", "./Vendor/memory/NASConfig/NAS_SignallingPriority", "1", null, null),
        ]);
        var wire = await engine.ExchangeAsync(new SyncMlWireMessage(SyncMlVectors.Bytes("pkg1_client_init.wbxml")), wbxml: true, TestContext.Current.CancellationToken);
        var reply = SyncMlWbxml.Parse(wire!.Body);
        Assert.Equal("212", reply.Commands.OfType<StatusCommand>().First().Data);

        var adds = reply.Commands.OfType<AddCommand>().ToList();
        Assert.Equal(2, adds.Count);
        var interior = Assert.Single(adds[0].Items);
        Assert.Equal("node", interior.Meta?.Format); // on the Item: libdmclient's add_node reads itemP->meta only
        Assert.NotNull(interior.Data); // <Data/> too: without it the client crashes
        Assert.Equal("chr", adds[1].Items[0].Meta?.Format);
        // The XML form keeps it on the Item as well (what the recorded test server sent libdmclient, and it accepted).
        var xml = SyncMlXml.Parse(SyncMlXml.Write(reply));
        Assert.Equal("node", xml.Commands.OfType<AddCommand>().First().Items[0].Meta?.Format);

        var info = (await _store.GetDeviceReportAsync("DMCtest", TestContext.Current.CancellationToken)).DevInfo.ToDictionary(i => i.Uri, i => i.Value);
        Assert.Equal("test model", info["./DevInfo/Mod"]);
    }

    [Fact]
    public async Task GenericAlert_InPackage1_IsAnswered200_AndEachItemStored()
    {
        var engine = await EngineAsync();
        var reply = (await engine.HandleAsync(WithAlert(Package1()), null, default, TestContext.Current.CancellationToken)).Message;
        var status = Assert.Single(reply.Commands.OfType<StatusCommand>(), s => s.CmdRef == "3");
        Assert.Equal(("Alert", "200"), (status.Cmd, status.Data));

        var alerts = (await _store.GetDeviceReportAsync("DMCtest", TestContext.Current.CancellationToken)).GenericAlerts;
        Assert.Equal(2, alerts.Count);
        Assert.Equal(new DmGenericAlertRecord(_clock.GetUtcNow(), "abc123", "./FwUpdate/Pkg1/DownloadAndUpdate",
            "org.openmobilealliance.dm.firmwareupdate.downloadandupdate", "int", "critical", "200"), alerts[0]);
        Assert.Equal(new DmGenericAlertRecord(_clock.GetUtcNow(), "abc123", null, "urn:oma:at:diagmon:1.0:TrapNotification", "chr", null, "link down\u001b[2J"), alerts[1]);
    }

    [Theory]
    [InlineData("DMCtest", "not-funambol")] // a known device, wrong credential (challenged, then refused)
    [InlineData("ghost", "funambol")] // a DevId nobody registered
    public async Task UnauthenticatedMessage_CarryingDevInfoAndGenericAlert_StoresNothing_ForgedReportThreat(string devId, string accountPassword)
    {
        var engine = await EngineAsync(accountPassword);
        var forged = WithAlert(Package1());
        forged = forged with { Header = forged.Header with { Source = new SyncMlLocation(devId) } };
        for (var msg = 1; msg <= 2; msg++)
        {
            var reply = (await engine.HandleAsync(forged with { Header = forged.Header with { MsgId = msg.ToString(System.Globalization.CultureInfo.InvariantCulture) } },
                null, default, TestContext.Current.CancellationToken)).Message;
            Assert.True(reply.Commands.OfType<StatusCommand>().First().Data is "401" or "407");
        }
        foreach (var dev in new[] { "DMCtest", "ghost" })
        {
            var report = await _store.GetDeviceReportAsync(dev, TestContext.Current.CancellationToken);
            Assert.Empty(report.DevInfo);
            Assert.Empty(report.GenericAlerts);
            Assert.Null(report.LastSession);
        }
    }

    [Fact]
    public async Task SessionRunToItsEnd_RecordsTheLastSessionTimeAndOutcome()
    {
        var engine = await EngineAsync(commands: [new("job-1", 1, "get", "./DevInfo/Mod", null, null, null)]);
        var reply = (await engine.HandleAsync(Package1(), null, default, TestContext.Current.CancellationToken)).Message;
        var get = Assert.Single(reply.Commands.OfType<GetCommand>());
        Assert.Null((await _store.GetDeviceReportAsync("DMCtest", TestContext.Current.CancellationToken)).LastSession);
        _clock.Advance(TimeSpan.FromSeconds(3));
        var package3 = new SyncMlMessage
        {
            Header = Package1().Header with { MsgId = "2", Cred = null },
            Commands =
            [
                new StatusCommand { CmdId = "1", MsgRef = "1", CmdRef = "0", Cmd = "SyncHdr", Data = "212" },
                new StatusCommand { CmdId = "2", MsgRef = "1", CmdRef = get.CmdId, Cmd = "Get", Data = "200" },
                new ResultsCommand { CmdId = "3", MsgRef = "1", CmdRef = get.CmdId, Items = [new SyncMlItem { Source = new("./DevInfo/Mod"), Data = "test model" }] },
            ],
            Final = true,
        };
        // Where the server said the session continues (RespURI), if it did.
        await engine.HandleAsync(package3, null, default, TestContext.Current.CancellationToken, reply.Header.RespUri);
        Assert.Equal(new DmSessionRecord(_clock.GetUtcNow(), DmSessionOutcomes.Completed),
            (await _store.GetDeviceReportAsync("DMCtest", TestContext.Current.CancellationToken)).LastSession);
    }
}
