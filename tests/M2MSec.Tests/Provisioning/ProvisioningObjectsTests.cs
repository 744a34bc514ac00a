using System.Text;
using M2MSec.Device.Dm;
using M2MSec.Device.M2me;
using M2MSec.Device.Provisioning;
using M2MSec.Dm;
using M2MSec.Dm.Auth;
using M2MSec.Dm.Tree;
using M2MSec.NetworkFunctions.Dm;
using M2MSec.Pki.Authority;
using M2MSec.Storage.Dm;
using M2MSec.Storage.InMemory;

namespace M2MSec.Tests.Provisioning;

/// <summary>
/// Issue 15: the device's ./M2MMobj and ./M2MSIMMobj (values from the TRE at the moment of a Get; an M2MSIMMobj written is
/// installed by the TRE, 200 or an error status, the code kept at ./M2MSIMMobj/Status), the DM tree hooks behind them, and the
/// DM engine's job-finished hook the DPF acts on.
/// </summary>
public sealed class ProvisioningObjectsTests : IDisposable
{
    private const string ServerId = "dpf-dm";
    private const string Pcid = "001900000000042";
    private readonly string _dir = Directory.CreateTempSubdirectory("m2msec-provobj-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void DmTree_ReadHandlerAnswersGet_ReplaceHandlerDecidesTheStatusAndStoresNothing_AclFirst()
    {
        var tree = new DmTree();
        tree.AddInteriorLocal("./X", DmAcl.Parse("Get=srv&Replace=srv"));
        tree.AddLeafLocal("./X/Live", DmFormat.Chr, []);
        tree.AddLeafLocal("./X/Sink", DmFormat.B64, []);
        var reads = 0;
        tree.SetReadHandler("./X/Live", () => Encoding.UTF8.GetBytes($"read {++reads}"));
        var seen = new List<string>();
        tree.SetReplaceHandler("./X/Sink", v =>
        {
            seen.Add(Encoding.ASCII.GetString(v.Span));
            return seen.Count == 1 ? DmStatusCode.Ok : DmStatusCode.CommandNotAllowed;
        });
        Assert.Equal("read 1", Encoding.UTF8.GetString(tree.Get("srv", "./X/Live").Data.Span));
        Assert.Equal("read 2", Encoding.UTF8.GetString(tree.Get("srv", "./X/Live").Data.Span));
        Assert.Equal(DmStatusCode.PermissionDenied, tree.Get("other", "./X/Live").Status);
        Assert.Equal(2, reads); // no right, no read
        Assert.Equal(DmStatusCode.Ok, tree.Replace("srv", "./X/Sink", null, "AAAA"u8));
        Assert.Equal(DmStatusCode.CommandNotAllowed, tree.Replace("srv", "./X/Sink", null, "AAAB"u8));
        Assert.Equal(DmStatusCode.UnsupportedMediaTypeOrFormat, tree.Replace("srv", "./X/Sink", null, "not base64!"u8)); // the Format check comes first
        Assert.Equal(DmStatusCode.PermissionDenied, tree.Replace("other", "./X/Sink", null, "AAAA"u8));
        Assert.Equal(["AAAA", "AAAB"], seen);
        Assert.True(tree.Get("srv", "./X/Sink").Data.IsEmpty); // the handler owns the value
    }

    [Fact]
    public async Task DeviceObjects_OverADmSession_M2MMobjFromTheTre_ChallengeAndEvidence_InstallStatus_JobFinishedHook()
    {
        var ct = TestContext.Current.CancellationToken;
        var manufacturer = await CertificateHierarchy.InitAsync(new InMemoryCertificateStore(TimeProvider.System), "manufacturer", KeyAlgorithm.EcP256, null,
            TimeProvider.System, ct);
        var device = M2meDevice.Create(Path.Combine(_dir, "device"), Path.Combine(_dir, "fuse"), Pcid, M2meKind.Tre);
        var tre = await FakeProvisioningTre.CreateAsync(manufacturer, device.Info.TreId, Pcid, "sho");
        var store = new InMemoryDmStore(TimeProvider.System);
        Assert.True(await store.AddAccountAsync(new DmAccount(Pcid, ServerId, "user", "client-pw"u8.ToArray(), "server-pw"u8.ToArray(), "md5", "md5", DateTimeOffset.UtcNow), ct));
        var engine = new DmSessionEngine(store, "http://127.0.0.1/dm", TimeProvider.System, new DmSessionOptions { AllowPlainHttpSessions = true });
        var finished = new List<DmJobFinished>();
        engine.JobFinished = (f, _) =>
        {
            finished.Add(f);
            return Task.CompletedTask;
        };
        var account = new DmClientAccount(ServerId, new Uri("http://127.0.0.1/dm"), "user", "client-pw"u8.ToArray(), "server-pw"u8.ToArray(), DmAuthScheme.Md5);
        var objects = new M2MProvisioningObjects(tre);
        var client = new DmClient(device, account) { DevId = Pcid, PrepareTree = t => objects.Attach(t, ServerId) };

        async Task<DmJobRecord> RunAsync(string id, params DmCommandRecord[] commands)
        {
            var now = DateTimeOffset.UtcNow;
            await store.AddJobAsync(new DmJobRecord(id, Pcid, "queued", now, now, [.. commands.Select((c, i) => c with { JobId = id, Seq = i + 1 })]), ct);
            Assert.True((await client.RunSessionAsync(engine.ExchangeXmlAsync, ct)).Completed);
            return (await store.FindJobAsync(id, ct))!;
        }
        DmCommandRecord Get(string uri) => new("", 0, "get", uri, null, null, null);

        // Step 11: M2MMobj as the TRE holds it, the DevId being the PCID.
        var read = await RunAsync("read", [.. new[] { "PCID", "TREId", "SHO", "PfC/Attestation", "PfC/Encryption", "RegNonce" }.Select(l => Get("./M2MMobj/" + l))]);
        Assert.Equal("done", read.State);
        var values = read.Commands.Select(c => c.Results).ToList();
        Assert.Equal([Pcid, device.Info.TreId, "sho", Convert.ToBase64String(tre.PfcAttestation!), Convert.ToBase64String(tre.PfcEncryption!),
            Convert.ToBase64String(tre.RegistrationNonce())], values);
        Assert.Equal(new DmJobFinished("read", Pcid, "done", null), Assert.Single(finished));

        // Step 14: the challenge (a b64 Replace) and the evidence over it.
        var challenge = new byte[16];
        challenge[0] = 7;
        var attest = await RunAsync("attest", new DmCommandRecord("", 0, "replace", "./M2MMobj/Attestation/Nonce", Convert.ToBase64String(challenge), null, null, Format: "b64"),
            Get("./M2MMobj/Attestation/Evidence"));
        Assert.Equal("done", attest.State);
        Assert.True(FakeProvisioningTre.CheckEvidence(Convert.FromBase64String(attest.Commands[1].Results!), tre.PfcAttestation!, Pcid, challenge));

        // Steps 18–20: a refused object is an error status and the TRE's code; nothing installed.
        var bad = await RunAsync("bad", new DmCommandRecord("", 0, "replace", "./M2MSIMMobj/Object", Convert.ToBase64String("{}"u8), null, null, Format: "b64"),
            Get("./M2MSIMMobj/Status"));
        Assert.Equal(("failed", DmStatusCode.CommandNotAllowed, "bad-m2msimmobj"), (bad.State, bad.Commands[0].Status, bad.Commands[1].Results));
        Assert.Empty(tre.Installed);
        Assert.Equal("bad-m2msimmobj", objects.LastInstall!.Code);
        Assert.Equal(new DmJobFinished("bad", Pcid, "failed", "command-failed"), finished[^1]);
        // A server without rights on the objects (another DM server of the device) cannot read M2MMobj.
        var tree = DeviceDmTree.Load(device, ServerId);
        objects.Attach(tree, ServerId);
        Assert.Equal(DmStatusCode.PermissionDenied, tree.Get("another-server", "./M2MMobj/RegNonce").Status);
    }
}
