using M2MSec.NetworkFunctions.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace M2MSec.NetworkFunctions.Vno;

/// <summary>
/// The visited network operator (`m2msec serve vno`, TR 33.812 §5.1.3.6.2 steps 1–6, and the later attach with the MCIM):
/// devices attach on its device listener; it asks the ICF (PCIDs) or the SHO's HSS (IMSIs) for EPS vectors, runs AKA and
/// assigns an address. It holds K_ASME only — no API of the ICF or HSS gives it CK/IK. Attach attempts live in memory
/// (they expire within a minute; a restarted VNO makes devices attach again). Issue 17: after an attach with an IMSI it keeps the
/// EPS NAS security context in its store (K_NASint wrapped, the downlink COUNT durable), protects the triggers the MTC-IWF hands
/// it and delivers them by the device's connection state (docs/decisions/025).
/// </summary>
public sealed class VnoFunction(VnoOptions? options = null) : IDeviceFacingFunction
{
    public const string RoleName = "vno";

    public string Role => RoleName;

    public void ConfigureServices(IServiceCollection services, string dataDirectory)
    {
        var o = options ?? new VnoOptions();
        services.AddSingleton(o);
        services.AddSingleton(sp => new VnoAttachSessions(o, sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton(sp => new VnoTriggers(sp.GetRequiredService<M2MSec.Storage.IStateStore>(), o, sp.GetRequiredService<TimeProvider>()));
        Groups.GroupServices.Add(services);
    }

    public void MapEndpoints(WebApplication app)
    {
        VnoTriggerEndpoints.MapRole(app);
        VnoBatteryEndpoints.MapRole(app);
        Groups.GroupEndpoints.Map(app);
    }

    public void MapDeviceEndpoints(IEndpointRouteBuilder devices)
    {
        VnoEndpoints.MapDevice(devices);
        VnoTriggerEndpoints.MapDevice(devices);
        VnoBatteryEndpoints.MapDevice(devices);
        Groups.GroupDeviceEndpoints.Map(devices);
    }
}
