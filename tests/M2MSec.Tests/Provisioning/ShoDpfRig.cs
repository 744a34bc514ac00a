using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using M2MSec.Device.Dm;
using M2MSec.Device.M2me;
using M2MSec.Device.Tre;
using M2MSec.Dm.Auth;
using M2MSec.NetworkFunctions.Dm;
using M2MSec.NetworkFunctions.Dpf;
using M2MSec.NetworkFunctions.Drf;
using M2MSec.NetworkFunctions.Hosting;
using M2MSec.NetworkFunctions.Hss;
using M2MSec.NetworkFunctions.Pva;
using M2MSec.NetworkFunctions.Sho;
using M2MSec.Pki.Authority;
using M2MSec.Pki.Tls;
using M2MSec.Pki.Validation;
using M2MSec.Provisioning.Validation;
using M2MSec.Storage;
using M2MSec.Storage.InMemory;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace M2MSec.Tests.Provisioning;

/// <summary>
/// Issue 15 test rig: the real sho, dpf and hss as hosts on loopback under one operator hierarchy with mutual TLS, a fake pva and
/// drf (other helpers' roles), optionally a fake sho in place of the real one (to hold the DPF at a given step).
/// </summary>
internal sealed class ShoDpfRig : IAsyncDisposable
{
    public const string Pcid = "001900000000042";
    public const string DmServerId = "dpf-dm";
    private readonly List<NetworkFunctionHost> _hosts = [];
    private readonly List<IDisposable> _disposables = [];

    private ShoDpfRig(string dir, CertificateHierarchy op, CertificateHierarchy manufacturer)
    {
        Directory = dir;
        Operator = op;
        Manufacturer = manufacturer;
    }

    public string Directory { get; }
    public CertificateHierarchy Operator { get; }
    public CertificateHierarchy Manufacturer { get; }
    public NetworkFunctionPeers Peers { get; } = new();
    public FakePva Pva { get; } = new();
    public FakeDrf Drf { get; } = new();
    public FakeSho? FakeSho { get; private set; }
    public NetworkFunctionHost Sho { get; private set; } = null!;
    public NetworkFunctionHost Dpf { get; private set; } = null!;
    public NetworkFunctionHost Hss { get; private set; } = null!;
    public IPvaVerdictVerifier Verifier { get; private set; } = null!;
    public X509Certificate2 PvaCertificate { get; private set; } = null!;
    public Dictionary<string, NetworkFunctionTls> Identities { get; } = new(StringComparer.Ordinal);

