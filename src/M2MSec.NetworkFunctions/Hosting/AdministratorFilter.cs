using System.Net;
using System.Security.Cryptography.X509Certificates;
using M2MSec.Pki.Authority;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace M2MSec.NetworkFunctions.Hosting;

/// <summary>
/// Administrative endpoints (accounts, cards, jobs, revocation): under mutual TLS the caller's
/// certificate — already validated to the operator root by the handshake — must be of the admin
/// profile and name an administrator (its CN in <see cref="NetworkFunctionTls.AdminSubjects"/>);
/// role-restricted endpoints need a network function's role (<see cref="RequireRole"/>). Without TLS (a
/// development host on loopback) only loopback callers get through.
/// </summary>
public static class AdministratorFilter
{
    public static TBuilder RequireAdministrator<TBuilder>(this TBuilder builder)
        where TBuilder : IEndpointConventionBuilder =>
        Guard(builder, null, "not-administrator", "administrative API: loopback callers only on a host without TLS", (tls, cert) =>
            cert is not null && tls.IsAdministrator(cert) ? null
            : ApiProblem.Forbidden("not-administrator",
                $"administrative API: '{SubjectOf(cert)}' is not an administrator of this network function (needs an admin-profile certificate naming an allowed subject)"));

    /// <summary>
    /// An endpoint for network functions of <paramref name="roles"/> only: under mutual TLS the caller's certificate
    /// must carry one of those roles' policy OIDs (<see cref="CertificateRoles"/>) — administrators and other roles get
    /// 403. Without TLS (a development host on loopback) only loopback callers get through.
    /// </summary>
    public static TBuilder RequireRole<TBuilder>(this TBuilder builder, IReadOnlyList<string> roles)
        where TBuilder : IEndpointConventionBuilder
    {
        ArgumentNullException.ThrowIfNull(roles);
        return Guard(builder, roles, "role-not-entitled", "loopback callers only on a host without TLS", (_, cert) =>
            cert is not null && CertificateRoles.RoleOf(cert) is { } role && roles.Contains(role) ? null
            : ApiProblem.Forbidden("role-not-entitled",
                $"'{(cert is null ? null : CertificateRoles.RoleOf(cert)) ?? "(no network-function role)"}' is not entitled to this endpoint (roles: {string.Join(", ", roles)})"));
    }

    /// <summary>
    /// An endpoint for administrators and for network functions of <paramref name="roles"/> (e.g. the HSS's subscriber provisioning,
    /// which the SHO uses at step 21): either check of <see cref="RequireAdministrator"/> or <see cref="RequireRole"/> lets the caller in.
    /// </summary>
    public static TBuilder RequireAdministratorOrRole<TBuilder>(this TBuilder builder, IReadOnlyList<string> roles)
        where TBuilder : IEndpointConventionBuilder
    {
        ArgumentNullException.ThrowIfNull(roles);
        return Guard(builder, null, "not-administrator", "administrative API: loopback callers only on a host without TLS", (tls, cert) =>
            cert is not null && (tls.IsAdministrator(cert) || CertificateRoles.RoleOf(cert) is { } role && roles.Contains(role)) ? null
            : ApiProblem.Forbidden("not-entitled",
                $"'{SubjectOf(cert)}' is neither an administrator of this network function nor a network function of the roles {string.Join(", ", roles)}"));
    }

    /// <summary>
    /// The filter behind the three: under TLS <paramref name="refuse"/> judges the client certificate (null lets it in); without TLS
    /// (a development host) only loopback callers get through.
    /// </summary>
    private static TBuilder Guard<TBuilder>(TBuilder builder, IReadOnlyList<string>? roles, string loopbackType, string loopbackDetail,
        Func<NetworkFunctionTls, System.Security.Cryptography.X509Certificates.X509Certificate2?, IResult?> refuse)
        where TBuilder : IEndpointConventionBuilder
    {
        builder.WithMetadata(new MutualTlsRequirement(roles)).ProducesProblems(StatusCodes.Status403Forbidden);
        builder.AddEndpointFilter(async (context, next) =>
        {
            var http = context.HttpContext;
            if (http.RequestServices.GetService<NetworkFunctionTls>() is not { } tls)
            {
                return http.Connection.RemoteIpAddress is { } ip && IPAddress.IsLoopback(ip)
                    ? await next(context).ConfigureAwait(false)
                    : ApiProblem.Forbidden(loopbackType, loopbackDetail);
            }
            if (refuse(tls, http.Connection.ClientCertificate) is not { } refusal)
                return await next(context).ConfigureAwait(false);
            // Issue 20: a refusal is a domain event — one log line (who asked is the certificate's sanitised CN, never more).
            var route = (http.GetEndpoint() as Microsoft.AspNetCore.Routing.RouteEndpoint)?.RoutePattern.RawText ?? "-";
            http.RequestServices.GetService<NetworkFunctionMetrics>()?.Event("api.refused", null, $"forbidden {route} caller={SubjectOf(http.Connection.ClientCertificate)}");
            return refusal;
        });
        return builder;
    }

    /// <summary>Who made the request, for the audit log: the certificate's CN, or "loopback".</summary>
    public static string Actor(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return context.Connection.ClientCertificate is { } c ? $"cert:{SubjectOf(c)}" : "loopback";
    }

    /// <summary>The certificate's CN made safe to echo (control characters and non-ASCII as '?', at most 64 characters).</summary>
    internal static string SubjectOf(X509Certificate2? cert) => cert is null ? "(no certificate)" : CertificateSubject.Sanitise(cert.GetNameInfo(X509NameType.SimpleName, false));
}
