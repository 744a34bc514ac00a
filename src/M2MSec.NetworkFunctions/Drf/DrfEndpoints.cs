using System.Net;
using System.Security.Cryptography;
using M2MSec.Dm.Auth;
using M2MSec.Dm.Bootstrap;
using M2MSec.NetworkFunctions.Dpf;
using M2MSec.NetworkFunctions.Hosting;
using M2MSec.NetworkFunctions.Sho;
using M2MSec.Storage;
using M2MSec.Storage.Drf;
using M2MSec.Storage.Hss;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace M2MSec.NetworkFunctions.Drf;

/// <summary>HTTP API of the DRF (docs/provisioning.md): assignments (admin), the ICF's bootstrap requests, the device's bootstrap, M2MMobj from the DPF.</summary>
internal static class DrfEndpoints
{
    /// <summary>The Bootstrap message's security method on the wire (<see cref="BootstrapSecMethod.RegistrationOperatorKey"/>).</summary>
    public const string SecRoKey = "ro-kro";

    public static void Map(IEndpointRouteBuilder app)
    {
        app.MapPut("/assignments/{pcid}", AssignAsync).RequireAdministrator().WithName("assignPcid")
            .WithSummary("Which SHO a PCID belongs to (step 9's database)").Produces<Assignment>().ProducesProblems(StatusCodes.Status400BadRequest);
        app.MapPost("/bootstrap-requests", BootstrapRequestAsync).RequireRole(["icf"]).WithName("bootstrapRequest")
            .WithSummary("Step 8: the ICF hands PCID, the device's address and K_RO to the DRF")
            .Produces<BootstrapRequestAccepted>(StatusCodes.Status202Accepted).ProducesProblems(StatusCodes.Status400BadRequest);
        app.MapPost("/registrations/{pcid}/m2mmobj", M2MMobjAsync).RequireRole(["dpf"]).WithName("submitM2MMobj")
            .WithSummary("Step 11→12: the M2MMobj the DPF read; the DRF registers the M2ME at the SHO")
            .Produces<RegistrationAccepted>(StatusCodes.Status202Accepted)
            .ProducesProblems(StatusCodes.Status400BadRequest, StatusCodes.Status404NotFound, StatusCodes.Status409Conflict, StatusCodes.Status502BadGateway);
    }

    public static void MapDevice(IEndpointRouteBuilder devices) =>
        devices.MapPost("/bootstrap", DeviceBootstrapAsync).WithName("bootstrap")
            .WithSummary("Steps 7, 9, 10: the M2ME asks the RO; the answer is the Bootstrap message (OMA DM bootstrap, MAC under K_RO)")
            .Produces<BootstrapMessageDto>()
            .ProducesProblems(StatusCodes.Status400BadRequest, StatusCodes.Status403Forbidden, StatusCodes.Status409Conflict, StatusCodes.Status502BadGateway);

    private static async Task<IResult> AssignAsync(string pcid, AssignmentRequest request, IStateStore store, HttpContext context, CancellationToken ct)
    {
        if (!Imsi.IsValid(pcid))
            return ApiProblem.BadRequest("bad-pcid", "pcid: expected 6 to 15 decimal digits (IMSI format)");
        if (!BootstrapM2MContext.IsValidShoId(request.ShoId))
            return ApiProblem.BadRequest("bad-sho-id", "sho_id: expected 1 to 64 of A-Z a-z 0-9 . _ -");
        await store.Drf.SetAssignmentAsync(pcid, request.ShoId!, ct).ConfigureAwait(false);
        await store.Audit.AppendAsync(AdministratorFilter.Actor(context), "drf.assignment.set", pcid, $"sho {request.ShoId}", ct).ConfigureAwait(false);
        return Results.Ok(new Assignment(pcid, request.ShoId!));
    }

