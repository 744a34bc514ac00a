using System.Security.Cryptography.X509Certificates;
using M2MSec.NetworkFunctions.Hosting;
using M2MSec.Pki.Authority;
using M2MSec.Pki.Ocsp;
using M2MSec.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace M2MSec.NetworkFunctions.Ocsp;

/// <summary>Which hierarchy the responder answers for, and whether to create it when missing (serve all, demo).</summary>
public sealed record OcspFunctionOptions(string Hierarchy = "operator", bool InitialiseIfMissing = false, Uri? OcspUrl = null);

/// <summary>
/// The OCSP responder of one hierarchy (RFC 6960 over HTTP, delegated signer), its CRL at /crl,
/// and its administrative side (revocation) under /admin, which needs an administrator.
/// </summary>
public sealed class OcspFunction(OcspFunctionOptions options) : INetworkFunction
{
    public string Role => NetworkFunctionRole.Ocsp;

    public void ConfigureServices(IServiceCollection services, string dataDirectory)
    {
        services.AddSingleton<OcspMetrics>();
        services.AddSingleton(sp =>
        {
            var store = sp.GetRequiredService<IStateStore>();
            var time = sp.GetRequiredService<TimeProvider>();
            return Task.Run(async () => await CertificateHierarchy.OpenAsync(store.Certificates, options.Hierarchy, time).ConfigureAwait(false)
                ?? (options.InitialiseIfMissing
                    ? await CertificateHierarchy.InitAsync(store.Certificates, options.Hierarchy, KeyAlgorithm.EcP256, options.OcspUrl, time).ConfigureAwait(false)
                    : throw new ArgumentException($"no '{options.Hierarchy}' hierarchy in {store.Description}; run `m2msec pki init --data {dataDirectory}` first")))
                .GetAwaiter().GetResult();
        });
        services.AddSingleton(sp =>
        {
            var hierarchy = sp.GetRequiredService<CertificateHierarchy>();
            return new OcspResponder(hierarchy.Issuing, hierarchy.OcspSigner,
                async (serial, ct) => OcspCertificateStatus.Of(await hierarchy.FindAsync(serial, ct).ConfigureAwait(false)), sp.GetRequiredService<TimeProvider>());
        });
    }

    public void MapEndpoints(WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        // Resolve now: a missing hierarchy fails the start, not the first request.
        app.Services.GetRequiredService<OcspResponder>();
        app.MapGet("/crl", async (CertificateHierarchy h, CancellationToken ct) =>
            Results.Bytes(await h.BuildCrlAsync(cancellationToken: ct).ConfigureAwait(false), "application/pkix-crl"))
            .WithName("crl").WithSummary("The issuing CA's current CRL (RFC 5280 §5), DER").Produces<byte[]>(StatusCodes.Status200OK, "application/pkix-crl");
        app.MapPost("/admin/revocations", RevokeAsync).RequireAdministrator().WithName("revoke").WithSummary("Revoke a certificate (RFC 5280 §5.3.1 reasons)")
            .Produces<RevocationResponse>().ProducesProblems(StatusCodes.Status400BadRequest, StatusCodes.Status404NotFound, StatusCodes.Status409Conflict);
        app.MapPost("/admin/certificates", IssueAsync).RequireAdministrator().WithName("issue").WithSummary("Issue a certificate for a PKCS#10 request")
            .Produces<IssueResponse>().ProducesProblems(StatusCodes.Status400BadRequest);
        app.MapOcsp();
        // RFC 6960 Appendix A.1: POST at the URL certificates carry, GET at URL/base64; "/" keeps working.
        if (OcspPath(app.Services.GetRequiredService<CertificateHierarchy>().OcspUrl) is { } path)
            app.MapOcsp(path);
    }

    /// <summary>The path of the hierarchy's OCSP URL when it is not the root (where the responder answers anyway).</summary>
    internal static string? OcspPath(Uri? ocspUrl) =>
        ocspUrl?.AbsolutePath.TrimEnd('/') is { Length: > 0 } path && path is not "/crl" && !path.StartsWith("/admin", StringComparison.Ordinal) ? path : null;

