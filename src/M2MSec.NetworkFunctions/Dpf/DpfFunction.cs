using M2MSec.NetworkFunctions.Dm;
using M2MSec.NetworkFunctions.Hosting;
using M2MSec.NetworkFunctions.Sho;
using M2MSec.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace M2MSec.NetworkFunctions.Dpf;

/// <summary>
/// The Device Provisioning Function (`m2msec serve dpf`; TR 33.812 §5.1.3.6.2, seed 003): the OMA DM server on its own store, SyncML
/// at /dm on the device listener (devices authenticate with the DM account the DRF opened), and the provisioning API for the DRF
/// and the SHO on the mutual-TLS listener. It reads M2MMobj, takes the PVA's challenge to the TRE, checks the verdict and that a
/// download belongs to an ongoing provisioning, downloads the encrypted M2MSIMMobj and reports the outcome. Peers: drf, pva, sho.
/// </summary>
public sealed class DpfFunction(DpfOptions? options = null) : IDeviceFacingFunction
{
    private readonly DpfOptions _options = options ?? new DpfOptions();

    public string Role => "dpf";

    public void ConfigureServices(IServiceCollection services, string dataDirectory)
    {
        services.AddSingleton(_options);
        services.AddSingleton(sp => _options.VerdictVerifier ?? new PvaVerdictVerifier(sp.GetService<NetworkFunctionTls>()?.TrustRoot,
            sp.GetService<NetworkFunctionTls>()?.Intermediates, _options.VerdictMaxAge));
        services.AddSingleton(sp => _options.M2MSimMobjReader ?? new M2MSimMobjReader(sp.GetRequiredService<ShoSigningRoots>(), sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton(sp => new DpfProvisionings(sp.GetRequiredService<IStateStore>(), sp.GetRequiredService<PeerClients>(),
            sp.GetRequiredService<IPvaVerdictVerifier>(), sp.GetRequiredService<TimeProvider>(), sp.GetService<ILoggerFactory>()?.CreateLogger<DpfProvisionings>(),
            sp.GetService<ProvisioningMetrics>()));
        services.AddSingleton<Dm.DmMetrics>();
        services.AddHostedService<DpfStatusReporter>();
        services.AddSingleton(sp => new ShoSigningRoots(sp.GetRequiredService<PeerClients>(), sp.GetRequiredService<TimeProvider>(),
            _options.ShoSigningRootLifetime));
        services.AddSingleton(sp =>
        {
            var store = sp.GetRequiredService<IStateStore>();
            return new DmSessionEngine(store.Dm, _options.DmPath, sp.GetRequiredService<TimeProvider>(), _options.Sessions, store.Audit,
                sp.GetService<ILoggerFactory>()?.CreateLogger<DmSessionEngine>(), metrics: sp.GetService<Dm.DmMetrics>())
            {
                JobFinished = sp.GetRequiredService<DpfProvisionings>().OnJobFinishedAsync,
                NextWork = sp.GetRequiredService<DpfProvisionings>().NextWork,
            };
        });
        services.AddSingleton<DpfContext>();
        services.AddHostedService<DmSessionSweeper>();
        services.AddHostedService<DpfResumer>();
    }

    public void MapEndpoints(WebApplication app)
    {
        DpfEndpoints.Map(app);
        DpfChangeEndpoints.Map(app); // issue 16: change of subscription
    }

    public void MapDeviceEndpoints(IEndpointRouteBuilder devices)
    {
        ArgumentNullException.ThrowIfNull(devices);
        devices.MapPost(_options.DmPath, DmFunction.HandleAsync).WithName("dpfDm")
            .WithSummary("OMA DM 1.2 SyncML (XML or WBXML) from devices being provisioned; the reply in the same encoding")
            .DocumentsBody<byte[]>("application/vnd.syncml.dm+xml", "application/vnd.syncml.dm+wbxml")
            .Produces<byte[]>(StatusCodes.Status200OK, "application/vnd.syncml.dm+xml", "application/vnd.syncml.dm+wbxml")
            .ProducesProblems(StatusCodes.Status400BadRequest, StatusCodes.Status413PayloadTooLarge, StatusCodes.Status415UnsupportedMediaType);
        DpfRehabilitationEndpoints.MapDevice(devices);
    }
}
