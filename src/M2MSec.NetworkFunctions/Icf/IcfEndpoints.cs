using System.Net;
using System.Security.Cryptography;
using M2MSec.Aka;
using M2MSec.NetworkFunctions.Drf;
using M2MSec.NetworkFunctions.Hosting;
using M2MSec.NetworkFunctions.Hss;
using M2MSec.Provisioning.Bootstrap;
using M2MSec.Storage;
using M2MSec.Storage.Hss;
using M2MSec.Storage.Icf;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace M2MSec.NetworkFunctions.Icf;

/// <summary>HTTP API of the ICF (docs/provisioning.md): temporary credentials from the CCIF, EPS vectors and attach confirmations from the VNO.</summary>
internal static class IcfEndpoints
{
    public static void Map(IEndpointRouteBuilder app)
    {
        app.MapPost("/temporary-credentials", AddTemporaryCredentialAsync).RequireRole(["ccif"]).WithName("addTemporaryCredential")
            .WithSummary("A PCID's temporary-access credential (TR 33.812 §5.1.3.6.2 NOTE 2): K, OPc wrapped at rest")
            .Produces<TemporaryCredentialCreated>(StatusCodes.Status201Created).ProducesProblems(StatusCodes.Status400BadRequest, StatusCodes.Status409Conflict);
        app.MapPost("/auth-vectors", AuthVectorsAsync).RequireRole(["vno"]).WithName("pcidAuthVectors")
            .WithSummary("EPS vectors for a PCID (steps 2–4): K_ASME, never CK/IK; resynchronisation (TS 33.102 §6.3.5)")
            .Produces<IcfAuthVectorsResponse>().ProducesProblems(StatusCodes.Status400BadRequest, StatusCodes.Status404NotFound);
        app.MapPost("/attach-confirmations", ConfirmAttachAsync).RequireRole(["vno"]).WithName("confirmAttach")
            .WithSummary("Step 6→8: the PCID passed AKA; PCID, address and K_RO go to the DRF")
            .Produces<AttachConfirmed>(StatusCodes.Status202Accepted)
            .ProducesProblems(StatusCodes.Status400BadRequest, StatusCodes.Status404NotFound, StatusCodes.Status409Conflict, StatusCodes.Status502BadGateway);
        app.MapDelete("/pcid-uses/{pcid}", ReopenAsync).RequireAdministrator().WithName("reopenPcid")
            .WithSummary("Re-opens a PCID whose provisioning failed after step 8 (docs/decisions/016)").Produces(StatusCodes.Status204NoContent)
            .ProducesProblems(StatusCodes.Status404NotFound);
    }

    private static async Task<IResult> AddTemporaryCredentialAsync(TemporaryCredentialRequest request, IStateStore store, HttpContext context, CancellationToken ct)
    {
        if (!Imsi.IsValid(request.Pcid))
            return ApiProblem.BadRequest("bad-pcid", "pcid: expected 6 to 15 decimal digits (IMSI format)");
        if (!HexField.TryParse(request.K, 16, "k", out var k, out var error))
            return ApiProblem.BadRequest("bad-k", error);
        if (!HexField.TryParse(request.Opc, 16, "opc", out var opc, out error))
            return ApiProblem.BadRequest("bad-opc", error);
        var amf = new byte[] { 0x80, 0x00 };
        if (request.Amf is not null && !HexField.TryParse(request.Amf, 2, "amf", out amf, out error))
            return ApiProblem.BadRequest("bad-amf", error);
        var credential = new HssSubscriber(request.Pcid!, k, opc, amf, SubscriberIdentityKind.Pcid);
        CryptographicOperations.ZeroMemory(k);
        CryptographicOperations.ZeroMemory(opc);
        // Not wiped here: an in-memory store keeps this very object.
        // The credential and its entry in one commit (docs/decisions/053).
        var added = await store.InOneCommitAsync(async () =>
        {
            if (!await store.Subscribers.AddAsync(credential, 0, ct).ConfigureAwait(false))
                return false;
            await store.Audit.AppendAsync(AdministratorFilter.Actor(context), "icf.temporary-credential.add", request.Pcid!, null, ct).ConfigureAwait(false);
            return true;
        }, ct).ConfigureAwait(false);
        if (!added)
            return ApiProblem.Conflict("pcid-exists", $"pcid: {request.Pcid} already has a temporary credential");
        return Results.Created($"/temporary-credentials/{request.Pcid}", new TemporaryCredentialCreated(request.Pcid!));
    }

