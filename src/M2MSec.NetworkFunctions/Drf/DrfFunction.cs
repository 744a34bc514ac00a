using M2MSec.NetworkFunctions.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace M2MSec.NetworkFunctions.Drf;

/// <summary>
/// The DRF of the Registration Operator (`m2msec serve drf`, TR 33.812 §5.1.3.6.2 steps 7–12): from the ICF's hand-over
/// (PCID, address, K_RO) and the device's request it finds SHO and DPF, opens the provisioning at the DPF with a fresh DM
/// account, answers the Bootstrap message MAC'd with K_RO, and registers the M2ME at the SHO with the M2MMobj the DPF read.
/// </summary>
public sealed class DrfFunction(DrfOptions? options = null) : IDeviceFacingFunction
{
    public const string RoleName = "drf";

    public string Role => RoleName;

    public void ConfigureServices(IServiceCollection services, string dataDirectory) => services.AddSingleton(options ?? new DrfOptions());

    public void MapEndpoints(WebApplication app)
    {
        DrfEndpoints.Map(app);
        DrfChangeEndpoints.Map(app); // issue 16: change of subscription
        DrfAssignmentLookupEndpoints.Map(app);
    }

    public void MapDeviceEndpoints(IEndpointRouteBuilder devices) => DrfEndpoints.MapDevice(devices);
}