    private static async Task<IResult> BootstrapRequestAsync(BootstrapRequestDto request, IStateStore store, DrfOptions options, TimeProvider time, HttpContext context,
        CancellationToken ct)
    {
        if (!Imsi.IsValid(request.Pcid))
            return ApiProblem.BadRequest("bad-pcid", "pcid: expected 6 to 15 decimal digits (IMSI format)");
        if (!TryAddress(request.IpAddress, out var ip))
            return ApiProblem.BadRequest("bad-ip-address", "ip_address: expected an IPv4 or IPv6 address");
        if (!HexField.TryParse(request.KRo, Provisioning.Bootstrap.RoBootstrapKey.Size, "k_ro", out var kRo, out var error))
            return ApiProblem.BadRequest("bad-k-ro", error);
        try
        {
            // The request and its entry in one commit (docs/decisions/053).
            await store.InOneCommitAsync(async () =>
            {
                await store.Drf.PutBootstrapRequestAsync(new DrfBootstrapRequest(request.Pcid!, ip, kRo, time.GetUtcNow() + options.BootstrapRequestLifetime), ct).ConfigureAwait(false);
                await store.Audit.AppendAsync(AdministratorFilter.Actor(context), "drf.bootstrap-request", request.Pcid!, $"address {ip}", ct).ConfigureAwait(false);
            }, ct).ConfigureAwait(false);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(kRo);
        }
        return Results.Accepted(value: new BootstrapRequestAccepted(request.Pcid!));
    }

