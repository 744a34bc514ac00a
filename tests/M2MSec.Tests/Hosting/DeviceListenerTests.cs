using System.Net;
using M2MSec.NetworkFunctions.Hosting;
using M2MSec.Pki.Authority;
using M2MSec.Pki.Tls;
using M2MSec.Storage.InMemory;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace M2MSec.Tests.Hosting;

/// <summary>
/// Issue 15: vno, drf and dpf open a device-facing listener (server-authenticated TLS) beside their mutual-TLS API; each
/// listener serves only its own endpoints, and peers are found by role at call time.
/// </summary>
public sealed class DeviceListenerTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("m2msec-devlistener-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private sealed class TwoFacedFunction : IDeviceFacingFunction
    {
        public string Role => "drf";

        public void ConfigureServices(IServiceCollection services, string dataDirectory)
        {
        }

        public void MapEndpoints(WebApplication app) => app.MapGet("/role-api", () => Results.Ok("role"));

        public void MapDeviceEndpoints(IEndpointRouteBuilder devices)
        {
            devices.MapGet("/device-api", () => Results.Ok("device"));
            devices.MapPost("/device-api", async (HttpRequest request) =>
            {
                await request.Body.CopyToAsync(Stream.Null);
                return Results.Ok("read");
            });
        }
    }

    [Fact]
    public async Task DeviceListener_ServesOnlyDeviceEndpoints_WithoutClientCertificate_RoleApiOnlyUnderMutualTls_DeviceReachesRoleApiThreat()
    {
        var ct = TestContext.Current.CancellationToken;
        var h = await CertificateHierarchy.InitAsync(new InMemoryCertificateStore(TimeProvider.System), "operator", KeyAlgorithm.EcP256, null, TimeProvider.System, ct);
        var cert = await h.IssueAsync(CertificateProfile.NetworkFunction, new CertificateSubject("drf", ["127.0.0.1"]), role: "drf", cancellationToken: ct);
        var tls = new NetworkFunctionTls(new RenewingCertificate(cert), h.Root, [h.Issuing]);
        await using var host = await NetworkFunctionHost.StartAsync(new TwoFacedFunction(), Path.Combine(_dir, "drf"), new InMemoryStateStore(), tls: tls,
            cancellationToken: ct);
        Assert.NotNull(host.DeviceAddress);
        Assert.Equal("https", host.DeviceAddress!.Scheme);
        Assert.NotEqual(host.Address.Port, host.DeviceAddress.Port);

        // A device: no client certificate, checks the server's against the operator root.
        using var device = new HttpClient(new SocketsHttpHandler
        {
            SslOptions = TlsProfile.CreateClientOptions("127.0.0.1", ProfileChainValidator.ServerCallback(h.Root, [h.Issuing], TimeProvider.System)),
        })
        { BaseAddress = host.DeviceAddress };
        Assert.Equal(HttpStatusCode.OK, (await device.GetAsync("device-api", ct)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await device.GetAsync("role-api", ct)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await device.GetAsync("health", ct)).StatusCode);
        // A device cannot make a function read megabytes: its bodies are bounded far below the role API's.
        // (Expect: 100-continue, so the 413 comes before the body is sent: no race with the server closing a half-sent upload.)
        using (var request = new HttpRequestMessage(HttpMethod.Post, "device-api") { Content = new ByteArrayContent(new byte[NetworkFunctionHost.MaxDeviceRequestBodyOctets + 1]) })
        {
            request.Headers.ExpectContinue = true;
            using var huge = await device.SendAsync(request, ct);
            Assert.Equal(HttpStatusCode.RequestEntityTooLarge, huge.StatusCode);
        }

        // A peer over mutual TLS: the role API, never the device API.
        var peerCert = await h.IssueAsync(CertificateProfile.NetworkFunction, new CertificateSubject("dpf", ["127.0.0.1"]), role: "dpf", cancellationToken: ct);
        var peerTls = new NetworkFunctionTls(new RenewingCertificate(peerCert), h.Root, [h.Issuing]);
        var peers = new PeerClients(new NetworkFunctionPeers([new("drf", host.Address)]), peerTls);
        Assert.Equal(HttpStatusCode.OK, (await peers.For("drf").GetAsync("role-api", ct)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await peers.For("drf").GetAsync("device-api", ct)).StatusCode);
        Assert.Throws<PeerUnavailableException>(() => peers.For("sho"));
        peers.Dispose();
    }

    /// <summary>Issue 15: the SMSC's radio side — a device sends and takes its short messages on the device listener, never the role API.</summary>
    [Fact]
    public async Task SmscDeviceListener_MobileOriginatedAndTerminated_WithoutClientCertificate_RoleApiNotThere_DeviceReachesRoleApiThreat()
    {
        var ct = TestContext.Current.CancellationToken;
        var h = await CertificateHierarchy.InitAsync(new InMemoryCertificateStore(TimeProvider.System), "operator", KeyAlgorithm.EcP256, null, TimeProvider.System, ct);
        var cert = await h.IssueAsync(CertificateProfile.NetworkFunction, new CertificateSubject("smsc", ["127.0.0.1"]), role: "smsc", cancellationToken: ct);
        await using var host = await NetworkFunctionHost.StartAsync(new M2MSec.NetworkFunctions.Smsc.SmscFunction(), Path.Combine(_dir, "smsc"), new InMemoryStateStore(),
            tls: new NetworkFunctionTls(new RenewingCertificate(cert), h.Root, [h.Issuing]), cancellationToken: ct);
        using var http = M2MSec.Device.Provisioning.RoProvisioningClient.Client(host.DeviceAddress!, h.Root);
        var device = new M2MSec.NetworkFunctions.Smsc.SmscClient(http, "sms/");

        await device.SubmitAsync(new M2MSec.NetworkFunctions.Smsc.SmsMessage("4930000001", "4930000002", null, "0102"), ct);
        var received = await device.DeliverAsync("4930000001", 1, ct);

        Assert.Equal("0102", Assert.Single(received).UserData);
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync("deliver?to=4930000001", ct)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync("submitted/x", ct)).StatusCode);
    }
}