    /// <summary>Starts the rig's hosts under <paramref name="dir"/>; <paramref name="dpfStore"/> is the DPF's store (default in memory),
    /// <paramref name="fakeSho"/> puts a fake SHO in place of the real one; <paramref name="ct"/> cancels the start. <paramref name="nextJobWait"/>: how long
    /// the DPF's sessions wait for the device's next job (decision 038); zero by default, so that each step takes its own session and tests can
    /// stop between steps. <paramref name="dpfOptions"/> changes the DPF's options further.</summary>
    public static async Task<ShoDpfRig> StartAsync(string dir, IStateStore? dpfStore = null, bool fakeSho = false, CancellationToken ct = default,
        TimeSpan nextJobWait = default, Func<DpfOptions, DpfOptions>? dpfOptions = null)
    {
        var op = await CertificateHierarchy.InitAsync(new InMemoryCertificateStore(TimeProvider.System), "operator", KeyAlgorithm.EcP256, null, TimeProvider.System, ct);
        var manufacturer = await CertificateHierarchy.InitAsync(new InMemoryCertificateStore(TimeProvider.System), "manufacturer", KeyAlgorithm.EcP256, null,
            TimeProvider.System, ct);
        var rig = new ShoDpfRig(dir, op, manufacturer);
        foreach (var role in new[] { "sho", "dpf", "pva", "drf", "hss", "vno" })
            rig.Identities[role] = await rig.TlsAsync(role, ct);
        var admin = await op.IssueAsync(CertificateProfile.Admin, new CertificateSubject(NetworkFunctionTls.DefaultAdminSubject), cancellationToken: ct);
        rig.Identities["admin"] = new NetworkFunctionTls(new RenewingCertificate(admin), op.Root, [op.Issuing]);
        rig.PvaCertificate = rig.Identities["pva"].Certificate;
        rig.Verifier = TestVerdicts.Verifier(op.Root, [op.Issuing]);
        rig.Pva.Verifier = rig.Verifier;
        rig.Pva.Certificate = rig.PvaCertificate;
        rig.Hss = await rig.HostAsync(new HssFunction(), "hss", new InMemoryStateStore(), ct);
        await rig.HostAsync(rig.Pva, "pva", new InMemoryStateStore(), ct);
        await rig.HostAsync(rig.Drf, "drf", new InMemoryStateStore(), ct);
        if (fakeSho)
        {
            rig.FakeSho = new FakeSho();
            rig.Sho = await rig.HostAsync(rig.FakeSho, "sho", new InMemoryStateStore(), ct);
        }
        else
        {
            rig.Sho = await rig.HostAsync(new ShoFunction(new ShoOptions { VerdictVerifier = rig.Verifier, Packager = new FakePackager() }), "sho", new InMemoryStateStore(), ct);
        }
        var options = new DpfOptions
        {
            VerdictVerifier = rig.Verifier,
            M2MSimMobjReader = new FakeM2MSimMobjReader(),
            Sessions = new DmSessionOptions { NextJobWait = nextJobWait },
        };
        rig.Dpf = await rig.HostAsync(new DpfFunction(dpfOptions?.Invoke(options) ?? options), "dpf",
            dpfStore ?? new InMemoryStateStore(), ct);
        return rig;
    }

    private async Task<NetworkFunctionTls> TlsAsync(string role, CancellationToken ct)
    {
        var cert = await Operator.IssueAsync(CertificateProfile.NetworkFunction, new CertificateSubject(role, ["127.0.0.1", "localhost"]), role: role, cancellationToken: ct);
        return new NetworkFunctionTls(new RenewingCertificate(cert), Operator.Root, [Operator.Issuing], [NetworkFunctionTls.DefaultAdminSubject]);
    }

    private async Task<NetworkFunctionHost> HostAsync(INetworkFunction function, string role, IStateStore store, CancellationToken ct)
    {
        var host = await NetworkFunctionHost.StartAsync(function, Path.Combine(Directory, role), store, tls: Identities[role], peers: Peers, cancellationToken: ct);
        Peers.Set(role, host.Address);
        _hosts.Add(host);
        return host;
    }

    /// <summary>An HTTP client to <paramref name="target"/>'s API as <paramref name="caller"/> (a role, or "admin").</summary>
    public HttpClient As(string caller, string target)
    {
        var client = Identities[caller].CreateClient(Peers.Require(target), TimeSpan.FromSeconds(30));
        _disposables.Add(client);
        return client;
    }

    public IStateStore StoreOf(NetworkFunctionHost host) => host.Services.GetRequiredService<IStateStore>();

    /// <summary>Step 10 as the DRF would: opens the provisioning at the DPF with the device's DM account.</summary>
    public async Task<ProvisioningCreated> OpenProvisioningAsync(string pcid = Pcid, CancellationToken ct = default) =>
        await new DpfClient(As("drf", "dpf")).CreateProvisioningAsync(new CreateProvisioningRequest(pcid, "sho",
            new DmAccountDto(DmServerId, "m2me-" + pcid, "client-password-" + pcid, "server-password-" + pcid, "md5", "md5")), ct);

