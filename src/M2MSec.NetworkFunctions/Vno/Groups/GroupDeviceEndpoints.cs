using System.Security.Cryptography;
using M2MSec.Nas.Group;
using M2MSec.NetworkFunctions.Hosting;
using M2MSec.Storage;
using M2MSec.Storage.Hss;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace M2MSec.NetworkFunctions.Vno.Groups;

/// <summary>
/// The members' side of MTC groups on the VNO's device listener (issue 17, docs/decisions/028). Nothing here needs a client
/// certificate, because nothing here is readable or forgeable without a key: a key delivery opens only under the member's own
/// K_GRP (from its K_ASME, FC 0xF1), group messages only under the group key and carry the network's signature, and an
/// acknowledgement counts only with an HMAC under the member's own K_GRP — its individual channel, which the group key does not open.
/// </summary>
internal static class GroupDeviceEndpoints
{
    public const int MaxMessagesPerFetch = 100;

    public static void Map(IEndpointRouteBuilder devices)
    {
        devices.MapGet("/groups/keys/{identity}", DeliveriesAsync).WithName("groupKeyDeliveries")
            .WithSummary("The current key of each of the device's groups, wrapped under its own K_GRP").Produces<KeyDeliveriesDto>()
            .ProducesProblems(StatusCodes.Status400BadRequest, StatusCodes.Status403Forbidden, StatusCodes.Status404NotFound);
        devices.MapGet("/groups/{groupId}/messages", MessagesAsync).WithName("groupMessages")
            .WithSummary("Protected group messages after a sequence number").Produces<GroupMessagesDto>()
            .ProducesProblems(StatusCodes.Status400BadRequest, StatusCodes.Status404NotFound);
        devices.MapPost("/groups/{groupId}/acks", AckAsync).WithName("groupKeyAck")
            .WithSummary("A member acknowledges a key epoch (HMAC under its own K_GRP)").Produces(StatusCodes.Status204NoContent)
            .ProducesProblems(StatusCodes.Status400BadRequest, StatusCodes.Status403Forbidden, StatusCodes.Status404NotFound);
    }

    private static async Task<IResult> DeliveriesAsync(string identity, IStateStore store, IMtcFeatureCheck features, GroupSigner signer, CancellationToken ct)
    {
        if (!Imsi.IsValid(identity))
            return ApiProblem.BadRequest("bad-identity", "identity: expected an IMSI or PCID, 6 to 15 decimal digits");
        // Clause 4: no group key for a subscription without the feature (it may have been withdrawn after the device joined).
        if (!await features.IsSubscribedAsync(identity, MtcFeatures.GroupMessaging, ct).ConfigureAwait(false))
            return ApiProblem.Forbidden("feature-not-subscribed", $"identity: the subscription of {identity} does not hold the group-messaging feature");
        if (await store.MtcGroups.GetMemberKeyAsync(identity, ct).ConfigureAwait(false) is not { } memberKey)
            return ApiProblem.NotFound("not-attached", $"identity: {identity} has no security context here (attach first)");
        var network = await signer.PublicKeyAsync(ct).ConfigureAwait(false);
        var deliveries = new List<KeyDeliveryDto>();
        foreach (var groupId in await store.MtcGroups.GroupsOfAsync(identity, ct).ConfigureAwait(false))
        {
            if (await store.MtcGroups.GetGroupKeyAsync(groupId, ct).ConfigureAwait(false) is not { } key)
                continue;
            var wrapped = GroupKeyDelivery.Wrap(memberKey, new GroupKeyGrant(groupId, identity, key.Epoch, key.SequenceFloor, key.Key, network));
            CryptographicOperations.ZeroMemory(key.Key);
            deliveries.Add(new KeyDeliveryDto(groupId, key.Epoch, Convert.ToHexStringLower(wrapped)));
        }
        CryptographicOperations.ZeroMemory(memberKey);
        return Results.Ok(new KeyDeliveriesDto(identity, deliveries));
    }

    private static async Task<IResult> MessagesAsync(string groupId, string? after, string? limit, IStateStore store, CancellationToken ct)
    {
        if (!ExternalGroupId.TryNormalise(groupId, out var id, out var reason))
            return ApiProblem.BadRequest("bad-group-id", $"group_id: {reason}");
        uint from = 0;
        if (after is not null && !uint.TryParse(after, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out from))
            return ApiProblem.BadRequest("bad-after", "after: expected a sequence number, 0 to 4294967295");
        var take = MaxMessagesPerFetch;
        if (limit is not null && (!int.TryParse(limit, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out take) || take is < 1 or > MaxMessagesPerFetch))
            return ApiProblem.BadRequest("bad-limit", $"limit: expected 1 to {MaxMessagesPerFetch}");
        if (await store.MtcGroups.FindGroupAsync(id, ct).ConfigureAwait(false) is null)
            return ApiProblem.NotFound("unknown-group", $"group_id: no group {id}");
        var messages = await store.MtcGroups.ListMessagesAsync(id, from, take, ct).ConfigureAwait(false);
        return Results.Ok(new GroupMessagesDto(id, [.. messages.Select(m => new GroupMessageDto(m.Sequence, Convert.ToHexStringLower(m.Message)))]));
    }

    private static async Task<IResult> AckAsync(string groupId, GroupAckRequest request, IStateStore store, CancellationToken ct)
    {
        if (!ExternalGroupId.TryNormalise(groupId, out var id, out var reason))
            return ApiProblem.BadRequest("bad-group-id", $"group_id: {reason}");
        if (!Imsi.IsValid(request.Identity))
            return ApiProblem.BadRequest("bad-identity", "identity: expected an IMSI or PCID, 6 to 15 decimal digits");
        if (request.Epoch is not { } epoch)
            return ApiProblem.BadRequest("bad-epoch", "epoch: expected a key epoch number");
        if (!HexField.TryParse(request.Mac, 32, "mac", out var mac, out var error))
            return ApiProblem.BadRequest("bad-mac", error);
        var identity = request.Identity!;
        if (await store.MtcGroups.GetMemberKeyAsync(identity, ct).ConfigureAwait(false) is not { } memberKey)
            return ApiProblem.NotFound("not-attached", $"identity: {identity} has no security context here");
        var expected = GroupKeyDelivery.AckMac(memberKey, id, identity, epoch);
        CryptographicOperations.ZeroMemory(memberKey);
        if (!CryptographicOperations.FixedTimeEquals(expected, mac))
        {
            await store.Audit.AppendAsync("vno", "vno.group.ack.refused", identity, $"{id}: MAC is not under the member's own key", ct).ConfigureAwait(false);
            return ApiProblem.Forbidden("mac-mismatch", "mac: not under this member's own key");
        }
        var group = await store.MtcGroups.FindGroupAsync(id, ct).ConfigureAwait(false);
        if (group is null || epoch != group.Epoch || !await store.MtcGroups.RecordAckAsync(id, identity, epoch, ct).ConfigureAwait(false))
            return ApiProblem.NotFound("not-member", $"identity: {identity} is not a member of {id} at epoch {epoch}");
        return Results.NoContent();
    }
}
