using M2MSec.NetworkFunctions.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace M2MSec.NetworkFunctions.Bsf;

/// <summary>
/// The bootstrapping server function (`m2msec serve bsf`, issue 18, TS 33.220 §4.5.2, docs/decisions/029): devices bootstrap on its
/// device listener over Ub (HTTP Digest AKA, TS 24.109 §4.5.2) with vectors and the GUSS from the HSS (Zh, as role bsf); NAFs get
/// their key for a B-TID over Zn on its mutual-TLS API. Challenges and bootstrapping contexts live in its store, so several BSFs on
/// one PostgreSQL serve the same B-TIDs.
/// </summary>
public sealed class BsfFunction(BsfOptions? options = null) : IDeviceFacingFunction
{
    public const string RoleName = "bsf";

    public string Role => RoleName;

    public void ConfigureServices(IServiceCollection services, string dataDirectory) => services.AddSingleton(options ?? new BsfOptions());

    public void MapEndpoints(WebApplication app) => BsfZnEndpoints.Map(app);

    public void MapDeviceEndpoints(IEndpointRouteBuilder devices) => BsfUbEndpoints.Map(devices);
}
