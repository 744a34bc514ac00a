using M2MSec.Device.Groups;

namespace M2MSec.Cli.Demo.Stages;

/// <summary>
/// Issue 17, a membership change with rekeying (TR 33.868 §5.2, docs/decisions/028): the operator removes every third device from the
/// fleet group (the VNO moves to a new epoch with a fresh group key) and sends the next message; the removed member gets no key for it and
/// cannot read it (its key is of an older epoch), while the remaining witness member fetches the new key and reads it.
/// </summary>
internal sealed class GroupRekeyStage : IDemoStage
{
    public const string RefusedEvent = "group-removed-member-refused";

    /// <summary>The devices the stage removes from the group (both kinds).</summary>
    public static bool Removes(DemoDevice device) => device.Index % 3 == 0;

    public bool AppliesTo(DemoDevice device) => Removes(device);

    public string Name => "Group rekey (removal)";

    public async Task<bool> RunAsync(DemoDevice device, DemoEnvironment environment, DemoReport report, CancellationToken cancellationToken)
    {
        if (!environment.GroupMembers.TryRemove(device.Index, out var member))
            return Fail(device, "not a member of the fleet group");
        bool removedRead;
        var ticket = await environment.GroupChangeAsync(member.Identity, add: false, cancellationToken);
        try
        {
            var removed = await GroupClient.PollAsync(member, environment.VnoDevice, cancellationToken);
            removedRead = removed.KeysInstalled > 0 || removed.Accepted.Count > 0 || member.Receive(ticket.Message).IsAccepted;
        }
        finally
        {
            ticket.Done.TrySetResult();
        }
        var remainingRead = ticket.WitnessRead;
        report.Findings.Rekeyed(!removedRead, remainingRead);
        if (removedRead)
            return Fail(device, "group: the removed member read the next message");
        if (!remainingRead)
            return Fail(device, "group: the remaining member did not read the message after the rekey");
        report.Event(RefusedEvent);
        return true;
    }

    private static bool Fail(DemoDevice device, string reason)
    {
        device.FailureReason = reason;
        return false;
    }
}
