using System.Security.Cryptography;
using M2MSec.Nas.Group;
using M2MSec.NetworkFunctions.Hosting;
using M2MSec.Storage;
using M2MSec.Storage.Audit;
using M2MSec.Storage.Groups;
using M2MSec.Storage.Hss;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace M2MSec.NetworkFunctions.Vno.Groups;

/// <summary>
/// The operator's MTC group API at the serving network (issue 17, TR 33.868 §5.2, docs/decisions/028): groups by External Group
/// Identifier, membership (every change rekeys: a new epoch and key), group messages (encrypted under the group key, signed by the
/// network), and the MTC features of each subscription (clause 4). Administrators only; every change is audited.
/// </summary>
internal static class GroupEndpoints
{
    public static void Map(IEndpointRouteBuilder app)
    {
        app.MapPost("/groups", CreateAsync).RequireAdministrator().WithName("createGroup")
            .WithSummary("Create an MTC group (External Group Identifier local@domain) at key epoch 1").Produces<GroupDto>(StatusCodes.Status201Created)
            .ProducesProblems(StatusCodes.Status400BadRequest, StatusCodes.Status409Conflict);
        app.MapGet("/groups", ListAsync).RequireAdministrator().WithName("listGroups").WithSummary("Every MTC group").Produces<GroupListDto>();
        app.MapGet("/groups/{groupId}", GetAsync).RequireAdministrator().WithName("getGroup").WithSummary("A group with its members")
            .Produces<GroupDto>().ProducesProblems(StatusCodes.Status400BadRequest, StatusCodes.Status404NotFound);
        app.MapPost("/groups/{groupId}/members", AddMemberAsync).RequireAdministrator().WithName("addGroupMember")
            .WithSummary("Add a device (its subscription must hold group-messaging); rekeys the group").Produces<MembershipChangeDto>()
            .ProducesProblems(StatusCodes.Status400BadRequest, StatusCodes.Status403Forbidden, StatusCodes.Status404NotFound, StatusCodes.Status409Conflict);
        app.MapDelete("/groups/{groupId}/members/{identity}", RemoveMemberAsync).RequireAdministrator().WithName("removeGroupMember")
            .WithSummary("Remove a device; rekeys the group so it cannot read later messages").Produces<MembershipChangeDto>()
            .ProducesProblems(StatusCodes.Status400BadRequest, StatusCodes.Status404NotFound);
        app.MapPost("/groups/{groupId}/messages", SendAsync).RequireAdministrator().WithName("sendGroupMessage")
            .WithSummary("Send a group message: AES-256-GCM under the group key, signed by the network").Produces<GroupMessageSentDto>()
            .ProducesProblems(StatusCodes.Status400BadRequest, StatusCodes.Status404NotFound);
        app.MapPut("/subscribers/{identity}/mtc-features", SetFeaturesAsync).RequireAdministrator().WithName("setMtcFeatures")
            .WithSummary("Set the MTC features of a subscription (group-messaging, triggering)").Produces<MtcFeaturesDto>()
            .ProducesProblems(StatusCodes.Status400BadRequest);
        app.MapGet("/subscribers/{identity}/mtc-features", GetFeaturesAsync).RequireAdministrator().WithName("getMtcFeatures")
            .WithSummary("The MTC features of a subscription").Produces<MtcFeaturesDto>().ProducesProblems(StatusCodes.Status400BadRequest);
    }

    private static async Task<IResult> CreateAsync(CreateGroupRequest request, HttpContext http, IStateStore store, CancellationToken ct)
    {
        if (!ExternalGroupId.TryNormalise(request.GroupId, out var id, out var reason))
            return ApiProblem.BadRequest("bad-group-id", $"group_id: {reason}");
        var key = GroupKeys.NewGroupKey();
        var created = await store.MtcGroups.CreateGroupAsync(id, key, ct).ConfigureAwait(false);
        CryptographicOperations.ZeroMemory(key);
        if (!created)
            return ApiProblem.Conflict("group-exists", $"group_id: {id} exists already");
        await store.Audit.AppendAsync(AdministratorFilter.Actor(http), "vno.group.create", id, "epoch 1", ct).ConfigureAwait(false);
        var group = await store.MtcGroups.FindGroupAsync(id, ct).ConfigureAwait(false);
        return Results.Created($"/groups/{Uri.EscapeDataString(id)}", ToDto(group!, null));
    }

