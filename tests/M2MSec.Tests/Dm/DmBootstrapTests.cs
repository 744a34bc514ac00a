using System.Text;
using M2MSec.Device.Dm;
using M2MSec.Device.M2me;
using M2MSec.Device.Tre;
using M2MSec.Dm;
using M2MSec.Dm.Auth;
using M2MSec.Dm.Bootstrap;
using M2MSec.Nas;
using M2MSec.NetworkFunctions.Dm;
using M2MSec.Storage.Dm;
using M2MSec.Storage.InMemory;

namespace M2MSec.Tests.Dm;

/// <summary>
/// The device side of the DM bootstrap: the MAC is checked over the body as received before anything is read; an
/// accepted package becomes ./DMAcc/&lt;x&gt; (no secrets in the tree) plus the account in the TRE, with which a DM
/// session against the server engine then works. Every refusal leaves the TRE's sealed state byte-identical.
/// </summary>
public sealed class DmBootstrapTests : IDisposable
{
    private const string ServerId = "m2msec-dm";
    private const string ServerUri = "https://dm.example.invalid/dm";
    private const string Imsi = "001010123456789";
    private static readonly byte[] Key = [.. Enumerable.Range(1, 32).Select(i => (byte)i)];
    private readonly string _dir = Directory.CreateTempSubdirectory("m2msec-dmboot-").FullName;
    private readonly M2meDevice _device;

    public DmBootstrapTests() =>
        _device = M2meDevice.Create(Path.Combine(_dir, "dev"), Path.Combine(_dir, "fuse"), "123456789", M2meKind.Tre);

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private byte[] Body(string serverId = ServerId, string clientSecret = "client-secret", string? devId = null) =>
        BootstrapPackageBuilder.Build(new BootstrapPackage("1", "1", devId ?? _device.Info.TreId, new BootstrapDmAcc(serverId, serverId, null,
            new Uri(ServerUri), DmAuthScheme.Md5,
            new BootstrapAppAuth(DmAuthScheme.Md5, serverId, "server-secret"),
            new BootstrapAppAuth(DmAuthScheme.Md5, "dev", clientSecret))));

    /// <summary>Every file of the device's state (sealed store, replay-protected memory, fuses).</summary>
    private Dictionary<string, byte[]> Snapshot() =>
        Directory.EnumerateFiles(_dir, "*", SearchOption.AllDirectories).ToDictionary(f => f, File.ReadAllBytes);

    private static void AssertSame(Dictionary<string, byte[]> before, Dictionary<string, byte[]> after)
    {
        Assert.Equal(before.Keys.Order(), after.Keys.Order());
        Assert.All(before, kv => Assert.Equal(kv.Value, after[kv.Key]));
    }

