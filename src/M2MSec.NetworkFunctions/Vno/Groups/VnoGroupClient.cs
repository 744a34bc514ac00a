using M2MSec.NetworkFunctions.Hosting;

namespace M2MSec.NetworkFunctions.Vno.Groups;

/// <summary>The operator's client of the VNO's MTC group API (issue 17; `m2msec group …`); refusals as <see cref="PeerRequestException"/>.</summary>
public sealed class VnoGroupClient(HttpClient http)
{
    public Task<GroupDto> CreateAsync(string groupId, CancellationToken ct) =>
        JsonApiClient.PostAsync<CreateGroupRequest, GroupDto>(http, "groups", new CreateGroupRequest(groupId), ct);

    public Task<GroupListDto> ListAsync(CancellationToken ct) => JsonApiClient.GetAsync<GroupListDto>(http, "groups", ct);

    public Task<GroupDto> GetAsync(string groupId, CancellationToken ct) => JsonApiClient.GetAsync<GroupDto>(http, $"groups/{Uri.EscapeDataString(groupId)}", ct);

    public Task<MembershipChangeDto> AddAsync(string groupId, string identity, CancellationToken ct) =>
        JsonApiClient.PostAsync<AddMemberRequest, MembershipChangeDto>(http, $"groups/{Uri.EscapeDataString(groupId)}/members", new AddMemberRequest(identity), ct);

    public async Task<MembershipChangeDto> RemoveAsync(string groupId, string identity, CancellationToken ct)
    {
        using var response = await http.DeleteAsync($"groups/{Uri.EscapeDataString(groupId)}/members/{Uri.EscapeDataString(identity)}", ct).ConfigureAwait(false);
        var body = await response.Content.ReadAsStringAsync(ct).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
            throw new PeerRequestException(response.StatusCode, body.Length > 2048 ? body[..2048] : body);
        return System.Text.Json.JsonSerializer.Deserialize<MembershipChangeDto>(body, NetworkFunctionHost.JsonOptions)
            ?? throw new PeerRequestException(response.StatusCode, "empty answer");
    }

    public Task<GroupMessageSentDto> SendAsync(string groupId, byte[] payload, CancellationToken ct) =>
        JsonApiClient.PostAsync<SendGroupMessageRequest, GroupMessageSentDto>(http, $"groups/{Uri.EscapeDataString(groupId)}/messages",
            new SendGroupMessageRequest(Convert.ToHexStringLower(payload)), ct);

    public Task<MtcFeaturesDto> SetFeaturesAsync(string identity, IReadOnlyList<string> features, CancellationToken ct) =>
        JsonApiClient.PutAsync<MtcFeaturesRequest, MtcFeaturesDto>(http, $"subscribers/{Uri.EscapeDataString(identity)}/mtc-features", new MtcFeaturesRequest(features), ct);

    public Task<MtcFeaturesDto> GetFeaturesAsync(string identity, CancellationToken ct) =>
        JsonApiClient.GetAsync<MtcFeaturesDto>(http, $"subscribers/{Uri.EscapeDataString(identity)}/mtc-features", ct);
}
