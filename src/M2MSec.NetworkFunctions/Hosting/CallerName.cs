using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Http;

namespace M2MSec.NetworkFunctions.Hosting;

/// <summary>
/// Issue 16: which instance of a role called — the CN of its nf certificate ("sho-b"), already validated by the mutual-TLS handshake
/// and checked for its role by <see cref="AdministratorFilter.RequireRole"/>. Null without TLS (a development host on loopback).
/// </summary>
public static class CallerName
{
    public static string? Of(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return context.Connection.ClientCertificate is { } c ? c.GetNameInfo(X509NameType.SimpleName, false) : null;
    }
}
