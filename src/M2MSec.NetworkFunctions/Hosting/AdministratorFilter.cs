using System.Net;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace M2MSec.NetworkFunctions.Hosting;

/// <summary>
/// Administrative endpoints (accounts, cards, jobs, revocation): under mutual TLS the caller's
/// certificate — already validated to the operator root by the handshake — must name an
/// administrator (its CN in <see cref="NetworkFunctionTls.AdminSubjects"/>). Without TLS (a
/// development host on loopback) only loopback callers get through.
/// </summary>
public static class AdministratorFilter
{
    public static TBuilder RequireAdministrator<TBuilder>(this TBuilder builder)
        where TBuilder : IEndpointConventionBuilder
    {
        builder.AddEndpointFilter(async (context, next) =>
        {
            var http = context.HttpContext;
            var tls = http.RequestServices.GetService<NetworkFunctionTls>();
            if (tls is null)
            {
                return http.Connection.RemoteIpAddress is { } ip && IPAddress.IsLoopback(ip)
                    ? await next(context).ConfigureAwait(false)
                    : ApiProblem.Forbidden("not-administrator", "administrative API: loopback callers only on a host without TLS");
            }
            var cert = http.Connection.ClientCertificate;
            if (cert is null || !tls.IsAdministrator(cert))
                return ApiProblem.Forbidden("not-administrator", $"administrative API: '{SubjectOf(cert)}' is not an administrator of this network function");
            return await next(context).ConfigureAwait(false);
        });
        return builder;
    }

    /// <summary>Who made the request, for the audit log: the certificate's CN, or "loopback".</summary>
    public static string Actor(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return context.Connection.ClientCertificate is { } c ? $"cert:{SubjectOf(c)}" : "loopback";
    }

    internal static string SubjectOf(X509Certificate2? cert) => cert?.GetNameInfo(X509NameType.SimpleName, false) ?? "(no certificate)";
}
