using M2MSec.NetworkFunctions.Hosting;
using M2MSec.NetworkFunctions.Hss;
using M2MSec.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;

namespace M2MSec.NetworkFunctions.Icf;

/// <summary>
/// The ICF of the Registration Operator (`m2msec serve icf`, TR 33.812 §5.1.3.6.2 steps 2–4, 6, 8): the AuC for PCIDs. Its
/// temporary credentials are subscriber rows of kind PCID in its own store (K/OPc wrapped, SQN per PCID) and its vectors
/// come from the HSS's <see cref="AuthenticationCentre"/>, in the EPS form only.
/// </summary>
public sealed class IcfFunction(IcfOptions? options = null) : INetworkFunction
{
    public const string RoleName = "icf";

    public string Role => RoleName;

    public void ConfigureServices(IServiceCollection services, string dataDirectory)
    {
        var o = options ?? new IcfOptions();
        services.AddSingleton(o);
        services.AddSingleton<Hss.AkaMetrics>();
        services.AddSingleton(sp => new IcfAuc(new AuthenticationCentre(sp.GetRequiredService<IStateStore>().Subscribers, o.Auc, sp.GetRequiredService<IStateStore>().Audit)));
    }

    public void MapEndpoints(WebApplication app) => IcfEndpoints.Map(app);
}

/// <summary>The ICF's AuC (a distinct type, so it never mixes with an HSS's in one container).</summary>
internal sealed record IcfAuc(AuthenticationCentre Centre);
