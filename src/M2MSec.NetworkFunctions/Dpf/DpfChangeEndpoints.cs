using M2MSec.Dm.Tree;
using M2MSec.NetworkFunctions.Hosting;
using M2MSec.NetworkFunctions.Sho;
using M2MSec.Provisioning;
using M2MSec.Provisioning.Objects;
using M2MSec.Storage.Dpf;
using M2MSec.Storage.Hss;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace M2MSec.NetworkFunctions.Dpf;

/// <summary>
/// Issue 16 at the DPF (docs/decisions/021): the DRF opens a change of subscription's provisioning on the device's existing DM account —
/// the new SHO is introduced to the TRE over DM (Replace ./M2MSIMMobj/SHORoot, then ./M2MSIMMobj/DesignatedSHO, in one package), then
/// M2MMobj is read again and steps 12–21 run as for a first provisioning. SHOs hand signed MCIM life-cycle instructions, which the DPF
/// checks to be signed by the calling SHO for this device and delivers by DM Replace of ./M2MSIMMobj/Instruction; the TRE's result goes
/// back to that SHO.
/// </summary>
internal static class DpfChangeEndpoints
{
    public const string InstructionJobPrefix = "dm-instr-";
    private const int MaxInstructions = 4;

    public static void Map(IEndpointRouteBuilder app)
    {
        app.MapPost("/changes", ChangeAsync).RequireRole(["drf"]).WithName("createChange")
            .WithSummary("Change of subscription: designate the new SHO to the TRE (SHORoot, DesignatedSHO) and read ./M2MMobj again on the device's DM account")
            .Produces<ProvisioningState>(StatusCodes.Status202Accepted)
            .ProducesProblems(StatusCodes.Status400BadRequest, StatusCodes.Status404NotFound, StatusCodes.Status409Conflict, StatusCodes.Status502BadGateway);
        app.MapPost("/instructions/{pcid}", InstructionsAsync).RequireRole(["sho"]).WithName("deliverInstructions")
            .WithSummary("Signed MCIM life-cycle instructions of the calling SHO, delivered by DM Replace of ./M2MSIMMobj/Instruction; the TRE's results go back to it")
            .Produces<InstructionsQueued>(StatusCodes.Status202Accepted)
            .ProducesProblems(StatusCodes.Status400BadRequest, StatusCodes.Status404NotFound, StatusCodes.Status502BadGateway);
    }

    private static async Task<IResult> ChangeAsync(DpfChangeRequest request, HttpContext http, DpfContext dpf, PeerClients peers, ShoSigningRoots roots,
        CancellationToken ct)
    {
        if (!Imsi.IsValid(request.Pcid))
            return ApiProblem.BadRequest("bad-pcid", "pcid: expected 6 to 15 decimal digits (IMSI format)");
        if (!ShoEndpoints.IsName(request.ShoId, 64))
            return ApiProblem.BadRequest("bad-sho-id", "sho_id: required, 1 to 64 printable ASCII characters");
        var pcid = request.Pcid!;
        var p = await dpf.State.Dpf.FindAsync(pcid, ct).ConfigureAwait(false);
        if (p is null)
            return ApiProblem.NotFound("no-provisioning", $"pcid: {pcid} has no provisioning (and no DM account) at this DPF");
        // A device whose MCIM is installed, or whose last change failed (the old MCIM is still its active one).
        var holder = p.State == DpfProvisioning.Installed ? p.ShoId : p is { State: DpfProvisioning.Failed, PreviousShoId: { } previous } ? previous : null;
        if (holder is null)
            return ApiProblem.Conflict("not-installed", $"pcid: {pcid} is {p.State}, no installed MCIM to change from");
        if (holder == request.ShoId)
            return ApiProblem.Conflict("same-sho", $"sho_id: {request.ShoId} already holds {pcid}");
        // The new SHO's signing root, from the SHO itself (GET /signing-root, role dpf): what the TRE will pin for it.
        byte[] root;
        try
        {
            root = (await roots.GetAsync(request.ShoId!, ct).ConfigureAwait(false)).RawData;
        }
        catch (Exception e) when (e is HttpRequestException or PeerUnavailableException or TaskCanceledException or System.Security.Cryptography.CryptographicException)
        {
            return Results.Problem(detail: $"the SHO {request.ShoId} did not give its signing root: {ShoEndpoints.Clip(e.Message)}",
                statusCode: StatusCodes.Status502BadGateway, type: "urn:m2msec:error:sho-unavailable");
        }
        var now = dpf.Time.GetUtcNow();
        var readJob = DpfProvisionings.NewJobId();
        var change = new DpfProvisioning(pcid, request.ShoId!, DpfProvisioning.Reading, now, now, ReadJobId: readJob, PreviousShoId: holder);
        // One package, in this order: the root, then the designation (the contract of docs/decisions/021); then M2MMobj as at step 11.
        // The move, the job and its entry in one commit (decision 055).
        if (!await dpf.Jobs.QueueAsync(pcid, readJob,
            [
                ("replace", $"{DpfProvisionings.M2MSimMobj}/SHORoot", Convert.ToBase64String(root), "b64"),
                ("replace", $"{DpfProvisionings.M2MSimMobj}/DesignatedSHO", request.ShoId, "chr"),
                .. DpfProvisionings.M2MMobjLeaves.Select(l => ("get", $"{DpfProvisionings.M2MMobj}/{l}", (string?)null, (string?)null)),
            ], ("dpf.change.create", $"from {holder} to {request.ShoId}, job {readJob}"), () => dpf.State.Dpf.UpdateAsync(change, p.State, ct), ct,
            AdministratorFilter.Actor(http)).ConfigureAwait(false))
            return ApiProblem.Conflict("not-installed", $"pcid: {pcid} changed state meanwhile");
        return Results.Accepted($"/provisionings/{pcid}", new ProvisioningState(pcid, DpfProvisioning.Reading));
    }

