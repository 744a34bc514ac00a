using System.Security.Cryptography;
using M2MSec.Dm.Auth;
using M2MSec.Dm.Tree;
using M2MSec.NetworkFunctions.Hosting;
using M2MSec.NetworkFunctions.Sho;
using M2MSec.Provisioning;
using M2MSec.Storage;
using M2MSec.Storage.Dm;
using M2MSec.Storage.Dpf;
using M2MSec.Storage.Hss;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace M2MSec.NetworkFunctions.Dpf;

/// <summary>
/// The DPF's role API (docs/provisioning.md): the DRF opens a provisioning (step 10), the SHO has the PVA's challenge taken to the
/// TRE (step 14) and hands over the signed M2MSIMMobj (step 17). Every field is checked before anything changes; each refusal names it.
/// </summary>
internal static class DpfEndpoints
{
    public static void Map(IEndpointRouteBuilder app)
    {
        app.MapPost("/provisionings", CreateAsync).RequireRole(["drf"]).WithName("createProvisioning")
            .WithSummary("Step 10: the device's DM account and an ongoing provisioning; the DPF queues the read of ./M2MMobj")
            .Produces<ProvisioningCreated>(StatusCodes.Status201Created).ProducesProblems(StatusCodes.Status400BadRequest, StatusCodes.Status409Conflict);
        app.MapPost("/provisionings/{pcid}/attestation", AttestationAsync).RequireRole(["sho"]).WithName("requestAttestation")
            .WithSummary("Step 14: Replace ./M2MMobj/Attestation/Nonce with the PVA's challenge and Get the evidence")
            .Produces<ProvisioningState>(StatusCodes.Status202Accepted)
            .ProducesProblems(StatusCodes.Status400BadRequest, StatusCodes.Status404NotFound, StatusCodes.Status409Conflict);
        app.MapPost("/provisionings/{pcid}/m2msimmobj", DeliverAsync).RequireRole(["sho"]).WithName("deliverM2MSimMobj")
            .WithSummary("Steps 17–18: the signed M2MSIMMobj for an ongoing provisioning with a valid verdict; queued as Replace ./M2MSIMMobj/Object")
            .Produces<ProvisioningState>(StatusCodes.Status202Accepted)
            .ProducesProblems(StatusCodes.Status400BadRequest, StatusCodes.Status404NotFound);
    }

