using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using M2MSec.Aka;
using M2MSec.Aka.Gba;
using M2MSec.NetworkFunctions.Hosting;
using M2MSec.Pki.Authority;
using M2MSec.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace M2MSec.NetworkFunctions.Bsf;

/// <summary>
/// Zn (TS 33.220 §4.5.3 step 3–4, issue 18): a NAF asks for its key for a B-TID. The NAF is the one its operator-issued nf
/// certificate names — role naf, dNSName SAN equal to the FQDN part of NAF_Id — never a NAF_Id it merely asserts
/// (docs/decisions/029). The key: Ks_NAF (gba_me) or Ks_ext_NAF (gba_u), both KDF(Ks, "gba-me", RAND, IMPI, NAF_Id).
/// </summary>
internal static class BsfZnEndpoints
{
    /// <summary>The certificate role of a NAF (docs/decisions/012).</summary>
    public const string NafRole = "naf";

    /// <summary>Longest NAF_Id accepted: a DNS name (253) and the Ua security protocol id.</summary>
    public const int MaxNafIdOctets = 253 + GbaKeys.UaProtocolIdSize;

    public static void Map(IEndpointRouteBuilder app) =>
        app.MapPost("/zn/naf-keys", NafKeyAsync).WithMetadata(new MutualTlsRequirement([NafRole])).WithName("znNafKey")
            .WithSummary("Zn: the NAF key for (B-TID, NAF_Id), to a NAF whose certificate (role naf) names NAF_Id's FQDN (TS 33.220 §4.5.3)")
            .Produces<ZnNafKeyResponse>()
            .ProducesProblems(StatusCodes.Status400BadRequest, StatusCodes.Status403Forbidden, StatusCodes.Status404NotFound, StatusCodes.Status410Gone);

    private static async Task<IResult> NafKeyAsync(ZnNafKeyRequest request, HttpContext http, IStateStore store, TimeProvider time, CancellationToken ct)
    {
        if (!BTid.IsWellFormed(request.BTid))
            return ApiProblem.BadRequest("bad-b-tid", "b_tid: expected base64(RAND)@BSF-domain (TS 33.220 §4.5.2)");
        if (!TryNafId(request.NafId, out var nafId, out var fqdn, out var error))
            return ApiProblem.BadRequest("bad-naf-id", error);
        if (Refuse(http, fqdn) is { } refusal)
        {
            await store.Audit.AppendAsync(AdministratorFilter.Actor(http), "bsf.zn.refused", request.BTid!, $"NAF {fqdn}: {refusal}", ct).ConfigureAwait(false);
            return ApiProblem.Forbidden("naf-not-authorised", $"naf_id: {refusal}");
        }
        var context = await store.Bsf.FindContextAsync(request.BTid!, ct).ConfigureAwait(false);
        if (context is null)
            return ApiProblem.NotFound("unknown-b-tid", "b_tid: no bootstrapping context of that B-TID — the device must bootstrap");
        try
        {
            if (context.ExpiresAt <= time.GetUtcNow())
                return Results.Problem(detail: "b_tid: the key lifetime has passed — the device must bootstrap again", statusCode: StatusCodes.Status410Gone,
                    type: "urn:m2msec:error:b-tid-expired");
            var key = GbaKeys.KsNaf(context.Ks.AsSpan(0, Milenage.CkSize), context.Ks.AsSpan(Milenage.CkSize), context.Rand, context.Impi, nafId);
            var hex = Convert.ToHexStringLower(key);
            CryptographicOperations.ZeroMemory(key);
            await store.Audit.AppendAsync(AdministratorFilter.Actor(http), "bsf.zn.key", context.BTid, $"NAF {fqdn}, {context.GbaType}", ct).ConfigureAwait(false);
            return Results.Ok(new ZnNafKeyResponse(context.BTid, context.Impi, context.GbaType, hex, Rfc3339(context.BootstrappedAt), Rfc3339(context.ExpiresAt)));
        }
        finally
        {
            CryptographicOperations.ZeroMemory(context.Ks);
        }
    }

    /// <summary>NAF_Id = FQDN (UTF-8) ‖ 5-octet Ua security protocol id (TS 33.220 §4.5.2, Annex H), given in hex.</summary>
    internal static bool TryNafId(string? hex, out byte[] nafId, out string fqdn, out string error)
    {
        nafId = [];
        fqdn = "";
        error = "";
        if (string.IsNullOrEmpty(hex) || hex.Length % 2 != 0 || !hex.All(System.Uri.IsHexDigit))
        {
            error = "naf_id: required, hex of the NAF's FQDN (UTF-8) followed by the 5-octet Ua security protocol identifier";
            return false;
        }
        nafId = Convert.FromHexString(hex);
        if (nafId.Length <= GbaKeys.UaProtocolIdSize || nafId.Length > MaxNafIdOctets)
        {
            error = $"naf_id: expected {GbaKeys.UaProtocolIdSize + 1} to {MaxNafIdOctets} octets (FQDN ‖ Ua security protocol id), got {nafId.Length}";
            return false;
        }
        try
        {
            fqdn = new UTF8Encoding(false, true).GetString(nafId, 0, nafId.Length - GbaKeys.UaProtocolIdSize);
        }
        catch (DecoderFallbackException)
        {
            error = "naf_id: the FQDN part is not UTF-8";
            return false;
        }
        if (!IsDnsName(fqdn))
        {
            error = "naf_id: the FQDN part (all but the last 5 octets) is not a DNS name";
            return false;
        }
        return true;
    }

    /// <summary>Why the caller may not have keys for <paramref name="fqdn"/> (null: it may). Without TLS (a development host): loopback only.</summary>
    private static string? Refuse(HttpContext http, string fqdn)
    {
        if (http.RequestServices.GetService<NetworkFunctionTls>() is null)
            return http.Connection.RemoteIpAddress is { } ip && IPAddress.IsLoopback(ip) ? null : "loopback callers only on a host without TLS";
        if (http.Connection.ClientCertificate is not { } cert)
            return "no client certificate";
        if (CertificateRoles.RoleOf(cert) != NafRole)
            return $"the certificate's role is not {NafRole}";
        var names = cert.Extensions.OfType<X509SubjectAlternativeNameExtension>().SelectMany(e => e.EnumerateDnsNames());
        return names.Any(n => string.Equals(n.TrimEnd('.'), fqdn.TrimEnd('.'), StringComparison.OrdinalIgnoreCase))
            ? null
            : "the certificate's dNSName does not name the NAF_Id's FQDN";
    }

    private static bool IsDnsName(string s) =>
        s.Length is > 0 and <= 253 && s.Split('.').All(l => l.Length is > 0 and <= 63 && l.All(c => char.IsAsciiLetterOrDigit(c) || c == '-') && l[0] != '-' && l[^1] != '-');

    internal static string Rfc3339(DateTimeOffset t) => t.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
}
