using M2MSec.NetworkFunctions.Hss;
using M2MSec.NetworkFunctions.Naf;
using Microsoft.Extensions.DependencyInjection;

namespace M2MSec.Cli.Demo;

/// <summary>Issue 18: the demo's GBA — the BSF's device listener (Ub), the MTC server's Ua listener, and the HSS's GUSS.</summary>
internal sealed partial class DemoEnvironment
{
    private HttpClient? _bsfDevice;
    private HssClient? _hssAdmin;

    /// <summary>A device's client to the BSF's device listener (server certificate checked against the operator root); one, shared.</summary>
    public HttpClient BsfDevice => LazyInitializer.EnsureInitialized(ref _bsfDevice,
        () => Device.Provisioning.RoProvisioningClient.Client(_fleet["bsf"].DeviceAddress!, OperatorRoot));

    /// <summary>The administrator's client to the HSS (GUSS: which devices bootstrap GBA_U).</summary>
    public HssClient HssAdmin => LazyInitializer.EnsureInitialized(ref _hssAdmin, () => new HssClient(_fleet.AdminClient("hss", TimeSpan.FromSeconds(30))));

    /// <summary>The MTC server as NAF: its Ua (PSK-TLS) listener and FQDN.</summary>
    public NafUaServer Naf => _fleet[NafFunction.RoleName].Services.GetRequiredService<NafUaServer>();
}
