using M2MSec.Dm.SyncMl;
using M2MSec.NetworkFunctions.Hosting;
using M2MSec.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace M2MSec.NetworkFunctions.Dm;

/// <summary>Where the DM server listens for devices, and how it keeps sessions.</summary>
public sealed record DmFunctionOptions(string Path = "/dm", DmSessionOptions? Sessions = null);

/// <summary>
/// The OMA DM 1.2 server (OMA-TS-DM_Protocol-V1_2; SyncML over HTTP, OMA-TS-DM_HTTP binding):
/// POST of application/vnd.syncml.dm+xml or +wbxml (the older application/vnd.syncml+xml that
/// real clients send too), answered in the same representation, always with HTTP 200 — a client
/// ends its session on any other status, so refusals travel as SyncML Status codes.
/// </summary>
public sealed class DmFunction(DmFunctionOptions options) : INetworkFunction
{
    public string Role => NetworkFunctionRole.Dm;

    public void ConfigureServices(IServiceCollection services, string dataDirectory)
    {
        services.AddSingleton(sp =>
        {
            var store = sp.GetRequiredService<IStateStore>();
            return new DmSessionEngine(store.Dm, options.Path, sp.GetRequiredService<TimeProvider>(), options.Sessions, store.Audit,
                sp.GetService<ILoggerFactory>()?.CreateLogger<DmSessionEngine>(), metrics: sp.GetService<DmMetrics>());
        });
        services.AddSingleton<DmMetrics>();
        services.AddHostedService<DmSessionSweeper>();
    }

    public void MapEndpoints(WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.MapPost(options.Path, HandleAsync).WithName("dm").WithSummary("OMA DM 1.2 SyncML message (XML or WBXML); the reply in the same encoding")
            .DocumentsBody<byte[]>(SyncMlXml, SyncMlWbxml).Produces<byte[]>(StatusCodes.Status200OK, SyncMlXml, SyncMlWbxml)
            .ProducesProblems(StatusCodes.Status400BadRequest, StatusCodes.Status413PayloadTooLarge, StatusCodes.Status415UnsupportedMediaType);
        DmAccountEndpoints.Map(app); // issue 20: accounts by bootstrap, a device's jobs (administrators, admin listener)
    }

    private const string SyncMlXml = "application/vnd.syncml.dm+xml";

    private const string SyncMlWbxml = "application/vnd.syncml.dm+wbxml";

    private static IResult Problem(int status, string type, string detail) =>
        Results.Problem(detail: detail, statusCode: status, type: "urn:m2msec:error:" + type);

    internal static async Task<IResult> HandleAsync(HttpContext context, DmSessionEngine engine, CancellationToken ct)
    {
        var mediaType = (context.Request.ContentType ?? "").Split(';')[0].Trim().ToLowerInvariant();
        var wbxml = mediaType.EndsWith("+wbxml", StringComparison.Ordinal);
        if (!wbxml && !mediaType.EndsWith("+xml", StringComparison.Ordinal))
            return Problem(StatusCodes.Status415UnsupportedMediaType, "bad-content-type", $"content-type: expected {SyncMlXml} or {SyncMlWbxml}");
        var body = await RequestBody.ReadAsync(context.Request, SyncMlLimits.Default.MaxDocumentBytes, ct).ConfigureAwait(false);
        if (body is null)
            return Problem(StatusCodes.Status413PayloadTooLarge, "body-too-large", $"body: at most {SyncMlLimits.Default.MaxDocumentBytes} octets");
        context.Request.Headers.TryGetValue(M2MSec.Dm.Auth.SyncMlHmacHeader.HeaderName, out var hmac);
        var reply = await engine.ExchangeAsync(new SyncMlWireMessage(body, hmac.Count > 0 ? hmac[0] : null), wbxml, ct, RequestUri(context),
            context.Connection.RemoteIpAddress?.ToString() ?? "unknown").ConfigureAwait(false);
        if (reply is null)
            return Problem(StatusCodes.Status400BadRequest, "bad-syncml", "body: not even the SyncHdr was readable"); // not even the header was readable
        if (reply.Hmac is not null)
            context.Response.Headers[M2MSec.Dm.Auth.SyncMlHmacHeader.HeaderName] = reply.Hmac;
        return Results.Bytes(reply.Body, mediaType);
    }

    /// <summary>The URI the device reached us at, with the session query (RespURI) if it has one.</summary>
    private static string RequestUri(HttpContext context) => $"{context.Request.Scheme}://{context.Request.Host}{context.Request.Path}{context.Request.QueryString}";
}

/// <summary>Every 15 s (and at start): idle sessions end, and running jobs whose session went away (restart, lost instance) fail.</summary>
internal sealed class DmSessionSweeper(DmSessionEngine engine, TimeProvider time) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(15), time);
        do
        {
            try
            {
                await engine.SweepAsync(stoppingToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // The store is away for a moment: the next tick tries again.
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
    }
}
