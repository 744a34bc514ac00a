using M2MSec.NetworkFunctions.Hosting;
using M2MSec.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace M2MSec.NetworkFunctions.Sho;

/// <summary>
/// The Selected Home Operator (`m2msec serve sho`; TR 33.812 §5.1.3.6.2 steps 12–21): subscriptions, an IMSI pool, its `sho`
/// signing hierarchy (made on first start), sealing the MCIM to the PfC and signing M2MSIMMobj once the PVA's verdict checks out;
/// its HSS is the `hss` role. Peers: pva, dpf, hss.
/// </summary>
public sealed class ShoFunction(ShoOptions? options = null) : INetworkFunction
{
    private readonly ShoOptions _options = options ?? new ShoOptions();

    public string Role => "sho";

    public void ConfigureServices(IServiceCollection services, string dataDirectory)
    {
        services.AddSingleton(_options);
        services.AddSingleton(sp => _options.VerdictVerifier ?? new PvaVerdictVerifier(sp.GetService<NetworkFunctionTls>()?.TrustRoot,
            sp.GetService<NetworkFunctionTls>()?.Intermediates, _options.VerdictMaxAge));
        services.AddSingleton(_options.Packager ?? new McimPackager());
        services.AddSingleton(sp => new ShoSigningIdentity(sp.GetRequiredService<IStateStore>(), _options, sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton<ShoContext>();
        services.AddHostedService<ShoStartup>();
        services.AddHostedService<ShoPreparationSweeper>(); // issue 16: prepared MCIMs expire
        services.AddHostedService<ShoReconciliation>();
    }

    public void MapEndpoints(WebApplication app)
    {
        ShoEndpoints.Map(app);
        ShoChangeEndpoints.Map(app); // issue 16: change of subscription
        ShoPreparationEndpoints.Map(app);
    }
}

/// <summary>First start: the signing hierarchy and signer, and the initial IMSI pool when the pool is empty.</summary>
internal sealed class ShoStartup(ShoSigningIdentity signing, IStateStore store, ShoOptions options) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await signing.GetAsync(cancellationToken).ConfigureAwait(false);
        if ((await store.Sho.CountPoolAsync(cancellationToken).ConfigureAwait(false)).Count == 0 && options.InitialPoolSize > 0
            && ShoEndpoints.Range(options.InitialPoolFirst, options.InitialPoolSize) is { } imsis)
        {
            var added = await store.Sho.AddPoolAsync(imsis, cancellationToken).ConfigureAwait(false);
            await store.Audit.AppendAsync(options.ShoId, "sho.pool.add", options.InitialPoolFirst, $"initial pool: {added} from {options.InitialPoolFirst}", cancellationToken)
                .ConfigureAwait(false);
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
