using System.Collections.Concurrent;
using System.Security.Cryptography;
using M2MSec.Device.M2me;
using M2MSec.Device.Tre;
using M2MSec.NetworkFunctions.Dpf;
using M2MSec.NetworkFunctions.Drf;
using M2MSec.NetworkFunctions.Hosting;
using M2MSec.NetworkFunctions.Hss;
using M2MSec.NetworkFunctions.Icf;
using M2MSec.NetworkFunctions.Sho;
using M2MSec.NetworkFunctions.Vno;
using M2MSec.Pki.Authority;
using M2MSec.Pki.Tls;
using M2MSec.Storage.InMemory;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace M2MSec.Tests.Provisioning;

/// <summary>
/// Issue 15 (H3): the Registration Operator's roles (icf, drf) and the vno started as real hosts on loopback under one
/// operator hierarchy, mutual TLS between them, device listeners with server-only TLS; an HSS for IMSIs; the DPF and the
/// SHO (other helpers' roles) as tiny fakes that record what they were sent.
/// </summary>
public sealed class RegistrationOperatorFixture : IAsyncDisposable
{
    public const string DmUrl = "https://127.0.0.1:4443/dm";

    private readonly List<NetworkFunctionHost> _hosts = [];

    private RegistrationOperatorFixture(string dir, CertificateHierarchy hierarchy)
    {
        Directory = dir;
        Hierarchy = hierarchy;
    }

    public string Directory { get; }

    public CertificateHierarchy Hierarchy { get; }

    public NetworkFunctionPeers Peers { get; } = new();

    public NetworkFunctionHost Icf { get; private set; } = null!;

    public NetworkFunctionHost Vno { get; private set; } = null!;

    public NetworkFunctionHost Drf { get; private set; } = null!;

    public NetworkFunctionHost Hss { get; private set; } = null!;

    public ConcurrentQueue<CreateProvisioningRequest> DpfProvisionings { get; } = new();

    public ConcurrentQueue<ShoRegistrationRequest> ShoRegistrations { get; } = new();

    private readonly Dictionary<string, PeerClients> _clients = new(StringComparer.Ordinal);

    public static async Task<RegistrationOperatorFixture> StartAsync(CancellationToken ct, VnoOptions? vno = null)
    {
        var dir = System.IO.Directory.CreateTempSubdirectory("m2msec-ro-").FullName;
        var hierarchy = await CertificateHierarchy.InitAsync(new InMemoryCertificateStore(TimeProvider.System), "operator", KeyAlgorithm.EcP256, null, TimeProvider.System, ct);
        var f = new RegistrationOperatorFixture(dir, hierarchy);
        f.Icf = await f.StartAsync(new IcfFunction(), ct);
        f.Vno = await f.StartAsync(new VnoFunction(vno), ct);
        f.Drf = await f.StartAsync(new DrfFunction(), ct);
        f.Hss = await f.StartAsync(new HssFunction(), ct);
        await f.StartAsync(new FakeDpf(f), ct);
        await f.StartAsync(new FakeSho(f), ct);
        return f;
    }

    private async Task<NetworkFunctionHost> StartAsync(INetworkFunction function, CancellationToken ct)
    {
        var host = await NetworkFunctionHost.StartAsync(function, Path.Combine(Directory, function.Role), new InMemoryStateStore(), tls: await TlsAsync(function.Role, ct),
            cancellationToken: ct, peers: Peers);
        _hosts.Add(host);
        Peers.Set(function.Role, host.Address);
        return host;
    }

    public async Task<NetworkFunctionTls> TlsAsync(string role, CancellationToken ct)
    {
        var cert = await Hierarchy.IssueAsync(CertificateProfile.NetworkFunction, new CertificateSubject(role, ["127.0.0.1"]), role: role, cancellationToken: ct);
        return new NetworkFunctionTls(new RenewingCertificate(cert), Hierarchy.Root, [Hierarchy.Issuing]);
    }

    /// <summary>An HTTP client towards <paramref name="peer"/>'s role API with an nf certificate of <paramref name="asRole"/>.</summary>
    public async Task<HttpClient> ClientAsync(string asRole, string peer, CancellationToken ct)
    {
        if (!_clients.TryGetValue(asRole, out var clients))
            _clients[asRole] = clients = new PeerClients(Peers, await TlsAsync(asRole, ct));
        return clients.For(peer);
    }

    /// <summary>An administrator's client (admin profile, CN m2msec-admin) towards <paramref name="peer"/>.</summary>
    public async Task<HttpClient> AdminClientAsync(string peer, CancellationToken ct)
    {
        if (!_clients.TryGetValue("admin", out var clients))
        {
            var cert = await Hierarchy.IssueAsync(CertificateProfile.Admin, new CertificateSubject(NetworkFunctionTls.DefaultAdminSubject), TimeSpan.FromDays(1),
                cancellationToken: ct);
            _clients["admin"] = clients = new PeerClients(Peers, new NetworkFunctionTls(new RenewingCertificate(cert), Hierarchy.Root, [Hierarchy.Issuing]));
        }
        return clients.For(peer);
    }

    /// <summary>A TRE device manufactured with <paramref name="pcid"/> and its temporary credential (as the CCIF does, helper H2), loaded at the ICF.</summary>
    public async Task<(M2meDevice Device, byte[] K, byte[] Opc)> ManufactureAsync(string pcid, CancellationToken ct)
    {
        var device = M2meDevice.Create(Path.Combine(Directory, "dev-" + pcid), Path.Combine(Directory, "fuse-" + pcid), pcid, M2meKind.Tre);
        var k = RandomNumberGenerator.GetBytes(16);
        var opc = RandomNumberGenerator.GetBytes(16);
        device.Tre.InstallSubscription(TreCaller.Manufacturer, pcid, k, opc);
        await new IcfClient(await ClientAsync("ccif", "icf", ct)).AddTemporaryCredentialAsync(pcid, k, opc, ct);
        return (device, k, opc);
    }

    public HttpClient DeviceClient(NetworkFunctionHost host) => M2MSec.Device.Provisioning.RoProvisioningClient.Client(host.DeviceAddress!, Hierarchy.Root);

    public async ValueTask DisposeAsync()
    {
        foreach (var c in _clients.Values)
            c.Dispose();
        foreach (var h in _hosts)
            await h.DisposeAsync();
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    /// <summary>The DPF's POST /provisionings (helper H4's endpoint): records the request, answers a DM URL.</summary>
    private sealed class FakeDpf(RegistrationOperatorFixture f) : INetworkFunction
    {
        public string Role => "dpf";

        public void ConfigureServices(IServiceCollection services, string dataDirectory)
        {
        }

        public void MapEndpoints(WebApplication app) => app.MapPost("/provisionings", (CreateProvisioningRequest request) =>
        {
            f.DpfProvisionings.Enqueue(request);
            return Results.Created($"/provisionings/{request.Pcid}", new ProvisioningCreated(request.Pcid!, DmUrl));
        }).RequireRole(["drf"]);
    }

    /// <summary>The SHO's POST /registrations (helper H4's endpoint): records the request, answers "validating".</summary>
    private sealed class FakeSho(RegistrationOperatorFixture f) : INetworkFunction
    {
        public string Role => "sho";

        public void ConfigureServices(IServiceCollection services, string dataDirectory)
        {
        }

        public void MapEndpoints(WebApplication app) => app.MapPost("/registrations", (ShoRegistrationRequest request) =>
        {
            f.ShoRegistrations.Enqueue(request);
            return Results.Accepted(value: new ShoRegistrationAccepted(request.Pcid!, "validating"));
        }).RequireRole(["drf"]);
    }
}