    private static async Task<IResult> DeviceBootstrapAsync(DeviceBootstrapRequest request, IStateStore store, DrfOptions options, PeerClients peers, TimeProvider time,
        ProvisioningMetrics steps, CancellationToken ct)
    {
        if (!Imsi.IsValid(request.Pcid))
            return ApiProblem.BadRequest("bad-pcid", "pcid: expected 6 to 15 decimal digits (IMSI format)");
        if (!TryAddress(request.IpAddress, out var ip))
            return ApiProblem.BadRequest("bad-ip-address", "ip_address: expected an IPv4 or IPv6 address");
        if (request.DevId is not { Length: >= 1 and <= 64 } || !request.DevId.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.'))
            return ApiProblem.BadRequest("bad-dev-id", "dev_id: expected 1 to 64 of A-Z a-z 0-9 - _ .");
        var pcid = request.Pcid!;

        // Step 7: only the device the ICF announced, from the address the VNO gave it (connectivity limited to the RO).
        var pending = await store.Drf.TakeBootstrapRequestAsync(pcid, ct).ConfigureAwait(false);
        if (pending is null)
            return ApiProblem.Forbidden("no-bootstrap-request", "pcid: no attach of this PCID is waiting for its bootstrap");
        if (pending.IpAddress != ip)
        {
            await store.Drf.PutBootstrapRequestAsync(pending, ct).ConfigureAwait(false);
            CryptographicOperations.ZeroMemory(pending.KRo);
            return ApiProblem.Forbidden("address-mismatch", "ip_address: not the address the VNO assigned to this PCID");
        }
        try
        {
            // Step 9: the SHO under contract, the DPF; a fresh DM account (random credentials, docs/decisions/013).
            var shoId = await store.Drf.FindAssignmentAsync(pcid, ct).ConfigureAwait(false) ?? options.DefaultShoId;
            if (shoId is null)
            {
                await store.Drf.PutBootstrapRequestAsync(pending, ct).ConfigureAwait(false);
                return ApiProblem.Conflict("no-sho", $"pcid: {pcid} is assigned to no SHO");
            }
            var account = new DmAccountDto(options.DpfServerId, request.DevId, Secret(), Secret(), "md5", "md5");
            ProvisioningCreated created;
            try
            {
                created = await new DpfClient(peers.For("dpf")).CreateProvisioningAsync(new CreateProvisioningRequest(pcid, shoId, account), ct).ConfigureAwait(false);
            }
            catch (Exception e) when (e is HttpRequestException or PeerUnavailableException or TaskCanceledException)
            {
                await store.Drf.PutBootstrapRequestAsync(pending, ct).ConfigureAwait(false);
                return Results.Problem(detail: $"the DPF did not open the provisioning: {e.Message}", statusCode: StatusCodes.Status502BadGateway,
                    type: "urn:m2msec:error:dpf-unavailable");
            }
            if (!Uri.TryCreate(created.DmUrl, UriKind.Absolute, out var dmUrl) || dmUrl.Scheme is not ("https" or "http"))
                return Results.Problem(detail: "the DPF answered no usable dm_url", statusCode: StatusCodes.Status502BadGateway, type: "urn:m2msec:error:dpf-unavailable");

            // Step 10: the Bootstrap message — DMAcc for the DPF + the M2M context, MAC keyed with K_RO (never NETWPIN).
            var package = new BootstrapPackage("1", "1", request.DevId, new BootstrapDmAcc("M2MDPF", options.DpfServerId, "M2M DPF", dmUrl, DmAuthScheme.Md5,
                new BootstrapAppAuth(DmAuthScheme.Md5, options.DpfServerId, account.ServerPassword!),
                new BootstrapAppAuth(DmAuthScheme.Md5, request.DevId, account.ClientPassword!)), new BootstrapM2MContext(shoId));
            var body = BootstrapPackageBuilder.Build(package);
            var mac = BootstrapAuthenticator.ComputeMacWithKey(pending.KRo, body);
            // The registration and its entry in one commit (docs/decisions/053).
            await store.InOneCommitAsync(async () =>
            {
                await store.Drf.PutRegistrationAsync(new DrfRegistration(pcid, shoId, dmUrl.AbsoluteUri, request.DevId, "bootstrapped", time.GetUtcNow()), ct)
                    .ConfigureAwait(false);
                await store.Audit.AppendAsync("drf", "drf.bootstrap.sent", pcid, $"sho {shoId}, dpf {dmUrl.Authority}", ct).ConfigureAwait(false);
            }, ct).ConfigureAwait(false);
            steps.Audited("drf.bootstrap.sent", pcid);
            var sealedPackage = M2MSec.Provisioning.Bootstrap.RoBootstrapSeal.Seal(pending.KRo, pcid, body);
            return Results.Ok(new BootstrapMessageDto(pcid, shoId, dmUrl.AbsoluteUri, SecRoKey, Convert.ToBase64String(sealedPackage), mac,
                M2MSec.Provisioning.Bootstrap.RoBootstrapSeal.Name));
        }
        finally
        {
            CryptographicOperations.ZeroMemory(pending.KRo);
        }
    }

    private static async Task<IResult> M2MMobjAsync(string pcid, M2MMobjDto request, IStateStore store, PeerClients peers, HttpContext context, CancellationToken ct)
    {
        if (!Imsi.IsValid(pcid))
            return ApiProblem.BadRequest("bad-pcid", "pcid: expected 6 to 15 decimal digits (IMSI format)");
        if (request.Pcid != pcid)
            return ApiProblem.BadRequest("bad-pcid", "pcid: the M2MMobj's PCID differs from the path's");
        if (string.IsNullOrEmpty(request.TreId) || request.TreId.Length > 64)
            return ApiProblem.BadRequest("bad-tre-id", "tre_id: required, at most 64 characters");
        if (!BootstrapM2MContext.IsValidShoId(request.ShoId))
            return ApiProblem.BadRequest("bad-sho-id", "sho_id: expected 1 to 64 of A-Z a-z 0-9 . _ -");
        if (!IsDerBase64(request.PfcAttestation))
            return ApiProblem.BadRequest("bad-pfc-attestation", "pfc_attestation: expected a DER certificate in base64");
        if (!IsDerBase64(request.PfcEncryption))
            return ApiProblem.BadRequest("bad-pfc-encryption", "pfc_encryption: expected a DER certificate in base64");
        if (!HexField.TryParse(request.RegistrationNonce, 16, "registration_nonce", out _, out var error))
            return ApiProblem.BadRequest("bad-registration-nonce", error);

        var registration = await store.Drf.FindRegistrationAsync(pcid, ct).ConfigureAwait(false);
        if (registration is null)
            return ApiProblem.NotFound("unknown-registration", $"pcid: {pcid} has no bootstrap at this DRF");
        if (registration.ShoId != request.ShoId)
            return ApiProblem.Conflict("wrong-sho", "sho_id: not the SHO the Bootstrap message designated");
        if (registration.DevId != request.TreId)
            return ApiProblem.Conflict("wrong-tre-id", "tre_id: not the device that bootstrapped");
        // One registration per bootstrap: the state moves first, so two submissions never both reach the SHO.
        // Issue 16: a repeat (the DPF retrying after a crash anywhere on the way) goes to the SHO again, whose registration is idempotent.
        var repeat = false;
        if (!await store.Drf.TryMoveRegistrationAsync(pcid, "bootstrapped", "registering", ct).ConfigureAwait(false))
        {
            if ((await store.Drf.FindRegistrationAsync(pcid, ct).ConfigureAwait(false))?.State is not ("registering" or "registered"))
                return ApiProblem.Conflict("already-registered", $"pcid: {pcid} is {registration.State}, not waiting for its M2MMobj");
            repeat = true;
        }
        ShoRegistrationAccepted accepted;
        try
        {
            // The SHO is reached by its id (issue 16: SHO id == instance name == peer name).
            accepted = await new ShoClient(peers.For(registration.ShoId)).RegisterAsync(new ShoRegistrationRequest(pcid, request), ct).ConfigureAwait(false);
        }
        catch (PeerRequestException e) when (repeat && !ShoResumption.IsTransient(e))
        {
            return ApiProblem.Conflict("already-registered", $"pcid: {pcid} is {registration.State}; the SHO refused the repeat: {e.ProblemType ?? "refused"}");
        }
        catch (Exception e) when (e is HttpRequestException or PeerUnavailableException or TaskCanceledException)
        {
            if (!repeat)
                await store.Drf.TryMoveRegistrationAsync(pcid, "registering", "bootstrapped", ct).ConfigureAwait(false);
            return Results.Problem(detail: $"the SHO did not take the registration: {e.Message}", statusCode: StatusCodes.Status502BadGateway,
                type: "urn:m2msec:error:sho-unavailable");
        }
        // The move and its entry in one commit (docs/decisions/053).
        await store.InOneCommitAsync(async () =>
        {
            await store.Drf.TryMoveRegistrationAsync(pcid, "registering", "registered", ct).ConfigureAwait(false);
            await store.Audit.AppendAsync(AdministratorFilter.Actor(context), "drf.registration", pcid, $"registered at {registration.ShoId}: {accepted.State}", ct)
                .ConfigureAwait(false);
        }, ct).ConfigureAwait(false);
        context.RequestServices.GetRequiredService<ProvisioningMetrics>().Audited("drf.registration", pcid);
        return Results.Accepted(value: new RegistrationAccepted(pcid, accepted.State));
    }

    private static bool TryAddress(string? text, out string address)
    {
        address = "";
        if (text is null || text.Length > 45 || !IPAddress.TryParse(text, out var ip))
            return false;
        address = ip.ToString();
        return true;
    }

    private static bool IsDerBase64(string? text)
    {
        if (string.IsNullOrEmpty(text) || text.Length > 16_384)
            return false;
        var buffer = new byte[text.Length];
        return Convert.TryFromBase64String(text, buffer, out var n) && n > 2 && buffer[0] == 0x30;
    }

    /// <summary>A DM password: 128 random bits, base64url (printable, no padding).</summary>
    private static string Secret() => System.Buffers.Text.Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(16));
}