    private static async Task<IResult> ListAsync(IStateStore store, CancellationToken ct) =>
        Results.Ok(new GroupListDto([.. (await store.MtcGroups.ListGroupsAsync(ct).ConfigureAwait(false)).Select(g => ToDto(g, null))]));

    private static async Task<IResult> GetAsync(string groupId, IStateStore store, CancellationToken ct)
    {
        if (!ExternalGroupId.TryNormalise(groupId, out var id, out var reason))
            return ApiProblem.BadRequest("bad-group-id", $"group_id: {reason}");
        if (await store.MtcGroups.FindGroupAsync(id, ct).ConfigureAwait(false) is not { } group)
            return ApiProblem.NotFound("unknown-group", $"group_id: no group {id}");
        var members = await store.MtcGroups.ListMembersAsync(id, ct).ConfigureAwait(false);
        return Results.Ok(ToDto(group, [.. members.Select(m => new GroupMemberDto(m.Identity, m.AckedEpoch))]));
    }

    private static async Task<IResult> AddMemberAsync(string groupId, AddMemberRequest request, HttpContext http, IStateStore store, IMtcFeatureCheck features,
        CancellationToken ct)
    {
        if (!ExternalGroupId.TryNormalise(groupId, out var id, out var reason))
            return ApiProblem.BadRequest("bad-group-id", $"group_id: {reason}");
        if (!Imsi.IsValid(request.Identity))
            return ApiProblem.BadRequest("bad-identity", "identity: expected an IMSI or PCID, 6 to 15 decimal digits");
        var identity = request.Identity!;
        if (await store.MtcGroups.FindGroupAsync(id, ct).ConfigureAwait(false) is null)
            return ApiProblem.NotFound("unknown-group", $"group_id: no group {id}");
        // Clause 4: the network refuses an MTC feature the subscription does not hold.
        if (!await features.IsSubscribedAsync(identity, MtcFeatures.GroupMessaging, ct).ConfigureAwait(false))
        {
            await store.Audit.AppendAsync(AdministratorFilter.Actor(http), "vno.group.refused", identity, $"{id}: group-messaging not subscribed", ct).ConfigureAwait(false);
            return ApiProblem.Forbidden("feature-not-subscribed", $"identity: the subscription of {identity} does not hold the group-messaging feature");
        }
        var epoch = await ChangeMemberAuditedAsync(store, http, id, identity, add: true, ct).ConfigureAwait(false);
        if (epoch is not { } e)
            return ApiProblem.Conflict("already-member", $"identity: {identity} is a member of {id} already");
        return Results.Ok(new MembershipChangeDto(id, identity, "added", e));
    }

    private static async Task<IResult> RemoveMemberAsync(string groupId, string identity, HttpContext http, IStateStore store, CancellationToken ct)
    {
        if (!ExternalGroupId.TryNormalise(groupId, out var id, out var reason))
            return ApiProblem.BadRequest("bad-group-id", $"group_id: {reason}");
        if (!Imsi.IsValid(identity))
            return ApiProblem.BadRequest("bad-identity", "identity: expected an IMSI or PCID, 6 to 15 decimal digits");
        var epoch = await ChangeMemberAuditedAsync(store, http, id, identity, add: false, ct).ConfigureAwait(false);
        if (epoch is not { } e)
            return ApiProblem.NotFound("not-member", $"identity: {identity} is not a member of {id} (or no such group)");
        return Results.Ok(new MembershipChangeDto(id, identity, "removed", e));
    }

    /// <summary>
    /// A membership change, which rekeys the group (docs/decisions/028), and its entry in one commit (docs/decisions/053); the new epoch,
    /// or null when nothing changed (already a member, not one, no such group).
    /// </summary>
    private static async Task<uint?> ChangeMemberAuditedAsync(IStateStore store, HttpContext http, string id, string identity, bool add, CancellationToken ct)
    {
        var key = GroupKeys.NewGroupKey();
        try
        {
            return await store.InOneCommitAsync(async () =>
            {
                var changed = await store.MtcGroups.ChangeMemberAsync(id, identity, add, key, ct).ConfigureAwait(false);
                if (changed is { } rekeyed)
                    await store.Audit.AppendAsync(AdministratorFilter.Actor(http), add ? "vno.group.member.add" : "vno.group.member.remove", identity,
                        $"{id}: rekeyed to epoch {rekeyed}", ct).ConfigureAwait(false);
                return changed;
            }, ct).ConfigureAwait(false);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(key);
        }
    }

