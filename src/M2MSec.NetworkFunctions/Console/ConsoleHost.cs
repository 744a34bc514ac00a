using System.Net;
using System.Security.Claims;
using System.Security.Cryptography.X509Certificates;
using M2MSec.NetworkFunctions.Hosting;
using M2MSec.Pki.Authority;
using M2MSec.Pki.Tls;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.AspNetCore.DataProtection.Repositories;
using Microsoft.AspNetCore.DataProtection.XmlEncryption;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace M2MSec.NetworkFunctions.Console;

/// <summary>
/// `m2msec serve console` (issue 20, docs/decisions/032): the operator's web console — server-rendered pages over HTTPS only, with
/// the console's certificate from the operator hierarchy; administrators log in with their admin certificate (offered in the
/// handshake, checked against the operator root and the admin subjects) or with the one-time token printed at start; a session is a
/// <c>__Host-</c> cookie (HttpOnly, Secure, SameSite=Strict); every POST carries an anti-forgery token.
/// </summary>
public sealed class ConsoleHost : IAsyncDisposable
{
    /// <summary>The session cookie (the __Host- prefix: Secure, Path=/, no Domain — set only by this origin).</summary>
    public const string SessionCookie = "__Host-m2msec-console";

    private readonly WebApplication _app;
    private readonly ConsoleStores _stores;

    private ConsoleHost(WebApplication app, ConsoleStores stores, Uri address, ConsoleSessions sessions)
    {
        _app = app;
        _stores = stores;
        Address = address;
        Sessions = sessions;
    }

    /// <summary>Where the console listens (https, the port actually bound).</summary>
    public Uri Address { get; }

    public ConsoleSessions Sessions { get; }

    /// <summary>A fresh one-time login token (the previous unused one no longer works): print it, once.</summary>
    public string NewLoginToken() => Sessions.NewLoginToken();

