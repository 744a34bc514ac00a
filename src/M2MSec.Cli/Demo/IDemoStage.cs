namespace M2MSec.Cli.Demo;

/// <summary>
/// One step of every device's flow. Stages run in order for each device; a stage that throws
/// or returns false fails the device. Later work adds stages (provisioning, DM, OTA, triggers).
/// </summary>
internal interface IDemoStage
{
    string Name { get; }

    /// <summary>Whether the stage concerns this kind of device (TRE-based or UICC-based); a device skips the others.</summary>
    bool AppliesTo(DemoDevice device) => true;

    Task<bool> RunAsync(DemoDevice device, DemoEnvironment environment, DemoReport report, CancellationToken cancellationToken);
}
