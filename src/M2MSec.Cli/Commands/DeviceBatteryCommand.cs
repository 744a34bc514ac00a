using System.CommandLine;
using M2MSec.Cli.Internal;
using M2MSec.Device.M2me;
using M2MSec.Device.Power;

namespace M2MSec.Cli.Commands;

/// <summary>
/// `m2msec device battery --data DIR` (issue 17, docs/decisions/026): the battery meter's totals the device directory keeps
/// (battery.json) — wake-ups, paging checks, radio connection set-ups, bytes sent — and the energy they stand for under the
/// profile, labelled with where its figures come from (assumptions, not measurements).
/// </summary>
internal static class DeviceBatteryCommand
{
    public static Command Create(Option<string> data)
    {
        var json = CliArgs.Flag("--json", "print one JSON object (snake_case)");
        var battery = new Command("battery", "The battery meter's totals per event and the energy they cost (labelled assumptions)") { data, json };
        CliArgs.Required(battery, data);
        battery.SetAction(r =>
        {
            var dir = CliPaths.Check("--data", r.GetRequiredValue(data), PathKind.ExistingDirectory);
            if (!M2meDevice.Exists(dir))
                throw CliExitException.Bad($"--data: {dir} holds no device");
            BatteryMeter meter;
            try
            {
                meter = CliPaths.Guard("--data", dir, () => BatteryLog.Load(dir));
            }
            catch (InvalidDataException e)
            {
                throw CliExitException.Bad($"--data: {e.Message}");
            }
            var reading = meter.Reading;
            var p = meter.Profile;
            CliOutput.Write(r, r.GetValue(json),
            [
                new("wake_ups", reading.WakeUps), new("paging_checks", reading.PagingChecks), new("connection_setups", reading.ConnectionSetups),
                new("bytes_sent", reading.BytesSent), new("consumed_j", Math.Round(reading.ConsumedJoules, 6)),
                new("remaining_fraction", Math.Round(reading.RemainingFraction, 9)),
                new("profile", $"wake-up {p.WakeUpMillijoules} mJ, paging check {p.PagingCheckMillijoules} mJ, set-up {p.ConnectionSetupMillijoules} mJ, {p.MillijoulesPerByteSent} mJ/byte, {p.CapacityJoules} J"),
                new("source", reading.Source),
            ]);
            return ExitCodes.Success;
        });
        return battery;
    }
}
