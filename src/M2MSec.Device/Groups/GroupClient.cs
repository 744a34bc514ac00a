using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace M2MSec.Device.Groups;

/// <summary>What one poll of the VNO brought: deliveries installed, messages accepted (payloads), messages refused (their statuses).</summary>
public sealed record GroupPoll(int KeysInstalled, IReadOnlyList<(string GroupId, uint Sequence, byte[] Payload)> Accepted, IReadOnlyList<string> Refused);

/// <summary>
/// The member's exchanges with the VNO's device listener (issue 17): fetch its key deliveries, acknowledge each epoch on its own channel,
/// fetch each group's messages after the last accepted sequence and check every one in <see cref="GroupMember"/>.
/// </summary>
public static class GroupClient
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    public static async Task<GroupPoll> PollAsync(GroupMember member, HttpClient vno, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(member);
        ArgumentNullException.ThrowIfNull(vno);
        using var response = await vno.GetAsync($"groups/keys/{Uri.EscapeDataString(member.Identity)}", ct).ConfigureAwait(false);
        if (response.StatusCode == HttpStatusCode.Forbidden)
            throw new GroupRefusedException("feature-not-subscribed", "the network refused the group key delivery (group-messaging not subscribed)");
        response.EnsureSuccessStatusCode();
        using var doc = await JsonDocument.ParseAsync(await response.Content.ReadAsStreamAsync(ct).ConfigureAwait(false), cancellationToken: ct).ConfigureAwait(false);
        var installed = 0;
        var groups = new List<string>();
        var refused = new List<string>();
        foreach (var d in doc.RootElement.GetProperty("deliveries").EnumerateArray())
        {
            var groupId = d.GetProperty("group_id").GetString()!;
            var epoch = d.GetProperty("epoch").GetUInt32();
            groups.Add(groupId);
            var status = member.AcceptDelivery(Convert.FromHexString(d.GetProperty("delivery").GetString()!));
            if (status == GroupKeyDeliveryStatus.Installed)
            {
                installed++;
                using var ack = await vno.PostAsJsonAsync($"groups/{Uri.EscapeDataString(groupId)}/acks",
                    new { identity = member.Identity, epoch, mac = Convert.ToHexStringLower(member.AckMac(groupId, epoch)) }, Json, ct).ConfigureAwait(false);
            }
            else if (status == GroupKeyDeliveryStatus.Refused)
            {
                refused.Add($"{groupId}: key delivery refused");
            }
        }
        var accepted = new List<(string, uint, byte[])>();
        foreach (var groupId in groups)
        {
            var after = member.StateOf(groupId)?.LastSequence ?? 0;
            using var page = await vno.GetAsync($"groups/{Uri.EscapeDataString(groupId)}/messages?after={after}", ct).ConfigureAwait(false);
            page.EnsureSuccessStatusCode();
            using var messages = await JsonDocument.ParseAsync(await page.Content.ReadAsStreamAsync(ct).ConfigureAwait(false), cancellationToken: ct).ConfigureAwait(false);
            foreach (var m in messages.RootElement.GetProperty("messages").EnumerateArray())
            {
                var result = member.Receive(Convert.FromHexString(m.GetProperty("message").GetString()!));
                if (result.IsAccepted)
                    accepted.Add((groupId, result.Sequence, result.Payload!));
                else
                    refused.Add($"{groupId} #{m.GetProperty("sequence").GetUInt32()}: {result.Status}");
            }
        }
        return new GroupPoll(installed, accepted, refused);
    }
}

/// <summary>The network refused the member something (a typed reason).</summary>
public sealed class GroupRefusedException(string reason, string message) : Exception(message)
{
    public string Reason { get; } = reason;
}
