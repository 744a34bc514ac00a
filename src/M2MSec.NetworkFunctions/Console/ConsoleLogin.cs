using M2MSec.NetworkFunctions.Hosting;
using M2MSec.Pki.Authority;
using M2MSec.Pki.Tls;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace M2MSec.NetworkFunctions.Console;

/// <summary>
/// The console's logins (issue 20, docs/decisions/032): POST /login with the one-time token (form field <c>token</c>), POST
/// /login/certificate with the administrator certificate the browser offered in the handshake. Both open a session and are audited
/// in the console's own log; a refusal opens none (and is logged without the value tried).
/// </summary>
internal static class ConsoleLogin
{
    public static void Map(WebApplication app, ILogger logger)
    {
        app.MapGet("/health", () => Results.Ok(new HealthResponse("console", "up")));
        app.MapGet("/login", (HttpContext context) => ConsolePages.Render(context, "Log in", LoginPage(context, null)));
        app.MapPost("/login", async (HttpContext context, ConsoleSessions sessions, ConsoleStores stores) =>
        {
            var form = await context.Request.ReadFormAsync(context.RequestAborted).ConfigureAwait(false);
            if (!sessions.TryConsumeLoginToken(form["token"].ToString()))
            {
                logger.LogInformation("console.login.refused token: wrong, used or replayed");
                await AuditAsync(stores, "token", "console.login.refused", "wrong, used or replayed token").ConfigureAwait(false);
                return ConsolePages.Render(context, "Log in", LoginPage(context, "token: refused (wrong, or already used — the token works once)"), StatusCodes.Status401Unauthorized);
            }
            return await OpenAsync(context, sessions, stores, "token", logger).ConfigureAwait(false);
        });
        app.MapPost("/login/certificate", async (HttpContext context, ConsoleSessions sessions, ConsoleStores stores, ConsoleOptions options) =>
        {
            var cert = context.Connection.ClientCertificate;
            string? refusal = null;
            if (cert is null)
                refusal = "no client certificate was offered";
            else if (options.TrustRoot is null)
                refusal = "certificate login is off (no --trust-root)";
            else
            {
                var verdict = new ClientCertificatePolicy(options.TrustRoot, options.Intermediates, options.Time).Evaluate(cert, null);
                if (!verdict.IsValid)
                    refusal = "the certificate does not chain to the operator root: " + verdict.Detail;
                else if (!CertificateRoles.IsAdministrator(cert) || !options.AdminSubjects.Contains(cert.GetNameInfo(System.Security.Cryptography.X509Certificates.X509NameType.SimpleName, false)))
                    refusal = $"'{AdministratorFilter.SubjectOf(cert)}' is not an administrator (needs an admin-profile certificate naming an allowed subject)";
            }
            if (refusal is not null)
            {
                logger.LogInformation("console.login.refused certificate: {Reason}", refusal);
                await AuditAsync(stores, "cert:" + AdministratorFilter.SubjectOf(cert), "console.login.refused", refusal).ConfigureAwait(false);
                return ConsolePages.Render(context, "Log in", LoginPage(context, "certificate: refused — " + refusal), StatusCodes.Status403Forbidden);
            }
            return await OpenAsync(context, sessions, stores, "cert:" + AdministratorFilter.SubjectOf(cert), logger).ConfigureAwait(false);
        });
        app.MapPost("/logout", (HttpContext context, ConsoleSessions sessions) =>
        {
            sessions.Close(context.Request.Cookies[ConsoleHost.SessionCookie]);
            context.Response.Cookies.Delete(ConsoleHost.SessionCookie, CookieOptions());
            return Results.Redirect("/login", permanent: false, preserveMethod: false);
        });
    }

    private static async Task<IResult> OpenAsync(HttpContext context, ConsoleSessions sessions, ConsoleStores stores, string actor, ILogger logger)
    {
        var cookie = sessions.Open(actor);
        context.Response.Cookies.Append(ConsoleHost.SessionCookie, cookie, CookieOptions());
        logger.LogInformation("console.login {Actor}", actor);
        await AuditAsync(stores, actor, "console.login", null).ConfigureAwait(false);
        context.Response.StatusCode = StatusCodes.Status303SeeOther;
        context.Response.Headers.Location = "/";
        return Results.Empty;
    }

    internal static CookieOptions CookieOptions() => new()
    {
        HttpOnly = true,
        Secure = true,
        SameSite = SameSiteMode.Strict,
        Path = "/",
        IsEssential = true,
    };

    /// <summary>An entry in the console's own audit log (who did what from the console).</summary>
    internal static async Task AuditAsync(ConsoleStores stores, string actor, string action, string? detail, string subject = "console")
    {
        if (await stores.FindAsync(ConsoleStores.ConsoleRole).ConfigureAwait(false) is { } store)
            await store.Audit.AppendAsync("console:" + actor, action, subject, detail).ConfigureAwait(false);
    }

    private static Html LoginPage(HttpContext context, string? error) => Html.Of($"""
        <h1>Log in</h1>
        {(error is null ? Html.Empty : Html.Of($"<p class=\"error\" id=\"login-error\" data-testid=\"login-error\">{error}</p>"))}
        <section>
        <h2>One-time login token</h2>
        <p>The token <code>serve console</code> (or <code>serve all</code>) printed when it started. It works once.</p>
        <form method="post" action="/login" id="token-login" data-testid="token-login">
        {ConsolePages.AntiforgeryInput(context)}
        <label for="token">Token</label> <input type="password" name="token" id="token" data-testid="token" autocomplete="off" required>
        <button type="submit" id="login-submit" data-testid="login-submit">Log in</button>
        </form>
        </section>
        <section>
        <h2>Administrator certificate</h2>
        <p>The administrator certificate (admin.crt of <code>serve all</code>) imported in the browser, offered when it connected.</p>
        <form method="post" action="/login/certificate" id="certificate-login" data-testid="certificate-login">
        {ConsolePages.AntiforgeryInput(context)}
        <button type="submit" id="certificate-submit" data-testid="certificate-submit">Log in with my certificate</button>
        </form>
        </section>
        """);
}
