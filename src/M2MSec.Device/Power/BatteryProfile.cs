namespace M2MSec.Device.Power;

/// <summary>
/// What each radio event costs the device's battery (issue 17; docs/decisions/026). Every figure carries where it comes from:
/// <see cref="Assumed"/> is a labelled assumption (no module data sheet was available here), never a measurement.
/// </summary>
public sealed record BatteryProfile(
    double WakeUpMillijoules,
    double PagingCheckMillijoules,
    double ConnectionSetupMillijoules,
    double MillijoulesPerByteSent,
    double CapacityJoules,
    string Source)
{
    /// <summary>
    /// Order-of-magnitude assumptions for an LTE-M/NB-IoT module on a 3.6 V primary cell (decision 026 explains each); configurable.
    /// </summary>
    public static BatteryProfile Assumed { get; } = new(
        WakeUpMillijoules: 0.5,
        PagingCheckMillijoules: 1.0,
        ConnectionSetupMillijoules: 400,
        MillijoulesPerByteSent: 0.05,
        CapacityJoules: 33_700,
        Source: "assumption (docs/decisions/026-battery-model.md): no module data sheet available; order of magnitude for LTE-M/NB-IoT at 3.6 V");

    /// <summary>Refuses negative or non-finite figures and a capacity that is not positive.</summary>
    public void Validate()
    {
        foreach (var (name, value) in new[] { ("wake_up_mj", WakeUpMillijoules), ("paging_check_mj", PagingCheckMillijoules),
            ("connection_setup_mj", ConnectionSetupMillijoules), ("mj_per_byte_sent", MillijoulesPerByteSent) })
        {
            if (!double.IsFinite(value) || value < 0)
                throw new ArgumentException($"{name}: a finite, non-negative number of millijoules");
        }
        if (!double.IsFinite(CapacityJoules) || CapacityJoules <= 0)
            throw new ArgumentException("capacity_j: a positive number of joules");
        if (string.IsNullOrWhiteSpace(Source))
            throw new ArgumentException("source: say where the figures come from");
    }
}
