using M2MSec.Device.M2me;
using M2MSec.Device.Provisioning;
using M2MSec.NetworkFunctions.Hss;
using M2MSec.NetworkFunctions.Sho;

namespace M2MSec.Cli.Demo.Stages;

/// <summary>
/// Issue 16, change of subscription (docs/decisions/021): every tenth TRE-based device moves to the second SHO "sho-b". One stage per
/// step as the device and its old SHO live it — the owner hands sho-b the token and sho-b starts the change at the RO; the device's
/// DM sessions run designation, validation and the new MCIM's install, and it attaches with sho-b's IMSI; the old SHO's own disable
/// and delete instructions remove the old MCIM; the old IMSI's AKA is refused by the old SHO's HSS. Each row counts its devices.
/// </summary>
internal sealed class ChangeOfSubscriptionStage(int step, string name) : IDemoStage
{
    public const string MovedEvent = "subscription-moved";
    public const string OldDeletedEvent = "old-mcim-deleted";
    public const string OldImsiRefusedEvent = "old-imsi-aka-refused";

    /// <summary>Every tenth TRE-based device (TRE-based devices are the even ones).</summary>
    private const int Every = 10;

    public static IReadOnlyList<IDemoStage> All { get; } =
    [
        new ChangeOfSubscriptionStage(0, "Change to sho-b"),
        new ChangeOfSubscriptionStage(1, "Old MCIM deleted"),
        new ChangeOfSubscriptionStage(2, "Old IMSI refused"),
    ];

    public string Name => name;

    /// <summary>Whether the demo moves <paramref name="device"/> to sho-b.</summary>
    public static bool Moves(DemoDevice device) => device.Kind == M2meKind.Tre && device.Index % (2 * Every) == 0;

    public bool AppliesTo(DemoDevice device) => Moves(device);

    private static McimDownloadOptions Poll(Func<bool>? until = null) =>
        new() { PollInterval = TimeSpan.FromMilliseconds(100), Deadline = TimeSpan.FromMinutes(2), StopWhen = until };

    public async Task<bool> RunAsync(DemoDevice device, DemoEnvironment environment, DemoReport report, CancellationToken cancellationToken)
    {
        var m2me = device.M2me!;
        try
        {
            switch (step)
            {
                case 0:
                    {
                        device.PreviousImsi = m2me.Tre.InstalledMcims().ActiveImsi;
                        if (device.AuthToken is { } token)
                            await environment.SetAuthorisationTokenAsync(ShoOptions.SecondShoId, device.Imsi, token, cancellationToken);
                        await environment.RequestChangeAsync(ShoOptions.SecondShoId, device.Imsi, cancellationToken);
                        var before = device.PreviousImsi;
                        using var change = new M2meSubscriptionChange(m2me, environment.ProvisioningEndpoints,
                            Poll(() => m2me.Tre.InstalledMcims().ActiveImsi is { } a && a != before))
                        { IdleSessions = 1000 };
                        var result = await change.RunSessionsAsync(cancellationToken);
                        if (!result.Changed)
                            return Fail(device, result.Outcome == "refused" ? "change-refused" : "change-" + result.Outcome, $"{Name}: {result.Outcome}: {result.Detail}");
                        device.ProvisionedImsi = result.NewImsi;
                        await change.AttachAsync(cancellationToken);
                        report.Event(MovedEvent);
                        return true;
                    }
                case 1:
                    {
                        using var change = new M2meSubscriptionChange(m2me, environment.ProvisioningEndpoints, Poll()) { IdleSessions = 1000 };
                        var result = await change.RunSessionsAsync(cancellationToken, device.PreviousImsi);
                        if (!result.OldDeleted)
                            return Fail(device, "old-mcim-kept", $"{Name}: {result.Outcome}: {result.Detail}");
                        report.Event(OldDeletedEvent);
                        return true;
                    }
                default:
                    {
                        // The old SHO retires the IMSI once the TRE confirmed the delete (a moment after the device's session).
                        var until = DateTimeOffset.UtcNow.AddMinutes(1);
                        while (true)
                        {
                            try
                            {
                                await environment.ServingNetwork.GetVectorsAsync(device.PreviousImsi!, servingNetworkId: AkaStage.ServingNetworkId, ct: cancellationToken);
                            }
                            catch (HssRequestException e) when (e.StatusCode == System.Net.HttpStatusCode.NotFound)
                            {
                                report.Event(OldImsiRefusedEvent);
                                return true;
                            }
                            if (DateTimeOffset.UtcNow > until)
                                return Fail(device, "old-imsi-still-served", $"{Name}: the old SHO's HSS still answers for {device.PreviousImsi}");
                            await Task.Delay(100, cancellationToken);
                        }
                    }
            }
        }
        catch (RoProvisioningException e)
        {
            return Fail(device, e.Code, $"{Name}: {e.Message}");
        }
    }

    private static bool Fail(DemoDevice device, string key, string reason)
    {
        device.FailureKey = key;
        device.FailureReason = reason;
        return false;
    }
}
