using System.Security.Cryptography;
using M2MSec.Aka;
using M2MSec.NetworkFunctions.Hosting;
using M2MSec.Storage;
using M2MSec.Storage.Audit;
using M2MSec.Storage.Hss;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace M2MSec.NetworkFunctions.Hss;

/// <summary>HTTP API of the HSS: subscriber provisioning, vector requests with resync.</summary>
internal static class HssEndpoints
{
    public static void Map(IEndpointRouteBuilder app)
    {
        app.MapPost("/subscribers", AddSubscriberAsync).RequireAdministratorOrRole(["sho"]).WithName("addSubscriber")
            .WithSummary("Provision a subscriber: K and OP or OPc (TS 35.206), AMF, SEQ_HE").Produces<SubscriberCreatedResponse>(StatusCodes.Status201Created)
            .ProducesProblems(StatusCodes.Status400BadRequest, StatusCodes.Status409Conflict);
        app.MapGet("/subscribers/{imsi}", GetSubscriberAsync).RequireAdministrator().WithName("getSubscriber")
            .WithSummary("A subscriber's SQN state (never its keys)").Produces<SubscriberStateResponse>().ProducesProblems(StatusCodes.Status404NotFound);
        // Subscribers: administrators, and the SHO putting a provisioned MCIM's IMSI in its HSS (issue 15 step 21).
        // CK/IK go only to network functions that run AKA for a serving network (docs/decisions/012).
        app.MapPost("/auth-vectors", AuthVectorsAsync).RequireRole(M2MSec.Pki.Authority.CertificateRoles.VectorConsumers).WithName("authVectors")
            .WithSummary("Authentication vectors (TS 33.102 §6.3.2), with resynchronisation (§6.3.5)").Produces<AuthVectorsResponse>()
            .ProducesProblems(StatusCodes.Status400BadRequest, StatusCodes.Status404NotFound);
    }

    private static async Task<IResult> AddSubscriberAsync(AddSubscriberRequest request, HttpContext http, IStateStore state, IEditableHssSubscriberStore store, IAuditLog audit,
        HssOptions options, CancellationToken ct)
    {
        if (!Imsi.IsValid(request.Imsi))
            return ApiProblem.BadRequest("bad-imsi", "imsi: expected 6 to 15 decimal digits");
        if (!HexField.TryParse(request.K, 16, "k", out var k, out var error))
            return ApiProblem.BadRequest("bad-k", error);
        if ((request.Op is null) == (request.Opc is null))
            return ApiProblem.BadRequest("bad-op", "op/opc: expected exactly one of them");
        byte[] opc;
        if (request.Opc is not null)
        {
            if (!HexField.TryParse(request.Opc, 16, "opc", out opc, out error))
                return ApiProblem.BadRequest("bad-opc", error);
        }
        else
        {
            if (!HexField.TryParse(request.Op, 16, "op", out var op, out error))
                return ApiProblem.BadRequest("bad-op", error);
            opc = new byte[16];
            options.Milenage.ComputeOpc(k, op, opc);
        }
        var amf = new byte[] { 0x80, 0x00 };
        if (request.Amf is not null && !HexField.TryParse(request.Amf, 2, "amf", out amf, out error))
            return ApiProblem.BadRequest("bad-amf", error);
        if (request.SeqHe > options.SqnScheme.MaxSeq)
            return ApiProblem.BadRequest("bad-seq-he", $"seq_he: expected at most {options.SqnScheme.MaxSeq}");

        var subscriber = new HssSubscriber(request.Imsi!, k, opc, amf);
        // The subscriber and its entry in one commit (docs/decisions/053): never a subscriber without it.
        var added = await state.InOneCommitAsync(async () =>
        {
            if (!await store.AddAsync(subscriber, request.SeqHe ?? 0, ct).ConfigureAwait(false))
                return false;
            await audit.AppendAsync(AdministratorFilter.Actor(http), "subscriber.add", request.Imsi!, $"algorithm {subscriber.Algorithm}", ct).ConfigureAwait(false);
            return true;
        }, ct).ConfigureAwait(false);
        if (!added)
        {
            // Issue 16: the same subscriber again (the SHO's step 21 retried after a crash) is taken as once; other keys are refused.
            var existing = await store.FindAsync(request.Imsi!, ct).ConfigureAwait(false);
            var same = existing is not null && existing.Kind == subscriber.Kind && CryptographicOperations.FixedTimeEquals(existing.K, k)
                && CryptographicOperations.FixedTimeEquals(existing.Opc, opc) && existing.Amf.AsSpan().SequenceEqual(amf);
            existing?.Wipe();
            subscriber.Wipe();
            return same
                ? Results.Created($"/subscribers/{request.Imsi}", new SubscriberCreatedResponse(request.Imsi!))
                : ApiProblem.Conflict("subscriber-exists", $"imsi: {request.Imsi} is already provisioned");
        }
        http.RequestServices.GetService<AkaMetrics>()?.SubscriberAdded(request.Imsi!);
        return Results.Created($"/subscribers/{request.Imsi}", new SubscriberCreatedResponse(request.Imsi!));
    }