    private static async Task<IResult> CreateAsync(CreateProvisioningRequest request, HttpContext http, DpfContext dpf, CancellationToken ct)
    {
        if (!Imsi.IsValid(request.Pcid))
            return ApiProblem.BadRequest("bad-pcid", "pcid: expected 6 to 15 decimal digits (IMSI format)");
        if (!ShoEndpoints.IsName(request.ShoId, 64))
            return ApiProblem.BadRequest("bad-sho-id", "sho_id: required, 1 to 64 printable ASCII characters");
        if (request.DmAccount is not { } a)
            return ApiProblem.BadRequest("bad-dm-account", "dm_account: required");
        if (!DmAcl.IsValidServerId(a.ServerId) || !DmUri.IsValidNodeName(a.ServerId))
            return ApiProblem.BadRequest("bad-dm-account", "dm_account.server_id: required, a DM ServerID usable as a node name");
        if (!ShoEndpoints.IsName(a.ClientUser, 128))
            return ApiProblem.BadRequest("bad-dm-account", "dm_account.client_user: required, 1 to 128 printable ASCII characters");
        if (a.ClientPassword is not { Length: >= 8 and <= 128 })
            return ApiProblem.BadRequest("bad-dm-account", "dm_account.client_password: required, 8 to 128 characters");
        if (a.ServerPassword is not { Length: >= 8 and <= 128 })
            return ApiProblem.BadRequest("bad-dm-account", "dm_account.server_password: required, 8 to 128 characters");
        if (!DmAuthSchemeNames.TryParseAccountName(a.ClientAuth ?? "md5", out var clientAuth))
            return ApiProblem.BadRequest("bad-dm-account", "dm_account.client_auth: expected basic, md5 or hmac");
        if (!DmAuthSchemeNames.TryParseAccountName(a.ServerAuth ?? "md5", out var serverAuth) || serverAuth == DmAuthScheme.Basic)
            return ApiProblem.BadRequest("bad-dm-account", "dm_account.server_auth: expected md5 or hmac");
        var pcid = request.Pcid!;
        var now = dpf.Time.GetUtcNow();
        // The DM account is keyed by the PCID: the device's DevId towards the DPF during provisioning (docs/decisions/018).
        var account = new DmAccount(pcid, a.ServerId!, a.ClientUser!, DpfProvisionings.Utf8(a.ClientPassword), DpfProvisionings.Utf8(a.ServerPassword),
            clientAuth.ToAccountName(), serverAuth.ToAccountName(), now);
        if (await dpf.State.Dpf.FindAsync(pcid, ct).ConfigureAwait(false) is { } existing)
        {
            // Issue 16: a Bootstrap the device never received (the DRF killed before answering; the PCID re-opened, decision 022) — while the
            // DPF has read nothing with the old account, the new Bootstrap's account replaces it. Past that, a PCID is provisioned once.
            if (existing.State != DpfProvisioning.Reading || existing.ShoId != request.ShoId)
                return ApiProblem.Conflict("provisioning-exists", $"pcid: {pcid} already has a provisioning at this DPF (a PCID is provisioned once)");
            var replaced = await dpf.State.InOneCommitAsync(async () =>
            {
                if (!await dpf.State.Dm.ReplaceAccountAsync(account, ct).ConfigureAwait(false))
                    return false;
                await dpf.Jobs.AuditAsync("dpf.provisioning.reopened", pcid, $"sho {request.ShoId}, dm server {a.ServerId}: a new Bootstrap's account", ct,
                    AdministratorFilter.Actor(http)).ConfigureAwait(false);
                return true;
            }, ct).ConfigureAwait(false);
            return replaced
                ? Results.Created($"/provisionings/{pcid}", new ProvisioningCreated(pcid, dpf.DmUrl()))
                : ApiProblem.Conflict("provisioning-exists", $"pcid: {pcid} already has a provisioning at this DPF (a PCID is provisioned once)");
        }
        // The provisioning, its DM account and the job that reads ./M2MMobj in one commit (decision 055): a provisioning exists with its
        // account and its read job or not at all. An account with no provisioning is what an earlier version killed between its writes
        // left (nothing was read with it; the Bootstrap carrying it never reached the device): the new Bootstrap's account replaces it.
        var readJob = DpfProvisionings.NewJobId();
        var created = await dpf.Jobs.QueueAsync(pcid, readJob, DpfProvisionings.ReadCommands(),
            ("dpf.provisioning.create", $"sho {request.ShoId}, dm server {a.ServerId}, read job {readJob}"), async () =>
            {
                if (!await dpf.State.Dpf.AddAsync(new DpfProvisioning(pcid, request.ShoId!, DpfProvisioning.Reading, now, now, ReadJobId: readJob), ct).ConfigureAwait(false))
                    return false;
                if (!await dpf.State.Dm.AddAccountAsync(account, ct).ConfigureAwait(false) && !await dpf.State.Dm.ReplaceAccountAsync(account, ct).ConfigureAwait(false))
                    throw new InvalidOperationException($"pcid: {pcid}: the DM account could neither be added nor replaced"); // undoes the provisioning
                return true;
            }, ct, AdministratorFilter.Actor(http)).ConfigureAwait(false);
        return created
            ? Results.Created($"/provisionings/{pcid}", new ProvisioningCreated(pcid, dpf.DmUrl()))
            : ApiProblem.Conflict("provisioning-exists", $"pcid: {pcid} already has a provisioning at this DPF");
    }