    [Fact]
    public async Task KeyedBootstrap_CreatesDmAcc_SecretsOnlyInTheTre_ThenADmSessionWorks()
    {
        var body = Body();
        var result = DmBootstrap.ApplyWithKey(_device, body, Key, BootstrapMac.ComputeHex(Key, body));
        Assert.True(result.Applied, result.Detail);

        var account = DmClientAccounts.Load(_device, ServerId)!;
        Assert.Equal((ServerId, new Uri(ServerUri), "dev", DmAuthScheme.Md5), (account.ServerId, account.ServerUri, account.ClientUser, account.ClientAuth));
        Assert.Equal("client-secret"u8.ToArray(), account.ClientPassword);
        Assert.Equal("server-secret"u8.ToArray(), account.ServerPassword);
        Assert.Null(DmClientAccounts.Load(_device, "other"));

        var tree = DeviceDmTree.Load(_device, ServerId);
        Assert.Equal(ServerId, Encoding.UTF8.GetString(tree.Get(ServerId, "./DMAcc/m2msec-dm/ServerID").Data.Span));
        Assert.Equal("w7", Encoding.UTF8.GetString(tree.Get(ServerId, "./DMAcc/m2msec-dm/AppID").Data.Span));
        Assert.Equal("dev", Encoding.UTF8.GetString(tree.Get(ServerId, "./DMAcc/m2msec-dm/AppAuth/CLCRED/AAuthName").Data.Span));
        Assert.Equal(DmStatusCode.NotFound, tree.Get(ServerId, "./DMAcc/m2msec-dm/AppAuth/CLCRED/AAuthSecret").Status);
        Assert.Equal(DmStatusCode.NotFound, tree.Get(ServerId, "./DMAcc/m2msec-dm/AppAuth/SRVCRED/AAuthSecret").Status);
        Assert.Equal(DmStatusCode.PermissionDenied, tree.Get("someone-else", "./DMAcc/m2msec-dm/ServerID").Status);
        var treeBytes = _device.Tre.ReadObject(TreCaller.DeviceManagement, DeviceDmTree.TreeObject)!;
        Assert.Equal(-1, treeBytes.AsSpan().IndexOf("secret"u8));

        // A DM session with the account loaded from the device, against the server's session engine.
        var store = new InMemoryDmStore(TimeProvider.System);
        Assert.True(await store.AddAccountAsync(new DmAccount(_device.Info.TreId, ServerId, "dev", "client-secret"u8.ToArray(), "server-secret"u8.ToArray(), "md5", "md5", DateTimeOffset.UtcNow)));
        await store.AddJobAsync(new DmJobRecord("j1", _device.Info.TreId, "queued", DateTimeOffset.UtcNow, DateTimeOffset.UtcNow,
            [new("j1", 1, "replace", "./NASConfig/NAS_SignallingPriority", "1", null, null), new("j1", 2, "get", "./DMAcc/m2msec-dm/AppAddr/1/Addr", null, null, null)]));
        var engine = new DmSessionEngine(store, ServerUri, TimeProvider.System);
        var outcome = await new DmClient(_device, account).RunSessionAsync(engine.ExchangeXmlAsync, TestContext.Current.CancellationToken);
        Assert.True(outcome.Completed, outcome.Detail);
        Assert.Equal(1, _device.ReadNasConfiguration(TreCaller.DeviceManagement).Values.Single(v => v.Parameter == NasParameters.NasSignallingPriority).Value);
        var job = Assert.Single(await store.ListJobsAsync(_device.Info.TreId));
        Assert.Equal([200, 200], job.Commands.Select(c => c.Status));
        Assert.Equal(ServerUri, job.Commands[1].Results);
    }

    [Fact]
    public void NetwpinAndUserpinBootstraps_AreApplied_AndASecondServerGetsItsOwnAccount()
    {
        var first = Body();
        Assert.True(DmBootstrap.Apply(_device, first, BootstrapSecMethod.NetwPin, BootstrapAuthenticator.ComputeMac(BootstrapSecMethod.NetwPin, Imsi, null, first), imsi: Imsi).Applied);
        var second = Body("second-dm");
        var r = DmBootstrap.Apply(_device, second, BootstrapSecMethod.UserPin, BootstrapAuthenticator.ComputeMac(BootstrapSecMethod.UserPin, null, "4321", second), pin: "4321");
        Assert.True(r.Applied, r.Detail);
        Assert.NotNull(DmClientAccounts.Load(_device, ServerId));
        Assert.NotNull(DmClientAccounts.Load(_device, "second-dm"));
        var tree = DeviceDmTree.Load(_device, ServerId);
        Assert.Equal(DmStatusCode.Ok, tree.Replace("second-dm", "./NASConfig/NAS_SignallingPriority", null, "1"u8));
        Assert.Equal(DmStatusCode.PermissionDenied, tree.Get("second-dm", "./DMAcc/m2msec-dm/ServerID").Status);
        Assert.Equal(DmStatusCode.Ok, tree.Get("second-dm", "./DevInfo/DevId").Status);
    }

    public static TheoryData<string> Refusals => ["wrong-mac", "wrong-key", "short-key", "no-mac", "tampered", "malformed", "other-device", "wrong-imsi", "again"];

