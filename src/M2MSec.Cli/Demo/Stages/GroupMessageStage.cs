using M2MSec.Device.Groups;
using M2MSec.Device.M2me;
using M2MSec.Device.Triggering;

namespace M2MSec.Cli.Demo.Stages;

/// <summary>
/// Issue 17, MTC groups (TR 33.868 §5.2, docs/decisions/028), through the VNO's group API and device listener: every device joins the fleet
/// group (its subscription given the group-messaging feature; the VNO rekeys), the operator sends a group message to the group (AES-256-GCM
/// under the group key, signed by the network), and the device fetches its key delivery — wrapped under its own K_GRP, which its attach
/// derived from K_ASME (a TRE device's provisioning attach; a UICC device attaches through the VNO here) — and reads the message after
/// checking the network's signature. Changes go in rounds (<see cref="DemoEnvironment.GroupChangeAsync"/>): the devices that join together read
/// the one message sent to the group after their round's changes.
/// </summary>
internal sealed class GroupMessageStage : IDemoStage
{
    public const string ReadEvent = "group-message-read";

    public string Name => "Group message (VNO)";

    public async Task<bool> RunAsync(DemoDevice device, DemoEnvironment environment, DemoReport report, CancellationToken cancellationToken)
    {
        string imsi;
        GroupMember member;
        if (device.Kind == M2meKind.Tre)
        {
            if (device.ProvisionedImsi is not { } provisioned || device.M2me is not { } m2me)
                return Fail(device, "no MCIM attached");
            imsi = provisioned;
            // K_GRP is in the TRE since the attach with the MCIM (RoProvisioningClient.AttachAsync).
            member = new GroupMember(imsi, new TreGroupVault(m2me.Tre));
        }
        else
        {
            imsi = device.Imsi;
            member = new GroupMember(imsi, new FileGroupVault());
            await ServingNetworkClient.AttachAsync(environment.VnoDevice, imsi, device.Authenticate, new MeNasContextHolder(null), cancellationToken, member);
        }
        await environment.AllowMtcFeaturesAsync(imsi, cancellationToken);
        var ticket = await environment.GroupChangeAsync(imsi, add: true, cancellationToken);
        try
        {
            var poll = await GroupClient.PollAsync(member, environment.VnoDevice, cancellationToken);
            if (!poll.Accepted.Any(a => a.Sequence == ticket.Sequence && a.Payload.AsSpan().SequenceEqual(ticket.Payload)))
                return Fail(device, $"group: the member did not read message #{ticket.Sequence} ({string.Join(", ", poll.Refused)})");
        }
        finally
        {
            ticket.Done.TrySetResult();
        }
        if (GroupRekeyStage.Removes(device))
            environment.GroupMembers[device.Index] = member;
        report.Findings.GroupMessageRead(environment.FleetGroup);
        report.Event(ReadEvent);
        return true;
    }

    private static bool Fail(DemoDevice device, string reason)
    {
        device.FailureReason = reason;
        return false;
    }
}
