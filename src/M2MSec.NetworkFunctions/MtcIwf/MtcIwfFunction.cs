using M2MSec.NetworkFunctions.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;

namespace M2MSec.NetworkFunctions.MtcIwf;

/// <summary>
/// The MTC interworking function (`m2msec serve mtc-iwf`, issue 17; docs/decisions/027): the MTC server's entry point. It
/// authenticates the MTC server by mutual TLS (an nf certificate of role mtc-server), checks its grant for the device in its
/// store, and hands the trigger to the serving node that holds the device's NAS security context (peer vno).
/// </summary>
public sealed class MtcIwfFunction : INetworkFunction
{
    public const string RoleName = "mtc-iwf";

    public string Role => RoleName;

    public void ConfigureServices(IServiceCollection services, string dataDirectory)
    {
    }

    public void MapEndpoints(WebApplication app) => MtcIwfEndpoints.Map(app);
}
