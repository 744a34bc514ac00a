using System.Security.Cryptography.X509Certificates;
using M2MSec.Device.M2me;
using M2MSec.Device.Tre;
using M2MSec.NetworkFunctions.Hosting;
using M2MSec.NetworkFunctions.Ocsp;
using M2MSec.Pki.Authority;
using M2MSec.Pki.Validation;
using M2MSec.Storage.InMemory;

namespace M2MSec.Tests.Pki.Validation;

/// <summary>
/// An operator hierarchy whose CA clock can be moved (to mint certificates that are expired
/// today), its OCSP responder running as the real network function on loopback, and devices
/// with their own TRE clocks.
/// </summary>
internal sealed class CheckerFixture : IAsyncDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("m2msec-check-").FullName;
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(10) };
    private NetworkFunctionHost _host = null!;

    public Support.HostClock CaClock { get; } = new(DateTimeOffset.UtcNow.AddDays(-3));

    public CertificateHierarchy Hierarchy { get; private set; } = null!;

    public Uri OcspUrl => _host.Address;

    public X509Certificate2[] Chain => [Hierarchy.Issuing];

    public static async Task<CheckerFixture> StartAsync()
    {
        var f = new CheckerFixture();
        var store = new InMemoryStateStore();
        // The responder's URL goes into every certificate's AIA, so pick its port first.
        var url = $"http://127.0.0.1:{Support.LoopbackPort.Free()}/";
        f.Hierarchy = await CertificateHierarchy.InitAsync(store.Certificates, "operator", KeyAlgorithm.EcP256, new Uri(url), f.CaClock);
        f.CaClock.SetUtcNow(DateTimeOffset.UtcNow);
        await f.Hierarchy.RenewOcspSignerIfDueAsync();
        f._host = await NetworkFunctionHost.StartAsync(new OcspFunction(new OcspFunctionOptions()), Path.Combine(f._dir, "ocsp"), store, url);
        return f;
    }

    /// <summary>A DM server certificate valid for <paramref name="validity"/> from <paramref name="issuedAgo"/> before now.</summary>
    public async Task<X509Certificate2> DmServerAsync(TimeSpan issuedAgo, TimeSpan validity)
    {
        var now = CaClock.GetUtcNow();
        CaClock.SetUtcNow(DateTimeOffset.UtcNow - issuedAgo);
        try
        {
            return await Hierarchy.IssueAsync(CertificateProfile.DmServer, new CertificateSubject("dm.operator.example"), validity);
        }
        finally
        {
            CaClock.SetUtcNow(now);
        }
    }

    /// <summary>A device whose TRE clock starts at host time + <paramref name="offset"/> (negative: behind).</summary>
    public (M2meDevice Device, Support.HostClock Host) Device(TimeSpan offset)
    {
        var host = new Support.HostClock(DateTimeOffset.UtcNow + offset);
        var name = Guid.NewGuid().ToString("N")[..8];
        var device = M2meDevice.Create(Path.Combine(_dir, "dev-" + name), Path.Combine(_dir, "fuse-" + name), "pcid-" + name, M2meKind.Tre, time: host);
        device.Tre.ProvisionTrustAnchor(TreCaller.Manufacturer, "dm", Hierarchy.Root);
        return (device, host);
    }

    public ServerCertificateChecker Checker(ITrustedClock clock, OcspTransport? transport = null, CheckPolicy? policy = null) =>
        new(Hierarchy.Root, clock, policy, transport ?? PostAsync);

    public Task<byte[]> PostAsync(Uri url, byte[] request, CancellationToken ct) => OcspEndpoints.QueryAsync(_http, url, request, ct);

    public async ValueTask DisposeAsync()
    {
        _http.Dispose();
        await _host.DisposeAsync();
        Directory.Delete(_dir, recursive: true);
    }
}