    public static async Task<ConsoleHost> StartAsync(ConsoleOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        var (address, port) = ParseUrls(options.Urls);
        var stores = new ConsoleStores(options.Store);
        var sessions = new ConsoleSessions(options.Time);
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = ["--hostBuilder:reloadConfigOnChange=false"] }); // as NetworkFunctionHost: no file watchers
        NetworkFunctionLogging.Configure(builder.Logging);
        builder.Logging.AddFilter("Microsoft.Extensions.Hosting.Internal.Host", LogLevel.Critical);
        builder.Logging.AddFilter("Microsoft.AspNetCore.Antiforgery", LogLevel.Critical);
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.Limits.MaxRequestBodySize = 64 * 1024;
            k.Listen(address, port, listen => listen.UseHttps(new TlsHandshakeCallbackOptions
            {
                OnConnection = _ => ValueTask.FromResult(ServerOptions(options)),
            }));
        });
        // Anti-forgery tokens under keys kept in memory only (never ~/.aspnet): sessions live in memory too, so a restart ends both.
        builder.Services.AddDataProtection().SetApplicationName("m2msec-console");
        builder.Services.Configure<KeyManagementOptions>(o =>
        {
            o.XmlRepository = new InMemoryXmlRepository();
            o.XmlEncryptor = new NullXmlEncryptor(); // the keys never leave the process
        });
        builder.Services.AddAntiforgery(o =>
        {
            o.Cookie.Name = "__Host-m2msec-console-af";
            o.Cookie.SecurePolicy = CookieSecurePolicy.Always;
            o.Cookie.SameSite = SameSiteMode.Strict;
            o.Cookie.HttpOnly = true;
            o.FormFieldName = ConsolePages.AntiforgeryField;
            o.HeaderName = null;
        });
        builder.Services.AddSingleton(options);
        builder.Services.AddSingleton(stores);
        builder.Services.AddSingleton(sessions);
        builder.Services.AddSingleton(new ConsoleViews(stores));
        builder.Services.AddSingleton<ConsoleActions>();
        var app = builder.Build();
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("M2MSec.console");
        app.Use(SecurityHeaders);
        app.Use(Authenticate);
        app.Use(ValidateAntiforgery);
        ConsoleLogin.Map(app, logger);
        ConsolePages.Map(app);
        ConsoleActions.Map(app);
        try
        {
            await app.StartAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await app.DisposeAsync().ConfigureAwait(false);
            await stores.DisposeAsync().ConfigureAwait(false);
            throw;
        }
        var bound = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        var uri = new Uri(bound.Replace("[::]", "127.0.0.1", StringComparison.Ordinal));
        return new ConsoleHost(app, stores, uri, sessions);
    }

    /// <summary>
    /// The handshake: the console's certificate under the TS 33.310 Annex E profile; a client certificate is asked for but not
    /// required (a browser without one logs in by token) and not judged here — <see cref="ConsoleLogin"/> judges it at
    /// /login/certificate against the operator root, offline (no AIA fetch, no system store).
    /// </summary>
    private static System.Net.Security.SslServerAuthenticationOptions ServerOptions(ConsoleOptions options)
    {
        var server = TlsProfile.CreateServerOptions(options.ServerCertificate.Current, options.Intermediates);
        server.ClientCertificateRequired = true;
        server.RemoteCertificateValidationCallback = (_, _, _, _) => true;
        if (options.TrustRoot is not null)
        {
            var policy = new X509ChainPolicy
            {
                RevocationMode = X509RevocationMode.NoCheck,
                TrustMode = X509ChainTrustMode.CustomRootTrust,
                DisableCertificateDownloads = true,
            };
            policy.CustomTrustStore.Add(options.TrustRoot);
            policy.ExtraStore.AddRange(options.Intermediates);
            server.CertificateChainPolicy = policy;
        }
        return server;
    }

    private static (IPAddress Address, int Port) ParseUrls(string? urls)
    {
        var text = urls ?? "https://127.0.0.1:0";
        if (!Uri.TryCreate(text, UriKind.Absolute, out var uri) || uri.Scheme != "https")
            throw new ArgumentException($"--urls: the console serves https only, expected https://IP:PORT, got '{CertificateSubject.Sanitise(text)}'");
        var host = uri.Host.Trim('[', ']');
        var address = host == "localhost" ? IPAddress.Loopback : IPAddress.TryParse(host, out var ip) ? ip
            : throw new ArgumentException($"--urls: expected an IP address, got '{CertificateSubject.Sanitise(uri.Host)}'");
        return (address, uri.Port);
    }

    /// <summary>No framing, no inline or foreign script or style, no referrer, nothing cached.</summary>
    private static Task SecurityHeaders(HttpContext context, RequestDelegate next)
    {
        var h = context.Response.Headers;
        h.ContentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";
        h.XContentTypeOptions = "nosniff";
        h.XFrameOptions = "DENY";
        h["Referrer-Policy"] = "no-referrer";
        h.CacheControl = "no-store";
        h.StrictTransportSecurity = "max-age=31536000";
        return next(context);
    }

    /// <summary>Paths open without a session: the login pages, the static assets and /health.</summary>
    internal static bool IsPublic(PathString path) =>
        path.Equals("/login", StringComparison.Ordinal) || path.Equals("/login/certificate", StringComparison.Ordinal)
        || path.StartsWithSegments("/assets", StringComparison.Ordinal) || path.Equals("/health", StringComparison.Ordinal);

    /// <summary>
    /// The session cookie names a live session, or the request is refused: a page request is sent to /login (303), anything else
    /// (a POST, the event stream, a script) gets 401 — nothing runs without a session.
    /// </summary>
    private static Task Authenticate(HttpContext context, RequestDelegate next)
    {
        var sessions = context.RequestServices.GetRequiredService<ConsoleSessions>();
        if (sessions.Find(context.Request.Cookies[SessionCookie]) is { } session)
        {
            context.Items[typeof(ConsoleSession)] = session;
            context.User = new ClaimsPrincipal(new ClaimsIdentity([new Claim(ClaimTypes.NameIdentifier, session.Actor)], "m2msec-console"));
            return next(context);
        }
        if (IsPublic(context.Request.Path))
            return next(context);
        if (HttpMethods.IsGet(context.Request.Method) && !context.Request.Path.StartsWithSegments("/live/events", StringComparison.Ordinal))
        {
            context.Response.StatusCode = StatusCodes.Status303SeeOther;
            context.Response.Headers.Location = "/login";
            return Task.CompletedTask;
        }
        context.Response.StatusCode = StatusCodes.Status401Unauthorized;
        return ConsolePages.WriteAsync(context, ConsolePages.Message("Not logged in", "log in at /login first", "unauthenticated"), StatusCodes.Status401Unauthorized);
    }

    /// <summary>Every POST carries the anti-forgery token of a page this origin served: otherwise 400 and nothing runs.</summary>
    private static async Task ValidateAntiforgery(HttpContext context, RequestDelegate next)
    {
        if (HttpMethods.IsPost(context.Request.Method))
        {
            var antiforgery = context.RequestServices.GetRequiredService<IAntiforgery>();
            if (!context.Request.HasFormContentType || !await antiforgery.IsRequestValidAsync(context).ConfigureAwait(false))
            {
                await ConsolePages.WriteAsync(context, ConsolePages.Message("Refused", "the form's anti-forgery token is missing or wrong: reload the page and try again", "antiforgery"),
                    StatusCodes.Status400BadRequest).ConfigureAwait(false);
                return;
            }
        }
        await next(context).ConfigureAwait(false);
    }

    /// <summary>Who is logged in on this request (the audit actor), or null.</summary>
    internal static ConsoleSession? SessionOf(HttpContext context) => context.Items[typeof(ConsoleSession)] as ConsoleSession;

    public Task WaitForShutdownAsync(CancellationToken cancellationToken = default) => _app.WaitForShutdownAsync(cancellationToken);

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync().ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
        await _stores.DisposeAsync().ConfigureAwait(false);
    }
}

/// <summary>The anti-forgery key ring, in memory: it dies with the process (and the sessions with it).</summary>
internal sealed class InMemoryXmlRepository : IXmlRepository
{
    private readonly List<System.Xml.Linq.XElement> _elements = [];

    public IReadOnlyCollection<System.Xml.Linq.XElement> GetAllElements()
    {
        lock (_elements)
            return [.. _elements.Select(e => new System.Xml.Linq.XElement(e))];
    }

    public void StoreElement(System.Xml.Linq.XElement element, string friendlyName)
    {
        lock (_elements)
            _elements.Add(new System.Xml.Linq.XElement(element));
    }
}