    private static async Task<IResult> AttestationAsync(string pcid, AttestationRequest request, DpfContext dpf, CancellationToken ct)
    {
        if (!Imsi.IsValid(pcid))
            return ApiProblem.BadRequest("bad-pcid", "pcid: expected 6 to 15 decimal digits (IMSI format)");
        if (!ShoEndpoints.IsName(request.ValidationId, 128))
            return ApiProblem.BadRequest("bad-validation-id", "validation_id: required, 1 to 128 printable ASCII characters");
        if (request.Challenge is not { Length: >= 32 and <= 128 } c || c.Length % 2 != 0 || !c.All(Uri.IsHexDigit))
            return ApiProblem.BadRequest("bad-challenge", "challenge: expected 32 to 128 hex digits (16 to 64 octets)");
        var p = await dpf.State.Dpf.FindAsync(pcid, ct).ConfigureAwait(false);
        if (p is null)
            return ApiProblem.NotFound("no-provisioning", $"pcid: {pcid} has no provisioning at this DPF");
        if (p.State != DpfProvisioning.Registered)
        {
            // Issue 16: the SHO sending this validation's challenge again (a resumed step 14) is taken as once; a job lost before it was queued is queued now.
            if (p.ValidationId != request.ValidationId || p.State is DpfProvisioning.Reading or DpfProvisioning.Failed)
                return ApiProblem.Conflict("not-registered", $"pcid: {pcid} is {p.State}, not awaiting an attestation");
            if (p is { State: DpfProvisioning.Attesting, AttestationJobId: { } lost } && await dpf.State.Dm.FindJobAsync(lost, ct).ConfigureAwait(false) is null)
                await dpf.Jobs.QueueAsync(pcid, lost, DpfProvisionings.AttestationCommands(c), ct).ConfigureAwait(false);
            return Results.Accepted($"/provisionings/{pcid}", new ProvisioningState(pcid, p.State));
        }
        if (p.Reason == DpfProvisionings.ValidationSettled + request.ValidationId)
            return ApiProblem.Conflict("validation-settled", $"validation_id: the PVA settled {request.ValidationId} without the DPF learning its verdict; start another");
        var jobId = DpfProvisionings.NewJobId();
        var attesting = p with
        {
            State = DpfProvisioning.Attesting,
            ValidationId = request.ValidationId,
            AttestationJobId = jobId,
            Reason = null,
            UpdatedAt = dpf.Time.GetUtcNow(),
        };
        // The move and its job in one commit (decision 055).
        if (!await dpf.Jobs.QueueAsync(pcid, jobId, DpfProvisionings.AttestationCommands(c), ("dpf.attestation.queued", $"validation {request.ValidationId}, job {jobId}"),
                () => dpf.State.Dpf.UpdateAsync(attesting, DpfProvisioning.Registered, ct), ct).ConfigureAwait(false))
            return ApiProblem.Conflict("not-registered", $"pcid: {pcid} changed state meanwhile");
        return Results.Accepted($"/provisionings/{pcid}", new ProvisioningState(pcid, DpfProvisioning.Attesting));
    }

