using System.Net.Http.Json;
using System.Security.Cryptography;
using M2MSec.Device.M2me;
using M2MSec.Device.Power;
using M2MSec.Device.Provisioning;
using M2MSec.Device.Tre;
using M2MSec.Device.Triggering;
using M2MSec.Device.Uicc;
using M2MSec.NetworkFunctions.Hosting;
using M2MSec.NetworkFunctions.Hss;
using M2MSec.NetworkFunctions.MtcIwf;
using M2MSec.Tests.Support;

namespace M2MSec.Tests.Triggering;

/// <summary>
/// Issue 17: every role of the catalog in one process under mutual TLS (as `serve all`), shared by the triggering tests, with
/// helpers for devices that hold a subscription of the HSS (IMSI 00101…) and attach through the VNO's device listener.
/// </summary>
public sealed class TriggerFleet : IAsyncLifetime
{
    private int _next;

    public string Directory { get; } = TestKeyRing.TempDirectory("m2msec-trigger-");

    public NetworkFunctionFleet Fleet { get; private set; } = null!;

    public string Fuses => Path.Combine(Directory, "fuses");

    public async ValueTask InitializeAsync() =>
        Fleet = await NetworkFunctionCatalog.StartAllAsync(new StoreOptions(Path.Combine(Directory, "nf"), Path.Combine(Directory, "kek.json")), createKeyRing: true,
            cancellationToken: TestContext.Current.CancellationToken);

    public async ValueTask DisposeAsync()
    {
        await Fleet.DisposeAsync();
        System.IO.Directory.Delete(Directory, true);
    }

    /// <summary>A device's client to the VNO's device listener (server certificate checked against the operator root).</summary>
    public HttpClient VnoDevice() => RoProvisioningClient.Client(Fleet["vno"].DeviceAddress!, Fleet.Hierarchy!.Root);

    /// <summary>
    /// A new IMSI with K/OPc in the HSS; the device side holds the same subscription. Its MTC features at the VNO (clause 4): triggering
    /// unless <paramref name="triggering"/> is false.
    /// </summary>
    public async Task<(string Imsi, byte[] K, byte[] Opc)> SubscriberAsync(CancellationToken ct, bool triggering = true)
    {
        var imsi = $"00101{Interlocked.Increment(ref _next) + 70_000_000:D10}";
        var (k, opc) = (RandomNumberGenerator.GetBytes(16), RandomNumberGenerator.GetBytes(16));
        using var hss = Fleet.AdminClient("hss", TimeSpan.FromSeconds(30));
        await new HssClient(hss).AddSubscriberAsync(imsi, k, opc, new byte[] { 0x80, 0x00 }, ct);
        if (triggering)
        {
            using var vno = Fleet.AdminClient("vno", TimeSpan.FromSeconds(30));
            using var set = await vno.PutAsJsonAsync($"subscribers/{imsi}/mtc-features", new { features = new[] { "triggering" } }, ct);
            Assert.True(set.IsSuccessStatusCode, $"mtc-features: {(int)set.StatusCode}");
        }
        return (imsi, k, opc);
    }

    /// <summary>A TRE-based device with the subscription in its TRE (as after provisioning), attached through the VNO.</summary>
    public async Task<TriggerDevice> TreDeviceAsync(CancellationToken ct, bool attach = true, bool triggering = true)
    {
        var (imsi, k, opc) = await SubscriberAsync(ct, triggering);
        var device = M2meDevice.Create(Path.Combine(Directory, "dev-" + imsi), Fuses, "0019" + imsi[4..], M2meKind.Tre);
        device.Tre.InstallSubscription(TreCaller.Manufacturer, imsi, k, opc);
        var d = new TriggerDevice(this, imsi, device, null, new TreNasContextHolder(device.Tre));
        if (attach)
            await d.AttachAsync(ct);
        return d;
    }

    /// <summary>A UICC-based device: the USIM runs AKA, the ME keeps the EPS NAS security context in a file of its directory.</summary>
    public async Task<TriggerDevice> UiccDeviceAsync(CancellationToken ct)
    {
        var (imsi, k, opc) = await SubscriberAsync(ct);
        var dir = System.IO.Directory.CreateDirectory(Path.Combine(Directory, "uicc-" + imsi)).FullName;
        var d = new TriggerDevice(this, imsi, null, new SimulatedUsim(imsi, k, opc), new MeNasContextHolder(Path.Combine(dir, MeNasContextHolder.FileName)))
        {
            MeDirectory = dir,
        };
        await d.AttachAsync(ct);
        return d;
    }

    /// <summary>Grants <paramref name="mtcServer"/> the right to trigger <paramref name="device"/> (IMSI) as the administrator.</summary>
    public async Task GrantAsync(string mtcServer, string device, string imsi, CancellationToken ct)
    {
        using var admin = Fleet.AdminClient(MtcIwfFunction.RoleName, TimeSpan.FromSeconds(30));
        using var response = await admin.PostAsJsonAsync("authorisations", new { mtc_server = mtcServer, device, imsi }, ct);
        Assert.Equal(System.Net.HttpStatusCode.Created, response.StatusCode);
    }

    /// <summary>An MTC server's client to the MTC-IWF: an nf certificate of role mtc-server with CN <paramref name="name"/>.</summary>
    public Task<HttpClient> MtcServerAsync(string name, CancellationToken ct) =>
        Fleet.ClientAsAsync("mtc-server", MtcIwfFunction.RoleName, TimeSpan.FromSeconds(30), ct, name);
}

/// <summary>A device of the triggering tests: its subscription, where it keeps the NAS context, its battery and what triggers made it do.</summary>
public sealed class TriggerDevice(TriggerFleet fleet, string imsi, M2meDevice? tre, SimulatedUsim? usim, INasContextHolder context)
{
    public string Imsi { get; } = imsi;

    public M2meDevice? Tre { get; } = tre;

    public string? MeDirectory { get; init; }

    public INasContextHolder Context { get; set; } = context;

    public BatteryMeter Battery { get; } = new();

    public RecordingTriggerActions Actions { get; } = new();

    public TriggerReceiver Receiver => new(Context, Battery);

    public async Task<AttachOutcome> AttachAsync(CancellationToken ct)
    {
        using var vno = fleet.VnoDevice();
        return await ServingNetworkClient.AttachAsync(vno, Imsi, (rand, autn) => Tre is not null
            ? Tre.Tre.RunAka(TreCaller.Network, Imsi, rand, autn, eUtran: true)
            : usim!.Authenticate(rand, autn, eUtran: true), Context, ct);
    }

    public async Task<IReadOnlyList<TriggerOutcome>> ReceiveAsync(CancellationToken ct)
    {
        using var vno = fleet.VnoDevice();
        return await ServingNetworkClient.ReceiveAsync(vno, Imsi, Receiver, Actions, ct);
    }
}
