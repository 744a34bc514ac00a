using M2MSec.NetworkFunctions.Hosting;
using M2MSec.NetworkFunctions.Sho;
using M2MSec.Pki.Authority;
using M2MSec.Pki.Ocsp;
using M2MSec.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;

namespace M2MSec.NetworkFunctions.Ccif;

/// <summary>
/// The Connectivity Credential Issuing Function (`m2msec serve ccif`; TR 33.812 §5.1.3.6.2 NOTE 2): manufactures devices —
/// temporary credential for the PCID, PfC from its `manufacturer` hierarchy (made on first start, kept in its store), hands the
/// credential to the ICF and the reference to the PVA — and answers OCSP for the manufacturer hierarchy at /ocsp. docs/decisions/015.
/// </summary>
public sealed class CcifFunction(CcifOptions? options = null) : INetworkFunction
{
    public string Role => "ccif";

    public void ConfigureServices(IServiceCollection services, string dataDirectory)
    {
        services.AddSingleton(options ?? new CcifOptions());
        services.AddSingleton<Ocsp.OcspMetrics>();
        services.AddSingleton(sp => new ShoSigningRootCache<byte[]>(sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<CcifOptions>().ShoSigningRootLifetime));
        services.AddSingleton(sp => new ManufacturerAuthority(sp.GetRequiredService<IStateStore>(), sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<CcifOptions>().OcspUrl));
        services.AddSingleton(sp =>
        {
            var authority = sp.GetRequiredService<ManufacturerAuthority>();
            var hierarchy = authority.Hierarchy;
            return new OcspResponder(hierarchy.Issuing, hierarchy.OcspSigner,
                async (serial, ct) => OcspCertificateStatus.Of(await authority.Hierarchy.FindAsync(serial, ct).ConfigureAwait(false)), sp.GetRequiredService<TimeProvider>());
        });
    }

    public void MapEndpoints(WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        // Resolve now: the hierarchy is made (first start) or opened before the first request.
        app.Services.GetRequiredService<OcspResponder>();
        CcifEndpoints.Map(app);
    }
}

/// <summary>The CCIF's `manufacturer` hierarchy: made on first start in the CCIF's own store; its OCSP URL set once known.</summary>
public sealed class ManufacturerAuthority
{
    public const string HierarchyName = "manufacturer";
    private readonly IStateStore _store;
    private readonly TimeProvider _time;
    private readonly SemaphoreSlim _gate = new(1, 1);

    public ManufacturerAuthority(IStateStore store, TimeProvider time, Uri? ocspUrl)
    {
        _store = store;
        _time = time;
        Hierarchy = Task.Run(async () => await CertificateHierarchy.OpenAsync(store.Certificates, HierarchyName, time).ConfigureAwait(false)
            ?? await CertificateHierarchy.InitAsync(store.Certificates, HierarchyName, KeyAlgorithm.EcP256, ocspUrl, time).ConfigureAwait(false)).GetAwaiter().GetResult();
    }

    public CertificateHierarchy Hierarchy { get; private set; }

    /// <summary>Records <paramref name="ocspUrl"/> as the hierarchy's OCSP URL when it has none (certificates issued later carry it).</summary>
    public async Task EnsureOcspUrlAsync(Uri ocspUrl, CancellationToken ct)
    {
        if (Hierarchy.OcspUrl is not null)
            return;
        await _gate.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            if (Hierarchy.OcspUrl is not null)
                return;
            await _store.Certificates.SetHierarchyOcspUrlAsync(HierarchyName, ocspUrl.ToString(), ct).ConfigureAwait(false);
            Hierarchy = await CertificateHierarchy.OpenAsync(_store.Certificates, HierarchyName, _time, ct).ConfigureAwait(false)
                ?? throw new InvalidOperationException("the manufacturer hierarchy vanished");
        }
        finally
        {
            _gate.Release();
        }
    }
}