    private static async Task<IResult> DeliverAsync(string pcid, M2MSimMobjDelivery request, DpfContext dpf, CancellationToken ct)
    {
        if (!Imsi.IsValid(pcid))
            return ApiProblem.BadRequest("bad-pcid", "pcid: expected 6 to 15 decimal digits (IMSI format)");
        byte[] document;
        try
        {
            document = request.M2msimmobj is { Length: > 0 and <= DmTree.MaxLeafSize } b ? Convert.FromBase64String(b) : throw new FormatException();
        }
        catch (FormatException)
        {
            return ApiProblem.BadRequest("bad-m2msimmobj", $"m2msimmobj: required, base64 of the signed document, at most {DmTree.MaxLeafSize} characters");
        }
        if (request.Verdict is not { Length: > 0 and <= 16 * 1024 })
            return ApiProblem.BadRequest("bad-verdict", "verdict: required, at most 16384 characters");
        // Seed 003: only for an ongoing provisioning of this device, whose M2MMobj the DPF read and whose platform the PVA validated.
        var p = await dpf.State.Dpf.FindAsync(pcid, ct).ConfigureAwait(false);
        // Issue 16: the document this provisioning already took, sent again by the SHO (a resumed step 17), is taken as once.
        if (p is { State: DpfProvisioning.Downloading or DpfProvisioning.Installed, M2MSimMobj: { } taken } && taken.AsSpan().SequenceEqual(document))
            return Results.Accepted($"/provisionings/{pcid}", new ProvisioningState(pcid, p.State));
        if (p is null || p.State != DpfProvisioning.Validated)
        {
            await dpf.Jobs.AuditAsync("dpf.download.refused", pcid, $"unsolicited: {p?.State ?? "no provisioning"}", ct).ConfigureAwait(false);
            return ApiProblem.Forbidden("no-ongoing-provisioning", $"pcid: {pcid} has no provisioning at this DPF awaiting its M2MSIMMobj");
        }
        var verdict = PvaVerdictCheck.Check(dpf.Verifier, request.Verdict, dpf.Time.GetUtcNow(), pcid, p.ValidationId, p.PfcAttestation!, p.PfcEncryption!, null,
            out var type, out var detail);
        if (verdict is null || !verdict.IsValid)
        {
            await dpf.Jobs.AuditAsync("dpf.download.refused", pcid, verdict is null ? $"{type}: {detail}" : "verdict: platform invalid", ct).ConfigureAwait(false);
            return ApiProblem.Forbidden(verdict is null ? type : "platform-invalid", verdict is null ? detail : "verdict: the PVA judged the platform invalid");
        }
        M2MSec.Provisioning.Objects.M2MSimMobjContent content;
        try
        {
            content = await dpf.Reader.ReadAsync(p.ShoId, document, ct).ConfigureAwait(false);
        }
        catch (ProvisioningException e)
        {
            await dpf.Jobs.AuditAsync("dpf.download.refused", pcid, $"m2msimmobj: {e.Code}", ct).ConfigureAwait(false);
            return ApiProblem.Forbidden(e.Code, $"m2msimmobj: {ShoEndpoints.Clip(e.Message)}");
        }
        var mismatch = content.Pcid != pcid ? "m2msimmobj: names another PCID than the M2MMobj read"
            : content.TreId != p.TreId ? "m2msimmobj: names another TRE than the M2MMobj read"
            : content.ShoId != p.ShoId ? "m2msimmobj: names another SHO than the provisioning's"
            : content.RegistrationNonce is not { Length: 16 } n || !CryptographicOperations.FixedTimeEquals(n, p.RegistrationNonce) ? "m2msimmobj: carries another registration nonce than the M2MMobj read"
            : null;
        if (mismatch is not null)
        {
            await dpf.Jobs.AuditAsync("dpf.download.refused", pcid, mismatch, ct).ConfigureAwait(false);
            return ApiProblem.Forbidden("mismatched-download", mismatch);
        }
        var jobId = DpfProvisionings.NewJobId();
        var downloading = p with { State = DpfProvisioning.Downloading, Verdict = request.Verdict, M2MSimMobj = document, DownloadJobId = jobId, UpdatedAt = dpf.Time.GetUtcNow() };
        // The move and its job in one commit (decision 055).
        if (!await dpf.Jobs.QueueAsync(pcid, jobId, DpfProvisionings.DownloadCommands(downloading), ("dpf.download.queued", $"job {jobId}, validation {p.ValidationId}"),
                () => dpf.State.Dpf.UpdateAsync(downloading, DpfProvisioning.Validated, ct), ct).ConfigureAwait(false))
        {
            // Issue 16: the SHO's resumed step 17 raced its first delivery of this same document, and the other one took it: taken as once
            // (a refusal here made the SHO fail a subscription whose MCIM the DPF went on to install).
            if (await dpf.State.Dpf.FindAsync(pcid, ct).ConfigureAwait(false) is { State: DpfProvisioning.Downloading or DpfProvisioning.Installed, M2MSimMobj: { } now } raced
                && now.AsSpan().SequenceEqual(document))
                return Results.Accepted($"/provisionings/{pcid}", new ProvisioningState(pcid, raced.State));
            return ApiProblem.Forbidden("no-ongoing-provisioning", $"pcid: {pcid} changed state meanwhile");
        }
        return Results.Accepted($"/provisionings/{pcid}", new ProvisioningState(pcid, DpfProvisioning.Downloading));
    }
}

/// <summary>What the DPF's endpoints share (from DI).</summary>
internal sealed class DpfContext(IStateStore state, DpfProvisionings jobs, IPvaVerdictVerifier verifier, IM2MSimMobjReader reader, DpfOptions options,
    IServer server, TimeProvider time)
{
    public IStateStore State => state;
    public DpfProvisionings Jobs => jobs;
    public IPvaVerdictVerifier Verifier => verifier;
    public IM2MSimMobjReader Reader => reader;
    public TimeProvider Time => time;

    /// <summary>The DM server's URL on the device listener: Kestrel lists its listeners in order (main, device), the device one last.</summary>
    public string DmUrl()
    {
        var device = server.Features.Get<IServerAddressesFeature>()?.Addresses.LastOrDefault()
            ?? throw new InvalidOperationException("Kestrel reported no address");
        return new Uri(new Uri(device.Replace("[::]", "127.0.0.1", StringComparison.Ordinal)), options.DmPath).ToString();
    }
}
