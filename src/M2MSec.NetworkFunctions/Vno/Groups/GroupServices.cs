using Microsoft.Extensions.DependencyInjection;

namespace M2MSec.NetworkFunctions.Vno.Groups;

/// <summary>The VNO's MTC group services: the feature check (also for the triggering side) and the network's signing key.</summary>
internal static class GroupServices
{
    public static void Add(IServiceCollection services)
    {
        services.AddSingleton<IMtcFeatureCheck, StoreMtcFeatureCheck>();
        services.AddSingleton<GroupSigner>();
    }
}
