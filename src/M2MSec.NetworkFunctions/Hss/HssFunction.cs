using M2MSec.NetworkFunctions.Hosting;
using M2MSec.Storage;
using M2MSec.Storage.Hss;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;

namespace M2MSec.NetworkFunctions.Hss;

/// <summary>The HSS/AuC network function (`m2msec serve hss`).</summary>
public sealed class HssFunction(HssOptions? options = null) : INetworkFunction
{
    public string Role => NetworkFunctionRole.Hss;

    public void ConfigureServices(IServiceCollection services, string dataDirectory)
    {
        services.AddSingleton(options ?? new HssOptions());
        services.AddSingleton(sp => sp.GetRequiredService<IStateStore>().Subscribers);
        services.AddSingleton<IHssSubscriberStore>(sp => sp.GetRequiredService<IStateStore>().Subscribers);
        services.AddSingleton(sp => sp.GetRequiredService<IStateStore>().Audit);
        services.AddSingleton<AuthenticationCentre>();
    }

    public void MapEndpoints(WebApplication app)
    {
        HssEndpoints.Map(app);
        HssRetireEndpoints.Map(app); // issue 16: change of subscription
        HssGbaEndpoints.Map(app); // issue 18: Zh and the GUSS
    }
}