    /// <summary>A TRE-based M2ME whose DM root is the operator's, its TRE's provisioning calls faked (<see cref="FakeProvisioningTre"/>).</summary>
    public async Task<(M2meDevice Device, FakeProvisioningTre Tre, DmClientAccount Account, DmHttpTransport Transport)> DeviceAsync(ProvisioningCreated created,
        string pcid = Pcid)
    {
        var device = M2meDevice.Create(Path.Combine(Directory, "device-" + pcid), Path.Combine(Directory, "fuse-" + pcid), pcid, M2meKind.Tre);
        device.Tre.ProvisionTrustAnchor(TreCaller.Manufacturer, "dm", Operator.Root);
        var tre = await FakeProvisioningTre.CreateAsync(Manufacturer, device.Info.TreId, pcid, "sho");
        var account = new DmClientAccount(DmServerId, new Uri(created.DmUrl), "m2me-" + pcid, System.Text.Encoding.UTF8.GetBytes("client-password-" + pcid),
            System.Text.Encoding.UTF8.GetBytes("server-password-" + pcid), DmAuthScheme.Md5, DmAuthScheme.Md5);
        var checker = new ServerCertificateChecker(device.Tre.TrustAnchor(TreCaller.DeviceManagement, "dm")!, device.Tre.TrustedClock(TreCaller.DeviceManagement),
            new CheckPolicy { MaxValidity = TimeSpan.FromDays(400) });
        var transport = new DmHttpTransport(new Uri(created.DmUrl), checker, CheckMode.SecureClock);
        _disposables.Add(transport);
        return (device, tre, account, transport);
    }

    /// <summary>A verdict as the PVA signs it (or, with <paramref name="signer"/>, as someone else does).</summary>
    public string Verdict(string validationId, string pcid, byte[] attestation, byte[] encryption, byte[] shoNonce, DateTimeOffset issuedAt, string result = "valid",
        X509Certificate2? signer = null) =>
        TestVerdicts.Sign(new PvaVerdict(validationId, pcid, Verifier.Fingerprint(attestation, encryption), result, result == "valid" ? null : "measurements differ",
            issuedAt, shoNonce), signer ?? PvaCertificate);

    public async ValueTask DisposeAsync()
    {
        foreach (var d in _disposables)
            d.Dispose();
        foreach (var h in Enumerable.Reverse(_hosts))
            await h.DisposeAsync();
    }
}

/// <summary>The PVA (H2's role) as far as the SHO and the DPF see it: a challenge per validation, a signed verdict on the evidence.</summary>
internal sealed class FakePva : INetworkFunction
{
    public sealed record Validation(string Id, string Pcid, byte[] Attestation, byte[] Encryption, byte[] ShoNonce, byte[] Challenge);

    public ConcurrentDictionary<string, Validation> Validations { get; } = new(StringComparer.Ordinal);
    public IPvaVerdictVerifier Verifier { get; set; } = null!;
    public X509Certificate2 Certificate { get; set; } = null!;

    /// <summary>Judge every platform invalid (as for measurements that differ from the reference).</summary>
    public bool ForceInvalid { get; set; }

    public string Role => "pva";

    public void ConfigureServices(IServiceCollection services, string dataDirectory)
    {
    }

    public void MapEndpoints(WebApplication app)
    {
        app.MapPost("/validations", (ValidationRequest r) =>
        {
            var v = new Validation("val-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6)), r.Pcid!, Convert.FromBase64String(r.PfcAttestation!),
                Convert.FromBase64String(r.PfcEncryption!), Convert.FromHexString(r.ShoNonce!), RandomNumberGenerator.GetBytes(16));
            Validations[v.Id] = v;
            return Results.Created($"/validations/{v.Id}", new ValidationStarted(v.Id, Convert.ToHexStringLower(v.Challenge), DateTimeOffset.UtcNow.AddMinutes(5)));
        }).RequireRole(["sho"]);
        app.MapPost("/validations/{id}/evidence", (string id, EvidenceRequest r) =>
        {
            if (!Validations.TryGetValue(id, out var v))
                return ApiProblem.NotFound("unknown-validation", "id");
            var ok = !ForceInvalid && FakeProvisioningTre.CheckEvidence(Convert.FromBase64String(r.Evidence!), v.Attestation, v.Pcid, v.Challenge);
            var verdict = new PvaVerdict(v.Id, v.Pcid, Verifier.Fingerprint(v.Attestation, v.Encryption), ok ? PvaVerdict.Valid : PvaVerdict.Invalid,
                ok ? null : "attestation does not verify", DateTimeOffset.UtcNow, v.ShoNonce);
            return Results.Ok(new ValidationVerdict(v.Id, verdict.Result, verdict.Reason, TestVerdicts.Sign(verdict, Certificate)));
        }).RequireRole(["dpf", "sho"]);
    }
}