    private static async Task<IResult> RevokeAsync(RevocationRequest request, CertificateHierarchy h, IStateStore store, HttpContext context, CancellationToken ct)
    {
        if (!M2MSec.Pki.CertificateSerial.TryParse(request.Serial ?? "", out var serial))
            return ApiProblem.BadRequest("bad-serial", "serial: expected hex, positive, at most 20 octets");
        if (!RevocationReasons.TryParse(request.Reason, out var reason))
            return ApiProblem.BadRequest("bad-reason", $"reason: expected one of {string.Join(", ", RevocationReasons.Names)}");
        var known = await h.FindAsync(serial, ct).ConfigureAwait(false);
        if (known is null)
            return ApiProblem.NotFound("unknown-certificate", $"serial: {serial} was not issued by the '{h.Name}' hierarchy");
        if (!await h.RevokeAsync(serial, reason, ct).ConfigureAwait(false))
            return ApiProblem.Conflict("already-revoked", $"serial: {serial} is already revoked; the first revocation stands");
        await store.Audit.AppendAsync(AdministratorFilter.Actor(context), "pki.revoke", $"{h.Name}/{serial}", RevocationReasons.Name(reason), ct).ConfigureAwait(false);
        return Results.Ok(new RevocationResponse(serial, RevocationReasons.Name(reason)));
    }

    /// <summary>
    /// Issues a certificate for a key the caller keeps (a PKCS#10 request, its signature checked):
    /// how a server renews its short-lived certificate without the CA's keys in its directory.
    /// </summary>
    private static async Task<IResult> IssueAsync(IssueRequest request, CertificateHierarchy h, IStateStore store, HttpContext context, CancellationToken ct)
    {
        if (!CertificateProfiles.TryParse(request.Profile, out var profile))
            return ApiProblem.BadRequest("bad-profile", $"profile: expected one of {string.Join(", ", CertificateProfiles.IssuableNames)}");
        if (request.Days is < 1 or > 3650)
            return ApiProblem.BadRequest("bad-days", "days: expected 1 to 3650");
        if (profile.NeedsRole() ? !CertificateRoles.IsRole(request.Role) : request.Role is not null)
            return ApiProblem.BadRequest("bad-role", profile.NeedsRole()
                ? $"role: the nf profile needs one of {string.Join(", ", CertificateRoles.Names)}" : "role: only for the nf profile");
        // The key's algorithm and the subject's characters and lengths are checked here (nothing else of the CSR is taken).
        if (!SigningRequests.TryRead(request.CsrPem, out var subject, out var publicKey, out var error))
            return ApiProblem.BadRequest("bad-csr", error);
        X509Certificate2 cert;
        try
        {
            cert = await h.IssueForKeyAsync(profile, subject, publicKey, request.Days is { } d ? TimeSpan.FromDays(d) : null, request.Role, ct).ConfigureAwait(false);
        }
        catch (ArgumentException e)
        {
            return ApiProblem.BadRequest("bad-csr", "csr_pem: " + e.Message.Split(" (Parameter ", 2)[0]);
        }
        using (cert)
        {
            var serial = M2MSec.Pki.CertificateSerial.Of(cert);
            await store.Audit.AppendAsync(AdministratorFilter.Actor(context), "pki.issue", $"{h.Name}/{serial}", $"{profile.Name()} {cert.Subject}", ct).ConfigureAwait(false);
            return Results.Ok(new IssueResponse(serial, cert.ExportCertificatePem(), h.Issuing.ExportCertificatePem()));
        }
    }

    public sealed record RevocationRequest(string? Serial, string? Reason);

    /// <summary>What /admin/revocations answers.</summary>
    public sealed record RevocationResponse(string Serial, string Reason);

    public sealed record IssueRequest(string? CsrPem, string? Profile, int? Days, string? Role);

    /// <summary>What /admin/certificates answers: the certificate and the chain above it (PEM).</summary>
    public sealed record IssueResponse(string Serial, string CertificatePem, string ChainPem);
}
