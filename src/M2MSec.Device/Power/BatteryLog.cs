using System.Text.Json;
using System.Text.Json.Serialization;

namespace M2MSec.Device.Power;

/// <summary>
/// The battery meter's totals kept in a device directory (issue 17: `m2msec device battery`), battery.json: the counts per
/// event (the energy follows from the profile, labelled with its source). Written atomically.
/// </summary>
public static class BatteryLog
{
    public const string FileName = "battery.json";

    /// <summary>The meter as the device directory left it (all zero when nothing was counted yet).</summary>
    public static BatteryMeter Load(string deviceDirectory, BatteryProfile? profile = null)
    {
        var path = Path.Combine(deviceDirectory, FileName);
        if (!File.Exists(path))
            return new BatteryMeter(profile);
        Counts counts;
        try
        {
            counts = JsonSerializer.Deserialize(File.ReadAllBytes(path), BatteryJson.Default.Counts) ?? throw new InvalidDataException($"{path} is empty");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path} is not a battery log: {e.Message}", e);
        }
        return new BatteryMeter(profile, new BatteryReading(counts.WakeUps, counts.PagingChecks, counts.ConnectionSetups, counts.BytesSent, 0, 1, ""));
    }

    public static void Save(string deviceDirectory, BatteryMeter meter)
    {
        ArgumentNullException.ThrowIfNull(meter);
        var r = meter.Reading;
        var path = Path.Combine(deviceDirectory, FileName);
        var temp = path + ".tmp";
        File.WriteAllBytes(temp, JsonSerializer.SerializeToUtf8Bytes(new Counts(r.WakeUps, r.PagingChecks, r.ConnectionSetups, r.BytesSent), BatteryJson.Default.Counts));
        File.Move(temp, path, overwrite: true);
    }

    internal sealed record Counts(long WakeUps, long PagingChecks, long ConnectionSetups, long BytesSent);
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, WriteIndented = true)]
[JsonSerializable(typeof(BatteryLog.Counts))]
internal sealed partial class BatteryJson : JsonSerializerContext;
