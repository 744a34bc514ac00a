using System.Net;
using M2MSec.NetworkFunctions.Hosting;
using M2MSec.NetworkFunctions.Pva;
using M2MSec.Provisioning;
using M2MSec.Provisioning.Validation;
using M2MSec.Storage;
using M2MSec.Storage.Hss;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace M2MSec.NetworkFunctions.Dpf;

/// <summary>
/// Issue 16, the device side of rehabilitation (docs/decisions/020 "The network path"): a TRE locked for a firmware mismatch cannot
/// run a DM session (its DM account's secret is sealed and not released while locked), so it reaches the DPF on the DPF's device
/// listener, with no credential of its own: the request is the TRE's attestation over its own single-use nonce and its PfC, which
/// authenticate it to the PVA. The DPF forwards it to the PVA as role <c>dpf</c>, checks the signed statement it gets back
/// (signer of role pva under the operator root, bound to this PCID and nonce) and hands it to the device, whose TRE decides.
/// </summary>
internal static class DpfRehabilitationEndpoints
{
    public static void MapDevice(IEndpointRouteBuilder devices)
    {
        devices.MapPost("/rehabilitations", RehabilitateAsync).WithName("dpfRehabilitate")
            .WithSummary("A locked TRE's fresh evidence over its own nonce, forwarded to the PVA (role dpf); answers the PVA's signed rehabilitation statement")
            .Produces<RehabilitationAnswer>()
            .ProducesProblems(StatusCodes.Status400BadRequest, StatusCodes.Status404NotFound, StatusCodes.Status502BadGateway, StatusCodes.Status503ServiceUnavailable);
    }

    private static async Task<IResult> RehabilitateAsync(RehabilitationRequest request, IStateStore state, PeerClients peers, TimeProvider time, HttpContext context,
        CancellationToken ct)
    {
        // Checked here too (the PVA checks again): a malformed request costs the PVA nothing.
        if (!Imsi.IsValid(request.Pcid))
            return ApiProblem.BadRequest("bad-pcid", "pcid: expected 6 to 15 decimal digits (IMSI format)");
        if (!PvaEndpoints.TryCertificate(request.PfcAttestation, "pfc_attestation", out _, out var error)
            || !PvaEndpoints.TryCertificate(request.PfcEncryption, "pfc_encryption", out _, out error))
            return ApiProblem.BadRequest("bad-certificate", error);
        if (!HexField.TryParse(request.TreNonce, 32, "tre_nonce", out var nonce, out error))
            return ApiProblem.BadRequest("bad-tre-nonce", error);
        if (string.IsNullOrEmpty(request.Evidence) || request.Evidence.Length > 16 * 1024 || !PvaEndpoints.TryBase64(request.Evidence, out _))
            return ApiProblem.BadRequest("bad-evidence", "evidence: expected base64 of at most 8192 octets");
        RehabilitationAnswer answer;
        try
        {
            answer = await new PvaClient(peers.For("pva")).RehabilitateAsync(request, ct).ConfigureAwait(false);
        }
        catch (PeerRequestException e) when (e.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.BadRequest)
        {
            return e.StatusCode == HttpStatusCode.NotFound
                ? ApiProblem.NotFound("no-reference", $"pcid: {request.Pcid} is unknown to the PVA")
                : ApiProblem.BadRequest("pva-refused-request", "the PVA refused the request: " + Sho.ShoEndpoints.Clip(e.Problem));
        }
        catch (Exception e) when (e is HttpRequestException or PeerUnavailableException or TaskCanceledException)
        {
            return Results.Problem(detail: "the PVA could not be reached: " + Sho.ShoEndpoints.Clip(e.Message), statusCode: StatusCodes.Status503ServiceUnavailable,
                type: "urn:m2msec:error:pva-unavailable");
        }
        // Seed 003: the DPF holds the roots to check that the trusted PVA judged the TRE; a statement it cannot check is not passed on.
        if (context.RequestServices.GetService<NetworkFunctionTls>() is { TrustRoot: { } root } tls)
        {
            string? problem;
            try
            {
                var statement = PvaRehabilitation.Verify(answer.Statement, root, tls.Intermediates, time.GetUtcNow(), TimeSpan.FromMinutes(5));
                problem = statement.Pcid != request.Pcid ? "the statement names another PCID"
                    : !System.Security.Cryptography.CryptographicOperations.FixedTimeEquals(statement.TreNonce, nonce) ? "the statement is bound to another nonce"
                    : statement.Result != answer.Result ? "the statement's result is not the one answered"
                    : null;
            }
            catch (ProvisioningException e)
            {
                problem = $"{e.Code}: {e.Message}";
            }
            if (problem is not null)
            {
                await state.Audit.AppendAsync("dpf", "dpf.rehabilitation.bad-statement", request.Pcid!, Sho.ShoEndpoints.Clip(problem), ct).ConfigureAwait(false);
                return Results.Problem(detail: "the PVA's statement does not verify: " + Sho.ShoEndpoints.Clip(problem), statusCode: StatusCodes.Status502BadGateway,
                    type: "urn:m2msec:error:bad-rehabilitation");
            }
        }
        await state.Audit.AppendAsync("dpf", "dpf.rehabilitation." + answer.Result, request.Pcid!, answer.Reason ?? "statement passed to the device", ct).ConfigureAwait(false);
        return Results.Ok(answer);
    }
}
