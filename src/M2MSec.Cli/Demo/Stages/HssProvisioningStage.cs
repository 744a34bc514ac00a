namespace M2MSec.Cli.Demo.Stages;

/// <summary>The operator's provisioning system loads each subscription (K, OPc, AMF) into the HSS over its API.</summary>
internal sealed class HssProvisioningStage : IDemoStage
{
    private static readonly byte[] DefaultAmf = [0x80, 0x00];

    public string Name => "HSS provisioning";

    /// <summary>UICC-based devices: a TRE-based device's IMSI enters the SHO's HSS at step 21 of its provisioning.</summary>
    public bool AppliesTo(DemoDevice device) => device.Kind == Device.M2me.M2meKind.Uicc;

    public async Task<bool> RunAsync(DemoDevice device, DemoEnvironment environment, DemoReport report, CancellationToken cancellationToken)
    {
        await environment.Hss.AddSubscriberAsync(device.Imsi, device.K, device.Opc, DefaultAmf, cancellationToken);
        return true;
    }
}
