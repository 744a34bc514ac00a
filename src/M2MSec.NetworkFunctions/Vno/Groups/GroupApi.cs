namespace M2MSec.NetworkFunctions.Vno.Groups;

// The VNO's MTC group API (issue 17, docs/decisions/028). A public contract: snake_case, octet strings hex.

/// <summary>Admin POST /groups: an External Group Identifier <c>local@domain</c>.</summary>
public sealed record CreateGroupRequest(string? GroupId);

/// <summary>A group: its key epoch, last sequence, members (in <c>GET /groups/{group_id}</c> only).</summary>
public sealed record GroupDto(string GroupId, uint Epoch, uint Sequence, int MemberCount, IReadOnlyList<GroupMemberDto>? Members, DateTimeOffset CreatedAt);

/// <summary>A member and the last key epoch it acknowledged on its own channel (null: not yet).</summary>
public sealed record GroupMemberDto(string Identity, uint? AckedEpoch);

/// <summary>Admin GET /groups.</summary>
public sealed record GroupListDto(IReadOnlyList<GroupDto> Groups);

/// <summary>Admin POST /groups/{group_id}/members: the device's identity as it attaches (IMSI or PCID).</summary>
public sealed record AddMemberRequest(string? Identity);

/// <summary>A membership change and the epoch of the group key it caused (every change rekeys).</summary>
public sealed record MembershipChangeDto(string GroupId, string Identity, string Change, uint Epoch);

/// <summary>Admin POST /groups/{group_id}/messages: the application payload (hex, at most 1024 octets).</summary>
public sealed record SendGroupMessageRequest(string? Payload);

/// <summary>The message as protected (hex), its epoch and sequence, and how many members may read it.</summary>
public sealed record GroupMessageSentDto(string GroupId, uint Epoch, uint Sequence, int Members, string Message);

/// <summary>Admin PUT /subscribers/{identity}/mtc-features: the MTC features of the subscription (clause 4).</summary>
public sealed record MtcFeaturesRequest(IReadOnlyList<string>? Features);

public sealed record MtcFeaturesDto(string Identity, IReadOnlyList<string> Features);

/// <summary>Device GET /groups/keys/{identity}: the current key of each of its groups, each wrapped under its own K_GRP.</summary>
public sealed record KeyDeliveriesDto(string Identity, IReadOnlyList<KeyDeliveryDto> Deliveries);

public sealed record KeyDeliveryDto(string GroupId, uint Epoch, string Delivery);

/// <summary>Device GET /groups/{group_id}/messages?after=N: protected messages, oldest first.</summary>
public sealed record GroupMessagesDto(string GroupId, IReadOnlyList<GroupMessageDto> Messages);

public sealed record GroupMessageDto(uint Sequence, string Message);

/// <summary>Device POST /groups/{group_id}/acks: the member acknowledges an epoch, HMAC under its own K_GRP (its individual channel).</summary>
public sealed record GroupAckRequest(string? Identity, uint? Epoch, string? Mac);
