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

    /// <summary>The witness member, made with the group on first use (by the rounds' loop only).</summary>
    private async Task<GroupMember> GroupWitnessAsync(CancellationToken ct)
    {
        if (_witness is { } ready)
            return ready;
        using (var create = await VnoAdmin.PostAsJsonAsync("groups", new { group_id = FleetGroup }, NetworkFunctionHost.JsonOptions, ct))
        {
            // 409: made by an earlier call whose witness did not finish.
            if (create.StatusCode != System.Net.HttpStatusCode.Conflict)
                create.EnsureSuccessStatusCode();
        }
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
    private async Task<uint> ChangeGroupMemberAsync(string imsi, bool add, CancellationToken ct)
    {
        var g = Uri.EscapeDataString(FleetGroup);
        using var response = add
            ? await VnoAdmin.PostAsJsonAsync($"groups/{g}/members", new { identity = imsi }, NetworkFunctionHost.JsonOptions, ct)
            : await VnoAdmin.DeleteAsync($"groups/{g}/members/{imsi}", ct);
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync<System.Text.Json.JsonElement>(ct)).GetProperty("epoch").GetUInt32();
    }

    /// <summary>The operator sends <paramref name="payload"/> to the fleet group: its sequence and the protected message.</summary>
    private async Task<(uint Sequence, byte[] Message)> SendGroupMessageAsync(byte[] payload, CancellationToken ct)
    {
        using var response = await VnoAdmin.PostAsJsonAsync($"groups/{Uri.EscapeDataString(FleetGroup)}/messages", new { payload = Convert.ToHexStringLower(payload) },
            NetworkFunctionHost.JsonOptions, ct);
        response.EnsureSuccessStatusCode();
        var sent = await response.Content.ReadFromJsonAsync<System.Text.Json.JsonElement>(ct);
        return (sent.GetProperty("sequence").GetUInt32(), Convert.FromHexString(sent.GetProperty("message").GetString()!));
    }

    private readonly Lock _roundLock = new();
    private List<PendingGroupChange> _changes = [];
    private bool _roundRunning;
    private int _rounds;

    /// <summary>
    /// Asks for <paramref name="imsi"/> to join (<paramref name="add"/>) or leave the fleet group. Changes are applied in rounds by one loop:
    /// the changes waiting are made (each a rekey), then one message goes to the group, the witness reads it, and every device of the round
    /// gets its ticket — the round waits for each to <see cref="GroupTicket.Done"/> (it has polled) before the next change, because a
    /// member reads only under the epoch it holds. One message thus reaches every device that joined in the round.
    /// </summary>
    public async Task<GroupTicket> GroupChangeAsync(string imsi, bool add, CancellationToken ct)
    {
        var change = new PendingGroupChange(imsi, add, new TaskCompletionSource<GroupTicket>(TaskCreationOptions.RunContinuationsAsynchronously));
        bool start;
        lock (_roundLock)
        {
            _changes.Add(change);
            start = !_roundRunning;
            _roundRunning = true;
        }
        if (start)
            _ = Task.Run(RoundsAsync, CancellationToken.None);
        return await change.Ticket.Task.WaitAsync(ct);
    }

    private async Task RoundsAsync()
    {
        var ct = CancellationToken.None;
        while (true)
        {
            List<PendingGroupChange> round;
            lock (_roundLock)
            {
                if (_changes.Count == 0)
                {
                    _roundRunning = false;
                    return;
                }
                (round, _changes) = (_changes, []);
            }
            try
            {
                var witness = await GroupWitnessAsync(ct);
                var applied = new List<PendingGroupChange>();
                foreach (var c in round)
                {
                    try
                    {
                        await ChangeGroupMemberAsync(c.Imsi, c.Add, ct);
                        applied.Add(c);
                    }
                    catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
                    {
                        c.Ticket.TrySetException(e);
                    }
                }
                var n = Interlocked.Increment(ref _rounds);
                var payload = System.Text.Encoding.UTF8.GetBytes($"to the fleet: round {n}, {applied.Count(c => c.Add)} joined, {applied.Count(c => !c.Add)} left");
                var (sequence, message) = await SendGroupMessageAsync(payload, ct);
                var witnessRead = (await GroupClient.PollAsync(witness, VnoDevice, ct)).Accepted.Any(a => a.Sequence == sequence);
                var polled = new List<Task>();
                foreach (var c in applied)
                {
                    var ticket = new GroupTicket(sequence, message, payload, witnessRead, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
                    polled.Add(ticket.Done.Task);
                    c.Ticket.TrySetResult(ticket);
                }
                // A device that never reports back (cancelled) holds the group for at most 30 s.
                await Task.WhenAny(Task.WhenAll(polled), Task.Delay(TimeSpan.FromSeconds(30), ct));
            }
            catch (Exception e)
            {
                foreach (var c in round)
                    c.Ticket.TrySetException(e);
            }
        }
    }

    private sealed record PendingGroupChange(string Imsi, bool Add, TaskCompletionSource<GroupTicket> Ticket);
}

/// <summary>
/// A device's part of a group round: the message sent to the group after the round's changes (its sequence, bytes and payload), whether
/// the witness member read it, and <see cref="Done"/> — set by the device once it has polled (the next round waits for it).
/// </summary>
internal sealed record GroupTicket(uint Sequence, byte[] Message, byte[] Payload, bool WitnessRead, TaskCompletionSource Done);