    private static async Task<IResult> SendAsync(string groupId, SendGroupMessageRequest request, HttpContext http, IStateStore store, GroupSigner signer, CancellationToken ct)
    {
        if (!ExternalGroupId.TryNormalise(groupId, out var id, out var reason))
            return ApiProblem.BadRequest("bad-group-id", $"group_id: {reason}");
        if (request.Payload is null || request.Payload.Length % 2 != 0 || request.Payload.Length > 2 * GroupMessage.MaxPayload || !request.Payload.All(Uri.IsHexDigit))
            return ApiProblem.BadRequest("bad-payload", $"payload: expected 0 to {GroupMessage.MaxPayload} octets in hex");
        var payload = Convert.FromHexString(request.Payload);
        var group = await store.MtcGroups.FindGroupAsync(id, ct).ConfigureAwait(false);
        if (group is null)
            return ApiProblem.NotFound("unknown-group", $"group_id: no group {id}");
        var networkKey = await signer.KeyAsync(ct).ConfigureAwait(false);
        // The sequence number taken, the message kept and its entry: one commit (docs/decisions/053). Nothing leaves before it: a crash
        // before the commit leaves none of the three, and the number taken again protects a message only once it is the one kept.
        (MtcGroupKey Key, uint Sequence) next = default;
        var message = await store.InOneCommitAsync(async () =>
        {
            if (await store.MtcGroups.NextSequenceAsync(id, ct).ConfigureAwait(false) is not { } taken)
                return null;
            next = taken;
            var protectedMessage = GroupMessageProtection.Protect(next.Key.Key, networkKey, id, next.Key.Epoch, next.Sequence, payload);
            CryptographicOperations.ZeroMemory(next.Key.Key);
            await store.MtcGroups.AppendMessageAsync(id, next.Sequence, protectedMessage, ct).ConfigureAwait(false);
            await store.Audit.AppendAsync(AdministratorFilter.Actor(http), "vno.group.send", id, $"epoch {next.Key.Epoch} sequence {next.Sequence}, {payload.Length} octets", ct)
                .ConfigureAwait(false);
            return protectedMessage;
        }, ct).ConfigureAwait(false);
        if (message is null || next.Key is null)
            return ApiProblem.NotFound("unknown-group", $"group_id: no group {id}");
        return Results.Ok(new GroupMessageSentDto(id, next.Key.Epoch, next.Sequence, group.Members, Convert.ToHexStringLower(message)));
    }

    private static async Task<IResult> SetFeaturesAsync(string identity, MtcFeaturesRequest request, HttpContext http, IStateStore store, CancellationToken ct)
    {
        if (!Imsi.IsValid(identity))
            return ApiProblem.BadRequest("bad-identity", "identity: expected an IMSI or PCID, 6 to 15 decimal digits");
        if (request.Features is null || request.Features.Any(f => f is null || !MtcFeatures.All.Contains(f)))
            return ApiProblem.BadRequest("bad-features", $"features: expected a list of {string.Join(", ", MtcFeatures.All)}");
        // The set as the store keeps it (distinct, ordered), its entry in the same transaction (decision 036).
        var set = request.Features.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        await store.MtcGroups.SetFeaturesAsync(identity, set,
            new AuditRecord(AdministratorFilter.Actor(http), "vno.features.set", identity, set.Count == 0 ? "(none)" : string.Join(",", set)), ct).ConfigureAwait(false);
        var now = await store.MtcGroups.GetFeaturesAsync(identity, ct).ConfigureAwait(false);
        return Results.Ok(new MtcFeaturesDto(identity, now));
    }

    private static async Task<IResult> GetFeaturesAsync(string identity, IStateStore store, CancellationToken ct) =>
        !Imsi.IsValid(identity)
            ? ApiProblem.BadRequest("bad-identity", "identity: expected an IMSI or PCID, 6 to 15 decimal digits")
            : Results.Ok(new MtcFeaturesDto(identity, await store.MtcGroups.GetFeaturesAsync(identity, ct).ConfigureAwait(false)));

    internal static GroupDto ToDto(M2MSec.Storage.Groups.MtcGroup g, IReadOnlyList<GroupMemberDto>? members) =>
        new(g.Id, g.Epoch, g.Sequence, g.Members, members, g.CreatedAt);
}
