using System.Net;
using System.Security.Cryptography.X509Certificates;
using M2MSec.Pki.Authority;
using M2MSec.Storage.InMemory;
using M2MSec.Tests.Support;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.Logging;

namespace M2MSec.Tests.Browser;

/// <summary>
/// Issue 20: the smallest HTTPS page on 127.0.0.1, served with a certificate of the project's own operator hierarchy — what the
/// browser fixture's trust and certificate selection are checked against, independent of the console. It counts the requests
/// that reached it (a refused certificate never gets that far) and names the client certificate the browser presented.
/// </summary>
internal sealed class LoopbackHttpsPage : IAsyncDisposable
{
    public const string Marker = "m2msec-loopback-page";

    private readonly WebApplication _app;
    private int _requests;

    private LoopbackHttpsPage(WebApplication app, Uri address, CertificateHierarchy hierarchy, X509Certificate2 admin)
    {
        _app = app;
        Address = address;
        Hierarchy = hierarchy;
        Admin = admin;
    }

    public Uri Address { get; }

    public CertificateHierarchy Hierarchy { get; }

    /// <summary>An administrator certificate (with its key) of the same hierarchy.</summary>
    public X509Certificate2 Admin { get; }

    public int Requests => Volatile.Read(ref _requests);

    public static async Task<LoopbackHttpsPage> StartAsync()
    {
        var hierarchy = await CertificateHierarchy.InitAsync(new InMemoryCertificateStore(TimeProvider.System), "operator", KeyAlgorithm.EcP256, null, TimeProvider.System);
        var server = await hierarchy.IssueAsync(CertificateProfile.DmServer, new CertificateSubject("console", ["127.0.0.1"]), TimeSpan.FromDays(1));
        var admin = await hierarchy.IssueAsync(CertificateProfile.Admin, new CertificateSubject("m2msec-admin"), TimeSpan.FromDays(1));
        var port = LoopbackPort.Free();
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, port, l => l.UseHttps(new HttpsConnectionAdapterOptions
        {
            ServerCertificate = server,
            ServerCertificateChain = [hierarchy.Issuing],
            ClientCertificateMode = ClientCertificateMode.AllowCertificate,
            // This page only names what it was shown; the console checks it against its hierarchy.
            ClientCertificateValidation = (_, _, _) => true,
        })));
        var app = builder.Build();
        var page = new LoopbackHttpsPage(app, new Uri($"https://127.0.0.1:{port}/"), hierarchy, admin);
        app.MapGet("/", async (HttpContext context) =>
        {
            Interlocked.Increment(ref page._requests);
            var client = await context.Connection.GetClientCertificateAsync();
            var who = client?.GetNameInfo(X509NameType.SimpleName, false) ?? "none";
            return Results.Content($"<!doctype html><title>{Marker}</title><p id=\"marker\">{Marker}</p><p id=\"client\">{WebUtility.HtmlEncode(who)}</p>", "text/html");
        });
        await app.StartAsync();
        return page;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        Admin.Dispose();
    }
}
