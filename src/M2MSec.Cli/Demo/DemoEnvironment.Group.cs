using System.Collections.Concurrent;
using System.Net.Http.Json;
using System.Security.Cryptography;
using M2MSec.Aka;
using M2MSec.Device.Groups;
using M2MSec.Device.Triggering;
using M2MSec.NetworkFunctions.Hosting;

namespace M2MSec.Cli.Demo;

/// <summary>
/// Issue 17, MTC groups in the demo (docs/decisions/028): the operator's client to the VNO's group API, the fleet's group, and a
/// witness member — a device of the demo's own (a USIM subscription of the HSS, attached through the VNO) that stays in the group
/// and shows that the remaining members read a message a removed member cannot.
/// </summary>
internal sealed partial class DemoEnvironment
{
    /// <summary>The fleet's group: an External Group Identifier under the VNO's domain (PLMN 001/02), new per run.</summary>
    public string FleetGroup { get; } = $"demo-fleet-{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4))}@mnc002.mcc001.3gppnetwork.org";

    /// <summary>
    /// Changes of the fleet group are serialised: a change rekeys, and a member reads a message only under the epoch it holds, so each
    /// device's join, the message sent to the group and the device's read go together.
    /// </summary>
    public SemaphoreSlim GroupGate { get; } = new(1, 1);

    /// <summary>The group members of the devices that joined (by index), until their membership change.</summary>
    public ConcurrentDictionary<int, GroupMember> GroupMembers { get; } = new();

    private GroupMember? _witness;

    /// <summary>The operator, on the VNO's admin API (mutual TLS).</summary>
    public HttpClient VnoAdmin => AdminOf("vno");

    private HttpClient? _vnoDevice;

    /// <summary>The devices' client to the VNO's device listener (shared: one connection pool, no client certificate).</summary>
    public HttpClient VnoDevice => LazyInitializer.EnsureInitialized(ref _vnoDevice,
        () => M2MSec.Device.Provisioning.RoProvisioningClient.Client(ProvisioningEndpoints.VnoDevice, OperatorRoot));

    /// <summary>The subscription's MTC features at the serving network (clause 4): triggering and group messaging.</summary>
    public async Task AllowMtcFeaturesAsync(string imsi, CancellationToken ct)
    {
        using var set = await VnoAdmin.PutAsJsonAsync($"subscribers/{imsi}/mtc-features", new { features = new[] { "triggering", "group-messaging" } },
            NetworkFunctionHost.JsonOptions, ct);
        set.EnsureSuccessStatusCode();
    }

    /// <summary>The witness member, made with the group on first use; call it holding <see cref="GroupGate"/>.</summary>
    public async Task<GroupMember> GroupWitnessAsync(CancellationToken ct)
    {
        if (_witness is { } ready)
            return ready;
        using (var create = await VnoAdmin.PostAsJsonAsync("groups", new { group_id = FleetGroup }, NetworkFunctionHost.JsonOptions, ct))
            create.EnsureSuccessStatusCode();
        var imsi = $"00101{RandomNumberGenerator.GetInt32(0, 99_999):D5}99999";
        var (k, opc) = (RandomNumberGenerator.GetBytes(16), RandomNumberGenerator.GetBytes(16));
        await Hss.AddSubscriberAsync(imsi, k, opc, new byte[] { 0x80, 0x00 }, ct);
        var usim = new UsimAka(Milenage.Default, k, opc, new UsimSqnState(SqnScheme.Default));
        var witness = new GroupMember(imsi, new FileGroupVault());
        await ServingNetworkClient.AttachAsync(VnoDevice, imsi, (rand, autn) => usim.Authenticate(rand, autn, requireSeparationBit: true), new MeNasContextHolder(null), ct, witness);
        await AllowMtcFeaturesAsync(imsi, ct);
        await ChangeGroupMemberAsync(imsi, add: true, ct);
        return _witness = witness;
    }

    /// <summary>Adds or removes a member (the VNO rekeys); the new epoch.</summary>
    public async Task<uint> ChangeGroupMemberAsync(string imsi, bool add, CancellationToken ct)
    {
        var g = Uri.EscapeDataString(FleetGroup);
        using var response = add
            ? await VnoAdmin.PostAsJsonAsync($"groups/{g}/members", new { identity = imsi }, NetworkFunctionHost.JsonOptions, ct)
            : await VnoAdmin.DeleteAsync($"groups/{g}/members/{imsi}", ct);
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync<System.Text.Json.JsonElement>(ct)).GetProperty("epoch").GetUInt32();
    }

    /// <summary>The operator sends <paramref name="payload"/> to the fleet group: its sequence and the protected message.</summary>
    public async Task<(uint Sequence, byte[] Message)> SendGroupMessageAsync(byte[] payload, CancellationToken ct)
    {
        using var response = await VnoAdmin.PostAsJsonAsync($"groups/{Uri.EscapeDataString(FleetGroup)}/messages", new { payload = Convert.ToHexStringLower(payload) },
            NetworkFunctionHost.JsonOptions, ct);
        response.EnsureSuccessStatusCode();
        var sent = await response.Content.ReadFromJsonAsync<System.Text.Json.JsonElement>(ct);
        return (sent.GetProperty("sequence").GetUInt32(), Convert.FromHexString(sent.GetProperty("message").GetString()!));
    }
}
