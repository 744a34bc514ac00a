using M2MSec.NetworkFunctions.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace M2MSec.NetworkFunctions.Naf;

/// <summary>
/// The MTC server as NAF (`m2msec serve naf`, issue 18; docs/decisions/030): Ua over TLS 1.2 PSK with the NAF key on its own
/// listener (<see cref="NafUaServer"/>), keys from the BSF over Zn (peer bsf, mutual TLS with its `naf` certificate whose
/// dNSName SAN is <see cref="NafOptions.Fqdn"/>), and a small administrative API.
/// </summary>
public sealed class NafFunction(NafOptions? options = null) : INetworkFunction
{
    public const string RoleName = "naf";

    public NafOptions Options { get; } = options ?? new NafOptions();

    public string Role => RoleName;

    public void ConfigureServices(IServiceCollection services, string dataDirectory)
    {
        services.AddSingleton(Options);
        services.AddSingleton(sp => new ZnClient(sp.GetRequiredService<PeerClients>(), Options, sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton(sp => new NafUaServer(Options, sp.GetRequiredService<ZnClient>(), sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<ILogger<NafUaServer>>()));
        services.AddSingleton<IHostedService>(sp => sp.GetRequiredService<NafUaServer>());
    }

    public void MapEndpoints(WebApplication app) => NafEndpoints.Map(app);
}
