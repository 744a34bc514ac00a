using M2MSec.NetworkFunctions.Hosting;
using M2MSec.NetworkFunctions.Ocsp;
using M2MSec.Pki.Ocsp;
using M2MSec.Storage.InMemory;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;

namespace M2MSec.Tests.Pki.Ocsp;

/// <summary>Hosts an <see cref="OcspResponder"/> on 127.0.0.1, an ephemeral port, under <c>MapOcsp(prefix)</c>.</summary>
internal sealed class OcspTestHost(OcspResponder responder, string prefix = "") : INetworkFunction
{
    public string Role => "ocsp";

    public static Task<NetworkFunctionHost> StartAsync(OcspResponder responder, string directory, string prefix = "") =>
        NetworkFunctionHost.StartAsync(new OcspTestHost(responder, prefix), directory, new InMemoryStateStore(),
            cancellationToken: TestContext.Current.CancellationToken);

    public void ConfigureServices(IServiceCollection services, string dataDirectory) => services.AddSingleton(responder);

    public void MapEndpoints(WebApplication app) => app.MapOcsp(prefix);
}
