using M2MSec.NetworkFunctions.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;

namespace M2MSec.NetworkFunctions.Pva;

/// <summary>
/// The Platform Validation Authority (`m2msec serve pva`; TR 33.812 §5.1.3.6.2 steps 13–15): references from the manufacturer
/// (the CCIF) only, validations for the SHO, evidence from the DPF or the SHO, signed verdicts. docs/decisions/015.
/// </summary>
public sealed class PvaFunction(PvaOptions? options = null) : INetworkFunction
{
    public string Role => "pva";

    public void ConfigureServices(IServiceCollection services, string dataDirectory)
    {
        services.AddSingleton(options ?? new PvaOptions());
        services.AddSingleton<PlatformValidator>();
    }

    public void MapEndpoints(WebApplication app) => PvaEndpoints.Map(app);
}
