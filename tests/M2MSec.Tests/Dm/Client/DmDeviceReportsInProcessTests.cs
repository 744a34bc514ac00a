using M2MSec.Device.Dm;
using M2MSec.Device.M2me;
using M2MSec.Dm.Auth;
using M2MSec.Dm.SyncMl;
using M2MSec.Dm.Tree;
using M2MSec.NetworkFunctions.Dm;
using M2MSec.Storage.Dm;
using M2MSec.Storage.InMemory;

namespace M2MSec.Tests.Dm.Client;

/// <summary>
/// The device simulator and the server's session engine in one process (every message through the XML codec):
/// issue 13 item 9 (an interior Add with Item-level Meta Format node is applied by the device), item 10 (a job that adds then
/// replaces a value and reads it back is done) and item 11 (the session leaves the device's DevInfo, its Generic Alert and
/// the session's time and outcome stored).
/// </summary>
public sealed class DmDeviceReportsInProcessTests : IDisposable
{
    private const string ServerId = "m2msec-dm";
    private static readonly Uri ServerUri = new("https://dm.example/dm");
    private readonly string _dir = Directory.CreateTempSubdirectory("m2msec-dmrep-").FullName;
    private readonly InMemoryDmStore _store = new(TimeProvider.System);
    private readonly DmSessionEngine _engine;
    private readonly M2meDevice _device;
    private readonly List<SyncMlMessage> _down = [];

    public DmDeviceReportsInProcessTests()
    {
        _engine = new DmSessionEngine(_store, ServerUri.ToString(), TimeProvider.System, new DmSessionOptions { AllowPlainHttpSessions = true });
        _device = M2meDevice.Create(Path.Combine(_dir, "dev"), Path.Combine(_dir, "fuse"), "001010000000009", M2meKind.Tre);
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string DevId => _device.Info.TreId;

    private async Task<DmClient> ClientAsync()
    {
        Assert.True(await _store.AddAccountAsync(new DmAccount(DevId, ServerId, "dev", "client-secret"u8.ToArray(), "server-secret"u8.ToArray(),
            "md5", "md5", DateTimeOffset.UtcNow)));
        return new DmClient(_device, new DmClientAccount(ServerId, ServerUri, "dev", "client-secret"u8.ToArray(), "server-secret"u8.ToArray(), DmAuthScheme.Md5));
    }

    private async Task<SyncMlWireMessage> Exchange(SyncMlWireMessage up, CancellationToken ct)
    {
        var down = await _engine.ExchangeXmlAsync(up, ct);
        _down.Add(SyncMlXml.Parse(down.Body));
        return down;
    }

    [Fact]
    public async Task InteriorAdd_ThenAddAndReplaceOfALeaf_WithReadBack_DeviceAppliesAll_JobDone()
    {
        var tree = DeviceDmTree.Load(_device, ServerId);
        tree.AddInteriorLocal("./Ext", DmAcl.Parse($"Add={ServerId}&Get={ServerId}&Replace={ServerId}"));
        DeviceDmTree.Save(_device, tree);
        var client = await ClientAsync();
        var id = "job-1";
        // What `dm job add --add ./Ext/Node --add ./Ext/Node/X=hello --replace ./Ext/Node/X=world --verify` queues.
        var commands = DmJobReadBack.WithReadBack([("add", "./Ext/Node", null), ("add", "./Ext/Node/X", "hello"), ("replace", "./Ext/Node/X", "world")]);
        await _store.AddJobAsync(new DmJobRecord(id, DevId, "queued", DateTimeOffset.UtcNow, DateTimeOffset.UtcNow,
            [.. commands.Select((c, i) => new DmCommandRecord(id, i + 1, c.Verb, c.Uri, c.Value, null, null))]), TestContext.Current.CancellationToken);

        var outcome = await client.RunSessionAsync(Exchange, TestContext.Current.CancellationToken);

        Assert.True(outcome.Completed, outcome.Detail);
        var interior = _down.SelectMany(m => m.Commands.OfType<AddCommand>()).First(a => a.Items[0].Target!.LocUri == "./Ext/Node");
        Assert.Equal("node", interior.Items[0].Meta?.Format);
        var job = Assert.Single(await _store.ListJobsAsync(DevId, TestContext.Current.CancellationToken));
        Assert.Equal([200, 200, 200, 200], job.Commands.Select(c => c.Status));
        Assert.Equal("world", job.Commands[3].Results);
        Assert.Null(DmJobReadBack.Verified(job, job.Commands[1])); // superseded by the Replace, not "DIFFERS"
        Assert.True(DmJobReadBack.Verified(job, job.Commands[2]));
        Assert.Equal("done", job.State);
        var after = DeviceDmTree.Load(_device, ServerId);
        Assert.Equal(M2MSec.Dm.DmStatusCode.Ok, after.Get(ServerId, "./Ext/Node").Status);
        Assert.Equal("world"u8.ToArray(), after.Get(ServerId, "./Ext/Node/X").Data.ToArray());
    }

    [Fact]
    public async Task DeviceSimulatorSession_LeavesDevInfo_ItsGenericAlert_AndTheSessionOutcomeStored()
    {
        var client = await ClientAsync();
        client.QueueGenericAlert(new DmGenericAlert("./NASConfig", "urn:oma:at:m2msec:1.0:NasApplied", "chr", "applied", Mark: "informational"));
        Assert.Equal(1, client.PendingGenericAlerts);
        var before = DateTimeOffset.UtcNow;

        var outcome = await client.RunSessionAsync(Exchange, TestContext.Current.CancellationToken);

        Assert.True(outcome.Completed, outcome.Detail);
        Assert.Equal(0, client.PendingGenericAlerts); // delivered: not sent again
        var report = await _store.GetDeviceReportAsync(DevId, TestContext.Current.CancellationToken);
        var info = report.DevInfo.ToDictionary(i => i.Uri, i => i.Value);
        Assert.Equal(DevId, info["./DevInfo/DevId"]);
        Assert.Equal("M2MSec", info["./DevInfo/Man"]);
        Assert.Equal("M2ME-TRE", info["./DevInfo/Mod"]);
        Assert.Equal("1.2", info["./DevInfo/DmV"]);
        Assert.Equal("en-US", info["./DevInfo/Lang"]);
        var alert = Assert.Single(report.GenericAlerts);
        Assert.Equal(("./NASConfig", "urn:oma:at:m2msec:1.0:NasApplied", "chr", "informational", "applied"), (alert.Source, alert.Type, alert.Format, alert.Mark, alert.Data));
        Assert.Equal(DmSessionOutcomes.Completed, report.LastSession?.Outcome);
        Assert.InRange(report.LastSession!.At, before, DateTimeOffset.UtcNow);
        // The server answered the Generic Alert with 200 once the device had authenticated.
        Assert.Contains(_down.SelectMany(m => m.Commands), s => s is StatusCommand { Cmd: "Alert", CmdRef: "3", Data: "200" });

        // A second session does not send the alert again.
        await client.RunSessionAsync(Exchange, TestContext.Current.CancellationToken);
        Assert.Single((await _store.GetDeviceReportAsync(DevId, TestContext.Current.CancellationToken)).GenericAlerts);
    }
}