    private static async Task<IResult> AuthVectorsAsync(IcfAuthVectorsRequest request, IcfAuc auc, Hss.AkaMetrics metrics, IcfOptions options, IStateStore store, TimeProvider time,
        CancellationToken ct)
    {
        if (!Imsi.IsValid(request.Pcid))
            return ApiProblem.BadRequest("bad-pcid", "pcid: expected 6 to 15 decimal digits (IMSI format)");
        var count = request.Count ?? 1;
        if (count < 1 || count > options.Auc.MaxVectorsPerRequest)
            return ApiProblem.BadRequest("bad-count", $"count: expected 1 to {options.Auc.MaxVectorsPerRequest}, got {count}");
        // EPS form only (docs/decisions/002): without a serving network there is no K_ASME, and CK/IK never leave the ICF.
        if (!HexField.TryParse(request.ServingNetworkId, 3, "serving_network_id", out var snId, out var error))
            return ApiProblem.BadRequest("bad-serving-network-id", error);
        (byte[], byte[])? resync = null;
        if (request.Resync is { } r)
        {
            if (!HexField.TryParse(r.Rand, 16, "resync.rand", out var rand, out error))
                return ApiProblem.BadRequest("bad-resync", error);
            if (!HexField.TryParse(r.Auts, AkaVectors.AutsSize, "resync.auts", out var auts, out error))
                return ApiProblem.BadRequest("bad-resync", error);
            resync = (rand, auts);
        }
        var pcid = request.Pcid!;
        // The PCID reuse policy (docs/decisions/016): a PCID whose bootstrap was handed to the DRF gets no more vectors.
        if (await store.Icf.FindUseAsync(pcid, ct).ConfigureAwait(false) is not null)
            return ApiProblem.Forbidden("pcid-used", $"pcid: {pcid} has completed its provisioning attach; its temporary credential is spent");

        var result = await auc.Centre.RequestVectorsAsync(pcid, count, snId, resync, ct,
            (ck, ik, rand) => RoBootstrapKey.Derive(ck, ik, pcid, rand)).ConfigureAwait(false);
        metrics.Answered(pcid, result, resync is not null);
        switch (result.Status)
        {
            case VectorRequestStatus.UnknownSubscriber:
                return ApiProblem.NotFound("unknown-pcid", $"pcid: {pcid} has no temporary credential");
            case VectorRequestStatus.ResyncMacFailure:
                return ApiProblem.Forbidden("auts-mac-failure", "resync.auts: MAC-S does not verify; SQN unchanged");
        }
        var expires = time.GetUtcNow() + options.PendingKeyLifetime;
        var vectors = new List<EpsVectorDto>(result.Vectors.Count);
        foreach (var v in result.Vectors)
        {
            await store.Icf.AddPendingKeyAsync(pcid, v.Rand, v.HomeKey!, expires, ct).ConfigureAwait(false);
            CryptographicOperations.ZeroMemory(v.HomeKey);
            vectors.Add(new EpsVectorDto(Hex(v.Rand), Hex(v.Xres), Hex(v.Autn), Hex(v.Kasme!)));
        }
        return Results.Ok(new IcfAuthVectorsResponse(pcid, result.Resynchronised, vectors));
    }

    private static async Task<IResult> ConfirmAttachAsync(AttachConfirmationRequest request, IStateStore store, PeerClients peers, TimeProvider time,
        HttpContext context, CancellationToken ct)
    {
        if (!Imsi.IsValid(request.Pcid))
            return ApiProblem.BadRequest("bad-pcid", "pcid: expected 6 to 15 decimal digits (IMSI format)");
        if (!HexField.TryParse(request.Rand, 16, "rand", out var rand, out var error))
            return ApiProblem.BadRequest("bad-rand", error);
        if (request.IpAddress is null || request.IpAddress.Length > 45 || !IPAddress.TryParse(request.IpAddress, out var ip))
            return ApiProblem.BadRequest("bad-ip-address", "ip_address: expected an IPv4 or IPv6 address");
        var pcid = request.Pcid!;
        // The pending K_RO taken and the PCID's use recorded in one commit (docs/decisions/053), before the DRF hears of it.
        byte[]? kRo = null;
        bool recorded;
        try
        {
            recorded = await store.InOneCommitAsync(async () =>
            {
                kRo = await store.Icf.TakePendingKeyAsync(pcid, rand, ct).ConfigureAwait(false);
                // Compare-and-swap: of two attaches with one PCID, only one reaches the DRF (docs/decisions/016).
                return kRo is not null && await store.Icf.TryRecordUseAsync(new IcfPcidUse(pcid, "bootstrapped", ip.ToString(), time.GetUtcNow()), ct).ConfigureAwait(false);
            }, ct).ConfigureAwait(false);
        }
        catch
        {
            if (kRo is not null)
                CryptographicOperations.ZeroMemory(kRo);
            throw;
        }
        if (kRo is null)
            return ApiProblem.NotFound("no-pending-vector", "rand: no vector issued for this PCID with this RAND is waiting (unknown, used or expired)");
        try
        {
            if (!recorded)
                return ApiProblem.Conflict("pcid-used", $"pcid: {pcid} has already completed its provisioning attach");
            try
            {
                await new DrfClient(peers.For("drf")).SubmitBootstrapRequestAsync(pcid, ip.ToString(), kRo, ct).ConfigureAwait(false);
            }
            catch (Exception e) when (e is HttpRequestException or PeerUnavailableException or TaskCanceledException)
            {
                await store.Icf.ClearUseAsync(pcid, ct).ConfigureAwait(false);
                return Results.Problem(detail: $"the DRF did not take the bootstrap request: {e.Message}", statusCode: StatusCodes.Status502BadGateway,
                    type: "urn:m2msec:error:drf-unavailable");
            }
        }
        finally
        {
            CryptographicOperations.ZeroMemory(kRo);
        }
        await store.Audit.AppendAsync(AdministratorFilter.Actor(context), "icf.attach.confirmed", pcid, $"address {ip}; bootstrap requested at the DRF", ct).ConfigureAwait(false);
        return Results.Accepted(value: new AttachConfirmed(pcid, "bootstrap-requested"));
    }

    private static async Task<IResult> ReopenAsync(string pcid, IStateStore store, HttpContext context, CancellationToken ct)
    {
        if (!Imsi.IsValid(pcid))
            return ApiProblem.BadRequest("bad-pcid", "pcid: expected 6 to 15 decimal digits (IMSI format)");
        if (!await store.Icf.ClearUseAsync(pcid, ct).ConfigureAwait(false))
            return ApiProblem.NotFound("pcid-not-used", $"pcid: {pcid} has not been used");
        await store.Audit.AppendAsync(AdministratorFilter.Actor(context), "icf.pcid.reopen", pcid, null, ct).ConfigureAwait(false);
        return Results.NoContent();
    }

    private static string Hex(byte[] b) => Convert.ToHexStringLower(b);
}