    private static async Task<IResult> GetSubscriberAsync(string imsi, IHssSubscriberStore store, CancellationToken ct)
    {
        var state = await store.GetSqnStateAsync(imsi, ct).ConfigureAwait(false);
        return state is { } s
            ? Results.Ok(new SubscriberStateResponse(imsi, s.SeqHe, s.IndHe))
            : ApiProblem.NotFound("unknown-subscriber", $"imsi: {imsi} is not provisioned");
    }

    private static async Task<IResult> AuthVectorsAsync(AuthVectorsRequest request, AuthenticationCentre auc, AkaMetrics metrics, HttpContext context, CancellationToken ct)
    {
        if (!Imsi.IsValid(request.Imsi))
            return ApiProblem.BadRequest("bad-imsi", "imsi: expected 6 to 15 decimal digits");
        var count = request.Count ?? 1;
        if (count < 1 || count > auc.Options.MaxVectorsPerRequest)
            return ApiProblem.BadRequest("bad-count", $"count: expected 1 to {auc.Options.MaxVectorsPerRequest}, got {count}");
        byte[]? snId = null;
        if (request.ServingNetworkId is not null && !HexField.TryParse(request.ServingNetworkId, 3, "serving_network_id", out snId, out var error))
            return ApiProblem.BadRequest("bad-serving-network-id", error);
        // The VNO is a serving network: K_ASME only, never CK/IK (docs/decisions/002, issue 15).
        if (snId is null && context.Connection.ClientCertificate is { } caller && M2MSec.Pki.Authority.CertificateRoles.RoleOf(caller) == "vno")
            return ApiProblem.Forbidden("umts-vector-refused", "serving_network_id: required for role vno (EPS vectors only: K_ASME, never CK/IK)");
        (byte[], byte[])? resync = null;
        if (request.Resync is { } r)
        {
            if (!HexField.TryParse(r.Rand, 16, "resync.rand", out var rand, out error))
                return ApiProblem.BadRequest("bad-resync", error);
            if (!HexField.TryParse(r.Auts, AkaVectors.AutsSize, "resync.auts", out var auts, out error))
                return ApiProblem.BadRequest("bad-resync", error);
            resync = (rand, auts);
        }

        var result = await auc.RequestVectorsAsync(request.Imsi!, count, snId, resync, ct).ConfigureAwait(false);
        metrics.Answered(request.Imsi!, result, resync is not null);
        return result.Status switch
        {
            VectorRequestStatus.UnknownSubscriber => ApiProblem.NotFound("unknown-subscriber", $"imsi: {request.Imsi} is not provisioned"),
            VectorRequestStatus.ResyncMacFailure => ApiProblem.Forbidden("auts-mac-failure", "resync.auts: MAC-S does not verify; SQN unchanged"),
            _ => Results.Ok(new AuthVectorsResponse(request.Imsi!, result.Resynchronised, [.. result.Vectors.Select(ToDto)])),
        };
    }

    private static AuthVectorDto ToDto(ServingNetworkVector v) => new(
        Hex(v.Rand), Hex(v.Xres), Hex(v.Autn),
        v.Ck is null ? null : Hex(v.Ck), v.Ik is null ? null : Hex(v.Ik), v.Kasme is null ? null : Hex(v.Kasme));

    private static string Hex(byte[] b) => Convert.ToHexStringLower(b);
}
