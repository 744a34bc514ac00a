using System.Net;
using System.Text.Json;
using M2MSec.Pki.Tls;
using M2MSec.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Prometheus;

namespace M2MSec.NetworkFunctions.Hosting;

/// <summary>
/// A started network function: a slim Kestrel host bound to loopback on an ephemeral port
/// unless told otherwise. Dispose (or <see cref="StopAsync"/>) to stop it.
/// </summary>
public sealed class NetworkFunctionHost : IAsyncDisposable
{
    /// <summary>JSON on every API: snake_case names, octet strings as lowercase hex.</summary>
    public static JsonSerializerOptions JsonOptions { get; } = new(JsonSerializerDefaults.Web)
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
    };

    private readonly WebApplication _app;
    private readonly IStateStore _store;

    private NetworkFunctionHost(WebApplication app, IStateStore store, string role, Uri address, string dataDirectory)
    {
        _app = app;
        _store = store;
        Role = role;
        Address = address;
        DataDirectory = dataDirectory;
    }

    public string Role { get; }

    /// <summary>
    /// The instance's name: its role, or for a second instance of a role in one process (issue 16: "sho-b", "hss-b") its own name —
    /// the peer name the other functions reach it by, its key in endpoints.json and its data subdirectory.
    /// </summary>
    public string Name { get; internal set; } = "";

    /// <summary>The address the function listens on, with the port actually bound.</summary>
    public Uri Address { get; }

    public string DataDirectory { get; }

    /// <summary>Where the administrative API listens under mutual TLS (the main address, or a second listener); null without TLS.</summary>
    public Uri? AdminAddress { get; private init; }

    /// <summary>The device-facing listener of an <see cref="IDeviceFacingFunction"/> (server-authenticated TLS); null for other functions.</summary>
    public Uri? DeviceAddress { get; private init; }

    public IServiceProvider Services => _app.Services;

    /// <summary>Where the function keeps its state (e.g. "sqlite:/…/m2msec.db").</summary>
    public string StoreDescription => _store.Description;

    /// <summary>
    /// Starts <paramref name="function"/> over <paramref name="store"/>, which the host then owns
    /// and disposes on stop.
    /// </summary>
    public static async Task<NetworkFunctionHost> StartAsync(
        INetworkFunction function, string dataDirectory, IStateStore store, string? urls = null,
        Action<IServiceCollection>? configure = null, NetworkFunctionTls? tls = null, string? adminUrls = null, CancellationToken cancellationToken = default,
        NetworkFunctionPeers? peers = null, string? deviceUrls = null, NetworkFunctionTls? adminTls = null, string? instance = null)
    {
        ArgumentNullException.ThrowIfNull(function);
        ArgumentNullException.ThrowIfNull(store);
        // A function whose main API is public (OCSP) keeps it on plain HTTP and puts its
        // administrative API on a second, mutual-TLS listener. A function whose main listener is device-facing with the server's
        // certificate only (DM) gets a mutual-TLS admin listener of its own with adminTls (issue 20: its /metrics is served there).
        var publicHttp = adminUrls is not null && adminTls is null;
        var separateAdmin = publicHttp || adminTls is not null;
        if (publicHttp && tls is null)
            throw new ArgumentException("--admin-urls: needs --cert, --key and --trust-root (the admin listener is mutual TLS)");
        if (adminTls is not null && (tls is null || tls.MutualTls || !adminTls.MutualTls))
            throw new ArgumentException("--admin-urls: a separate mutual-TLS admin listener is for a server-only TLS function (dm)");
        var (listenAddress, listenPort) = ParseListenAddress(urls, tls is not null && !publicHttp, publicHttp);
        var admin = separateAdmin ? ParseListenAddress(adminUrls, tls: true) : default;
        var metrics = new NetworkFunctionMetrics(function.Role, instance, TimeProvider.System);
        var deviceFacing = function as IDeviceFacingFunction;
        if (deviceUrls is not null && deviceFacing is null)
            throw new ArgumentException($"--device-urls: {function.Role} has no device-facing API");
        var device = deviceFacing is null ? default : ParseListenAddress(deviceUrls, tls is not null, publicHttp: true);
        Directory.CreateDirectory(dataDirectory);
        // No file watchers (issue 19's profile): reloadOnChange on appsettings.json put a recursive FileSystemWatcher on the working directory per
        // host, whose threads read every inotify event below it — each SQLite write when the data directory is there. Configuration is read once.
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = ["--hostBuilder:reloadConfigOnChange=false"] });
        NetworkFunctionLogging.Configure(builder.Logging);
        // A start that fails (a port in use) is thrown to the caller, which reports it in one line: not logged with its trace too.
        builder.Logging.AddFilter("Microsoft.Extensions.Hosting.Internal.Host", LogLevel.Critical);
        // Per-connection TLS options: a renewed certificate serves the next handshake. Every refused client certificate is counted.
        Action<M2MSec.Pki.Tls.ChainVerdict> refused = verdict =>
        {
            if (!verdict.IsValid)
            {
                // A missing client certificate is its own reason (the validator files it under untrusted-root).
                var reason = verdict.Detail == "no client certificate" ? "no-client-certificate" : NetworkFunctionMetrics.Kebab(verdict.Reason.ToString());
                metrics.HandshakeRefused(reason);
                metrics.Event("tls.handshake.refused", null, reason);
            }
        };
        var https = new TlsHandshakeCallbackOptions { OnConnection = _ => ValueTask.FromResult(tls!.ServerOptions(refused)) };
        var adminHttps = new TlsHandshakeCallbackOptions { OnConnection = _ => ValueTask.FromResult((adminTls ?? tls!).ServerOptions(refused)) };
        builder.WebHost.ConfigureKestrel(k =>
        {
            // No API takes more (the OTA server's job bodies are the largest, 2 MiB); devices get far less (SeparateDeviceListener).
            k.Limits.MaxRequestBodySize = MaxRequestBodyOctets;
            k.Listen(listenAddress, listenPort, listen =>
            {
                if (tls is not null && !publicHttp)
                {
                    listen.UseHttps(https);
                    if (tls.AllowResumption)
                        listen.Use(next => ProfileSuiteOnly(next, metrics));
                }
                if (separateAdmin)
                    listen.Use(next => connection =>
                    {
                        connection.Items[PublicListenerKey] = true;
                        return next(connection);
                    });
            });
            if (separateAdmin)
                k.Listen(admin.Address, admin.Port, listen => listen.UseHttps(adminHttps));
            if (deviceFacing is not null)
            {
                k.Listen(device.Address, device.Port, listen =>
                {
                    // Devices carry no role certificate: the server's certificate only (TS 33.310 Annex E profile).
                    if (tls is not null)
                        listen.UseHttps(new TlsHandshakeCallbackOptions { OnConnection = _ => ValueTask.FromResult(tls.DeviceServerOptions()) });
                    listen.Use(next => connection =>
                    {
                        connection.Items[DeviceListenerKey] = true;
                        return next(connection);
                    });
                });
            }
        });
        if (tls is not null)
            builder.Services.AddSingleton(tls);
        builder.Services.Configure<JsonOptions>(o =>
        {
            o.SerializerOptions.PropertyNamingPolicy = JsonOptions.PropertyNamingPolicy;
        });
        // A body or parameter that does not bind (a wrong JSON shape) is thrown, to be answered with a problem naming the field (ClientFaults).
        builder.Services.Configure<Microsoft.AspNetCore.Routing.RouteHandlerOptions>(o => o.ThrowOnBadRequest = true);
        builder.Services.AddNetworkFunctionOpenApi(function.Role);
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton(metrics);
        builder.Services.AddSingleton<ProvisioningMetrics>();
        builder.Services.AddSingleton<TriggerMetrics>();
        builder.Services.AddSingleton(store);
        peers ??= new NetworkFunctionPeers();
        builder.Services.AddSingleton(peers);
        builder.Services.AddSingleton(new PeerClients(peers, tls));
        function.ConfigureServices(builder.Services, dataDirectory);
        configure?.Invoke(builder.Services);

        var app = builder.Build();
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("M2MSec." + function.Role);
        metrics.Events = logger;
        tls?.Revocation?.UseLogger(logger);
        app.UseClientFaultLogging(logger);
        // Issue 20: requests and their latency by route template (never the path: it carries device ids), this function's registry only.
        app.UseHttpMetrics(o => o.SetMetricFactory(metrics.Factory));
        app.Use(MetricsOnAdminListenerOnly);
        if (tls is { MutualTls: true, Revocation: { } revocation })
            app.Use(RefuseRevokedPeers(revocation));
        app.MapGet("/health", () => Results.Ok(new HealthResponse(function.Role, "up"))).WithName("health").WithSummary("Liveness");
        app.MapNetworkFunctionOpenApi();
        // Issue 20 (docs/decisions/031): administrators and the scrape role only, never on a public or device-facing listener.
        app.MapMetrics("/metrics", metrics.Registry).RequireAdministratorOrRole([MetricsScraperRole]).WithMetadata(MetricsEndpoint.Instance)
            .ExcludeFromDescription();
        if (deviceFacing is not null)
        {
            app.Use(SeparateDeviceListener);
            deviceFacing.MapDeviceEndpoints(app.MapGroup("").WithMetadata(DeviceEndpoint.Instance).WithTags("device"));
        }
        function.MapEndpoints(app);
        await app.StartAsync(cancellationToken).ConfigureAwait(false);

        var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses;
        var bound = addresses?.Select(a => new Uri(a.Replace("[::]", "127.0.0.1", StringComparison.Ordinal))).ToList() ?? [];
        // Kestrel reports its listeners in the order they were configured: main, admin, device.
        var main = bound.FirstOrDefault(u => u.Scheme == (tls is not null && !publicHttp ? "https" : "http"))
            ?? throw new InvalidOperationException("Kestrel reported no address.");
        return new NetworkFunctionHost(app, store, function.Role, main, dataDirectory)
        {
            Name = instance ?? function.Role,
            AdminAddress = publicHttp ? bound.FirstOrDefault(u => u.Scheme == "https") : adminTls is not null ? bound[1] : tls is not null ? main : null,
            DeviceAddress = deviceFacing is null ? null : bound[^1],
        };
    }

    private const string DeviceListenerKey = "m2msec.device-listener";

    /// <summary>Marks the main listener of a function with an admin listener apart (OCSP's public responder, DM's device listener).</summary>
    private const string PublicListenerKey = "m2msec.public-listener";

    /// <summary>
    /// The certificate role (besides administrators) that may read /metrics: a Prometheus server's scrape credential, which
    /// `serve all` writes to DIR/metrics.crt and DIR/metrics.key (docs/decisions/031).
    /// </summary>
    public const string MetricsScraperRole = "metrics";

    /// <summary>Marks the /metrics endpoint.</summary>
    private sealed class MetricsEndpoint
    {
        public static readonly MetricsEndpoint Instance = new();
    }

    /// <summary>
    /// /metrics (and endpoints marked <see cref="AdminListenerOnly"/>) on the admin listener only, where a function has one apart (OCSP,
    /// DM): on their public or device-facing main listener it does not exist (404), whatever the caller presents.
    /// </summary>
    private static Task MetricsOnAdminListenerOnly(HttpContext context, RequestDelegate next)
    {
        var metadata = context.GetEndpoint()?.Metadata;
        if ((metadata?.GetMetadata<MetricsEndpoint>() is not null || metadata?.GetMetadata<AdminListenerOnly>() is not null)
            && context.Features.Get<IConnectionItemsFeature>()?.Items.ContainsKey(PublicListenerKey) == true)
            return ApiProblem.NotFound("no-such-endpoint", $"{context.Request.Path}: not served on this listener").ExecuteAsync(context);
        return next(context);
    }

    /// <summary>The largest request body any network function API accepts.</summary>
    public const int MaxRequestBodyOctets = 4 * 1024 * 1024;

    /// <summary>The largest request body a device may send (a SyncML message is at most 64 KiB; the JSON messages are far smaller).</summary>
    public const int MaxDeviceRequestBodyOctets = 128 * 1024;

    /// <summary>Marks the endpoints an <see cref="IDeviceFacingFunction"/> maps for devices.</summary>
    private sealed class DeviceEndpoint
    {
        public static readonly DeviceEndpoint Instance = new();
    }

    /// <summary>
    /// Device endpoints only on the device listener, and only they (and /health) there: a device cannot reach the role API,
    /// and a network function's API is not served without its mutual TLS. Anything else: 404, as if it did not exist.
    /// </summary>
    private static async Task SeparateDeviceListener(HttpContext context, RequestDelegate next)
    {
        var onDeviceListener = context.Features.Get<IConnectionItemsFeature>()?.Items.ContainsKey(DeviceListenerKey) == true;
        var endpoint = context.GetEndpoint();
        var deviceEndpoint = endpoint?.Metadata.GetMetadata<DeviceEndpoint>() is not null;
        var health = context.Request.Path.Equals("/health", StringComparison.Ordinal);
        if (onDeviceListener && context.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
            limit.MaxRequestBodySize = MaxDeviceRequestBodyOctets;
        if (endpoint is not null && !health && onDeviceListener != deviceEndpoint)
        {
            await ApiProblem.NotFound("no-such-endpoint", $"{context.Request.Path}: not served on this listener").ExecuteAsync(context).ConfigureAwait(false);
            return;
        }
        await next(context).ConfigureAwait(false);
    }

    /// <summary>
    /// Every request's client certificate is checked for revocation before it is handled: from the cache, or — the first
    /// request after a handshake the callback let through uncached — awaiting the responder, without blocking a thread. So a
    /// kept-alive connection of a revoked peer is cut off too: 403 and the connection closed.
    /// </summary>
    private static Func<HttpContext, RequestDelegate, Task> RefuseRevokedPeers(PeerRevocationChecker revocation) => async (context, next) =>
    {
        if (context.Connection.ClientCertificate is not { } peer || (await revocation.CheckAsync(peer).ConfigureAwait(false)).IsValid)
        {
            await next(context).ConfigureAwait(false);
            return;
        }
        context.Response.Headers.Connection = "close";
        context.RequestServices.GetService<NetworkFunctionMetrics>()?.Event("api.refused", null, "peer-revoked " + AdministratorFilter.SubjectOf(peer));
        await ApiProblem.Forbidden("peer-revoked", "the client certificate is revoked or its status is unavailable").ExecuteAsync(context).ConfigureAwait(false);
    };

    /// <summary>
    /// After the handshake of a resumable listener (no suite policy, see <see cref="TlsProfile"/>):
    /// a connection on a suite outside the profile is closed before anything is read from it.
    /// </summary>
    private static ConnectionDelegate ProfileSuiteOnly(ConnectionDelegate next, NetworkFunctionMetrics metrics) => connection =>
    {
        if (connection.Features.Get<ITlsHandshakeFeature>()?.NegotiatedCipherSuite is { } suite && TlsProfile.IsProfileSuite(suite))
            return next(connection);
        metrics.HandshakeRefused("suite-outside-profile");
        connection.Abort(new ConnectionAbortedException("TLS suite outside the TS 33.310 Annex E profile"));
        return Task.CompletedTask;
    };

    /// <summary>
    /// The one address to listen on: https (mutual TLS) when the function has a certificate;
    /// plain http otherwise, and then on loopback only — never an unauthenticated API on a network.
    /// </summary>
    private static (IPAddress Address, int Port) ParseListenAddress(string? urls, bool tls, bool publicHttp = false)
    {
        var text = urls ?? (tls ? "https://127.0.0.1:0" : "http://127.0.0.1:0");
        if (!Uri.TryCreate(text, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
            throw new ArgumentException($"--urls: expected http(s)://IP:PORT, got '{text}'");
        if (tls != (uri.Scheme == "https"))
            throw new ArgumentException(tls ? "--urls: with a certificate the function serves https://" : "--urls: https needs --cert, --key and --trust-root");
        var host = uri.Host.Trim('[', ']');
        var address = host == "localhost" ? IPAddress.Loopback : IPAddress.TryParse(host, out var ip) ? ip
            : throw new ArgumentException($"--urls: expected an IP address, got '{uri.Host}'");
        if (!tls && !publicHttp && !IPAddress.IsLoopback(address))
            throw new ArgumentException($"--urls: without --cert a network function serves plain HTTP on loopback only, not {address}");
        return (address, uri.Port);
    }

    /// <summary>Completes when the host shuts down (SIGTERM, Ctrl+C, or <see cref="StopAsync"/>).</summary>
    public Task WaitForShutdownAsync(CancellationToken cancellationToken = default) =>
        _app.WaitForShutdownAsync(cancellationToken);

    public Task StopAsync() => _app.StopAsync();

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync().ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
        await _store.DisposeAsync().ConfigureAwait(false);
    }
}

/// <summary>What GET /health answers.</summary>
public sealed record HealthResponse(string Role, string Status);

/// <summary>
/// Marks an administrative endpoint of a function whose main listener is public or device-facing (OCSP, DM): served on its admin
/// listener only, as if it did not exist (404) on the main one.
/// </summary>
public sealed class AdminListenerOnly
{
    public static readonly AdminListenerOnly Instance = new();

    private AdminListenerOnly()
    {
    }
}