/// <summary>The DRF (H3's role) at step 12: takes M2MMobj from the DPF and registers the M2ME at the SHO.</summary>
internal sealed class FakeDrf : INetworkFunction
{
    private int _away;
    private int _submissions;

    public string Role => "drf";

    /// <summary>M2MMobj submissions taken (the ones answered 502 too).</summary>
    public int Submissions => Volatile.Read(ref _submissions);

    /// <summary>The next <paramref name="submissions"/> M2MMobj submissions are answered 502 sho-unavailable, as the DRF does while the SHO restarts.</summary>
    public void AwayFor(int submissions) => Volatile.Write(ref _away, submissions);

    public void ConfigureServices(IServiceCollection services, string dataDirectory)
    {
    }

    public void MapEndpoints(WebApplication app) =>
        app.MapPost("/registrations/{pcid}/m2mmobj", async (string pcid, M2MMobjDto m, PeerClients peers, CancellationToken ct) =>
        {
            Interlocked.Increment(ref _submissions);
            if (Interlocked.Decrement(ref _away) >= 0)
                return Results.Problem(detail: "the SHO did not take the registration (test)", statusCode: StatusCodes.Status502BadGateway, type: "urn:m2msec:error:sho-unavailable");
            await new ShoClient(peers.For("sho")).RegisterAsync(new ShoRegistrationRequest(pcid, m), ct);
            return Results.Accepted(null, new RegistrationAccepted(pcid, "registered"));
        }).RequireRole(["dpf"]);
}

/// <summary>A SHO that starts the validation (step 13) and records what the DPF sends it, nothing more: holds the DPF at "validated".</summary>
internal sealed class FakeSho : INetworkFunction
{
    public ConcurrentDictionary<string, (M2MMobjDto M2MMobj, string ValidationId)> Registrations { get; } = new(StringComparer.Ordinal);
    public ConcurrentQueue<ShoVerdictRequest> Verdicts { get; } = new();
    public ConcurrentQueue<ShoStatusRequest> Statuses { get; } = new();
    public string Role => "sho";

    public void ConfigureServices(IServiceCollection services, string dataDirectory)
    {
    }

    public void MapEndpoints(WebApplication app)
    {
        app.MapPost("/registrations", async (ShoRegistrationRequest r, PeerClients peers, CancellationToken ct) =>
        {
            var started = await new PvaClient(peers.For("pva")).RequestValidationAsync(
                new ValidationRequest(r.Pcid, r.M2mmobj!.PfcAttestation, r.M2mmobj.PfcEncryption, Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16))), ct);
            Registrations[r.Pcid!] = (r.M2mmobj, started.ValidationId);
            await new DpfClient(peers.For("dpf")).RequestAttestationAsync(r.Pcid!, new AttestationRequest(started.ValidationId, started.Challenge), ct);
            return Results.Accepted(null, new ShoRegistrationAccepted(r.Pcid!, "validating"));
        }).RequireRole(["drf"]);
        app.MapPost("/registrations/{pcid}/verdict", (string pcid, ShoVerdictRequest r) =>
        {
            Verdicts.Enqueue(r);
            return Results.Ok(new ShoSubscriptionState(pcid, "validating"));
        }).RequireRole(["dpf"]);
        app.MapPost("/registrations/{pcid}/status", (string pcid, ShoStatusRequest r) =>
        {
            Statuses.Enqueue(r);
            return Results.Ok(new ShoSubscriptionState(pcid, r.Result!));
        }).RequireRole(["dpf"]);
    }
}