    [Theory]
    [MemberData(nameof(Refusals))]
    public void Refused_bootstrap_changes_nothing_in_the_tre(string refusal)
    {
        var body = Body();
        // A device that already has an account (for "again"), and in any case a sealed tree to compare.
        var existing = Body("first-dm");
        Assert.True(DmBootstrap.ApplyWithKey(_device, existing, Key, BootstrapMac.ComputeHex(Key, existing)).Applied);
        if (refusal == "again")
            body = existing;
        var mac = BootstrapMac.ComputeHex(Key, body);
        var before = Snapshot();
        var treeBefore = _device.Tre.ReadObject(TreCaller.DeviceManagement, DeviceDmTree.TreeObject);

        var (result, expected) = refusal switch
        {
            "wrong-mac" => (DmBootstrap.ApplyWithKey(_device, body, Key, BootstrapMac.ComputeHex(Key, body[..^1])), DmBootstrapStatus.NotAuthenticated),
            "wrong-key" => (DmBootstrap.ApplyWithKey(_device, body, Enumerable.Reverse(Key).ToArray(), mac), DmBootstrapStatus.NotAuthenticated),
            "short-key" => (DmBootstrap.ApplyWithKey(_device, body, Key[..8], BootstrapMac.ComputeHex(Key[..8], body)), DmBootstrapStatus.NotAuthenticated),
            "no-mac" => (DmBootstrap.ApplyWithKey(_device, body, Key, null), DmBootstrapStatus.NotAuthenticated),
            "tampered" => (DmBootstrap.ApplyWithKey(_device, Tamper(body), Key, mac), DmBootstrapStatus.NotAuthenticated),
            "malformed" => (DmBootstrap.ApplyWithKey(_device, body[..^3], Key, BootstrapMac.ComputeHex(Key, body[..^3])), DmBootstrapStatus.Malformed),
            "other-device" => (ApplyKeyed(Body(devId: "someone-else")), DmBootstrapStatus.NotForThisDevice),
            "wrong-imsi" => (DmBootstrap.Apply(_device, body, BootstrapSecMethod.NetwPin, BootstrapAuthenticator.ComputeMac(BootstrapSecMethod.NetwPin, "001010123456788", null, body), imsi: Imsi), DmBootstrapStatus.NotAuthenticated),
            _ => (DmBootstrap.ApplyWithKey(_device, body, Key, mac), DmBootstrapStatus.AccountExists),
        };

        Assert.Equal(expected, result.Status);
        Assert.False(result.Applied);
        AssertSame(before, Snapshot());
        Assert.Equal(treeBefore, _device.Tre.ReadObject(TreCaller.DeviceManagement, DeviceDmTree.TreeObject));
        Assert.Null(DmClientAccounts.Load(_device, ServerId));
    }

    [Fact]
    public void Malformed_body_with_a_valid_mac_is_a_typed_refusal()
    {
        var message = BootstrapPackageBuilder.ToMessage(BootstrapPackageReader.TryRead(Body(), out var p, out _) ? p : throw new InvalidOperationException());
        var noServerId = M2MSec.Dm.SyncMl.SyncMlWbxml.Write(message with
        {
            Commands = [.. message.Commands.Where(c => ((M2MSec.Dm.SyncMl.AddCommand)c).Items[0].Target!.LocUri != "./DMAcc/m2msec-dm/ServerID")],
        });
        var before = Snapshot();
        var result = ApplyKeyed(noServerId);
        Assert.Equal(DmBootstrapStatus.Malformed, result.Status);
        Assert.Equal(BootstrapErrorReason.MissingNode, result.Error!.Reason);
        AssertSame(before, Snapshot());
    }

    [Fact]
    public void Rebootstrap_is_refused_unless_allowed_then_replaces_the_account()
    {
        Assert.True(ApplyKeyed(Body()).Applied);
        Assert.Equal(DmBootstrapStatus.AccountExists, ApplyKeyed(Body(clientSecret: "new-client-secret")).Status);
        Assert.Equal("client-secret"u8.ToArray(), DmClientAccounts.Load(_device, ServerId)!.ClientPassword);

        var again = Body(clientSecret: "new-client-secret");
        Assert.True(DmBootstrap.ApplyWithKey(_device, again, Key, BootstrapMac.ComputeHex(Key, again), allowReplace: true).Applied);
        Assert.Equal("new-client-secret"u8.ToArray(), DmClientAccounts.Load(_device, ServerId)!.ClientPassword);
        var tree = DeviceDmTree.Load(_device, ServerId);
        Assert.Single(tree.Find("./DMAcc")!.Children);
    }

    private DmBootstrapResult ApplyKeyed(byte[] body) => DmBootstrap.ApplyWithKey(_device, body, Key, BootstrapMac.ComputeHex(Key, body));

    private static byte[] Tamper(byte[] body)
    {
        var copy = (byte[])body.Clone();
        var at = copy.AsSpan().IndexOf("server-secret"u8);
        copy[at] = (byte)'S';
        return copy;
    }
}
