using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;

namespace M2MSec.NetworkFunctions.Hosting;

/// <summary>A network function that can be hosted alone or beside the others in one process.</summary>
public interface INetworkFunction
{
    /// <summary>The role name (<see cref="NetworkFunctionRole"/>).</summary>
    string Role { get; }

    /// <summary>Registers the role's services; <paramref name="dataDirectory"/> is its state directory.</summary>
    void ConfigureServices(IServiceCollection services, string dataDirectory);

    /// <summary>Maps the role's HTTP API.</summary>
    void MapEndpoints(WebApplication app);
}