    private static async Task<IResult> InstructionsAsync(string pcid, InstructionDelivery request, HttpContext http, DpfContext dpf, ShoSigningRoots roots,
        CancellationToken ct)
    {
        if (!Imsi.IsValid(pcid))
            return ApiProblem.BadRequest("bad-pcid", "pcid: expected 6 to 15 decimal digits (IMSI format)");
        if (!ShoEndpoints.IsName(request.ShoId, 64))
            return ApiProblem.BadRequest("bad-sho-id", "sho_id: required, 1 to 64 printable ASCII characters");
        if (request.Instructions is not { Count: >= 1 and <= MaxInstructions } list)
            return ApiProblem.BadRequest("bad-instructions", $"instructions: expected 1 to {MaxInstructions} base64 documents");
        var documents = new List<byte[]>();
        for (var i = 0; i < list.Count; i++)
        {
            var text = list[i];
            var buffer = new byte[McimInstruction.MaxDocumentLength];
            if (text is not { Length: > 0 } || text.Length > DmTree.MaxLeafSize || !Convert.TryFromBase64String(text, buffer, out var n))
                return ApiProblem.BadRequest("bad-instructions", $"instructions[{i}]: expected base64 of a signed instruction, at most {McimInstruction.MaxDocumentLength} octets");
            documents.Add(buffer[..n]);
        }
        // Under mutual TLS an SHO hands only what it signed itself.
        if (CallerName.Of(http) is { } caller && caller != request.ShoId)
            return ApiProblem.Forbidden("not-the-caller", "sho_id: not the calling SHO");
        var p = await dpf.State.Dpf.FindAsync(pcid, ct).ConfigureAwait(false);
        if (p is null || p.TreId is null)
            return ApiProblem.NotFound("no-provisioning", $"pcid: {pcid} has no provisioning (and no DM account) at this DPF");
        System.Security.Cryptography.X509Certificates.X509Certificate2 root;
        try
        {
            root = await roots.GetAsync(request.ShoId!, ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is HttpRequestException or PeerUnavailableException or TaskCanceledException or System.Security.Cryptography.CryptographicException)
        {
            return Results.Problem(detail: $"the SHO {request.ShoId} did not give its signing root: {ShoEndpoints.Clip(e.Message)}",
                statusCode: StatusCodes.Status502BadGateway, type: "urn:m2msec:error:sho-unavailable");
        }
        // The DPF carries instructions, it cannot make one (docs/decisions/021): it checks they are the caller's, for this device. Which
        // MCIM an SHO may touch is the TRE's decision (it recorded each MCIM's owner at install).
        var summary = new List<string>();
        for (var i = 0; i < documents.Count; i++)
        {
            McimInstructionContent content;
            try
            {
                content = McimInstruction.Verify(documents[i], root, dpf.Time.GetUtcNow(), out _);
            }
            catch (ProvisioningException e)
            {
                await dpf.Jobs.AuditAsync("dpf.instructions.refused", pcid, $"instructions[{i}]: {e.Code}", ct).ConfigureAwait(false);
                return ApiProblem.Forbidden(e.Code, $"instructions[{i}]: {ShoEndpoints.Clip(e.Message)}");
            }
            var wrong = content.ShoId != request.ShoId ? "names another SHO than sho_id"
                : content.Pcid != pcid ? "names another PCID than the path's"
                : content.TreId != p.TreId ? "names another TRE than this device's"
                : null;
            if (wrong is not null)
            {
                await dpf.Jobs.AuditAsync("dpf.instructions.refused", pcid, $"instructions[{i}]: {wrong}", ct).ConfigureAwait(false);
                return ApiProblem.Forbidden("wrong-device", $"instructions[{i}]: {wrong}");
            }
            summary.Add($"{McimInstruction.OperationName(content.Operation)} {content.Imsi} #{content.Sequence}");
        }
        var jobId = InstructionJobPrefix + DpfProvisionings.NewJobId()[3..];
        // Issue 16: the outcome's outbox row with the job, so no job can end without its report being owed (docs/decisions/021) — in the
        // job's own commit, with its entry (decision 055).
        var now = dpf.Time.GetUtcNow();
        await dpf.Jobs.QueueAsync(pcid, jobId,
        [
            .. list.SelectMany(b64 => new (string, string, string?, string?)[]
            {
                ("replace", $"{DpfProvisionings.M2MSimMobj}/Instruction", b64, "b64"),
                ("get", $"{DpfProvisionings.M2MSimMobj}/Status", null, null),
            }),
        ], ("dpf.instructions.queued", $"from {request.ShoId}: {string.Join(", ", summary)}; job {jobId}"), async () =>
        {
            await dpf.State.Dpf.AddInstructionReportAsync(new DpfInstructionReport(jobId, pcid, request.ShoId!, 0, now + DpfProvisionings.RetryAfter(0), now), ct)
                .ConfigureAwait(false);
            return true;
        }, ct).ConfigureAwait(false);
        return Results.Accepted($"/provisionings/{pcid}", new InstructionsQueued(pcid, jobId, documents.Count));
    }
}
