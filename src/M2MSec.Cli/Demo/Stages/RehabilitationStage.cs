using M2MSec.Device.M2me;
using M2MSec.Device.Provisioning;
using M2MSec.Device.Tre;

namespace M2MSec.Cli.Demo.Stages;

/// <summary>
/// Issue 16, rehabilitation of a locked-down TRE over the network (docs/decisions/020): a small share of the provisioned TRE fleet
/// gets a firmware update. For the first two, the manufacturer registers the update's measurements at the CCIF (which passes them
/// to the PVA); the device boots it, locks for the measurement mismatch, sends fresh evidence through the DPF's device listener,
/// the PVA signs a rehabilitation statement, the TRE accepts it and the device attaches again with its MCIM. Another boots a
/// modification nobody registered: the PVA judges it invalid and the TRE stays locked (no AKA) — the expected outcome, counted in its own row.
/// </summary>
internal sealed class RehabilitationStage(bool registered, string name, params int[] indices) : IDemoStage
{
    public const string RehabilitatedEvent = "tre-rehabilitated";
    public const string StayedLockedEvent = "tre-stayed-locked";

    /// <summary>
    /// The two rows: devices 2 and 6 (TRE-based: even indices) with a registered update, device 4 with an unregistered one — so that
    /// a fleet of 5 already shows both.
    /// </summary>
    public static IReadOnlyList<IDemoStage> All { get; } =
    [
        new RehabilitationStage(true, "Rehabilitation (PVA)", 2, 6),
        new RehabilitationStage(false, "Unknown fw: locked", 4),
    ];

    public string Name => name;

    public bool AppliesTo(DemoDevice device) => device.Kind == M2meKind.Tre && indices.Contains(device.Index);

    public async Task<bool> RunAsync(DemoDevice device, DemoEnvironment environment, DemoReport report, CancellationToken cancellationToken)
    {
        var dir = device.M2me!.DataDirectory;
        // The firmware changes; the manufacturer registers the images it built (never read from the device) — or nobody does.
        M2meDevice.Tamper(dir, environment.FuseDirectory, TamperKind.Firmware);
        if (registered)
            await environment.Ccif.RegisterFirmwareUpdateAsync(device.Imsi, M2meDevice.BuiltFirmwareMeasurements(dir), cancellationToken);
        // The next boot measures the new image: locked down, attestation only.
        var m2me = device.M2me = M2meDevice.Open(dir, environment.FuseDirectory);
        if (m2me.Tre.LockdownReason != LockdownReason.FirmwareMeasurement)
        {
            device.FailureReason = $"the TRE did not lock down for the firmware change ({m2me.Tre.LockdownReason?.ToString() ?? "not locked"})";
            return false;
        }
        using var dpf = TreRehabilitationClient.DpfClient(m2me, environment.DpfDevice);
        var outcome = await TreRehabilitationClient.RehabilitateAsync(m2me, dpf, cancellationToken);
        if (!registered)
        {
            if (outcome.IsRehabilitated || !m2me.Tre.IsLocked)
            {
                device.FailureReason = "an unregistered firmware modification was rehabilitated";
                return false;
            }
            report.Event(StayedLockedEvent);
            return true;
        }
        if (!outcome.IsRehabilitated)
        {
            device.FailureReason = $"rehabilitation refused: {outcome.Code}: {outcome.Detail}";
            device.FailureKey = "rehabilitation-" + (outcome.Code ?? "refused");
            return false;
        }
        report.Event(RehabilitatedEvent);
        // Decision 020 step 6: the store was never released while locked, so the MCIM is there and AKA runs again: attach with it.
        if (m2me.Tre.InstalledMcims().ActiveImsi is { } imsi)
        {
            using var vno = RoProvisioningClient.Client(environment.ProvisioningEndpoints.VnoDevice, environment.OperatorRoot);
            await RoProvisioningClient.AttachAsync(m2me, imsi, vno, cancellationToken);
        }
        return true;
    }
}
