using M2MSec.Device.M2me;

namespace M2MSec.Cli.Demo;

/// <summary>
/// The demo's last lines: commands that inspect the state it left (a device, its DM job, the HSS audit log), with the
/// actual --data paths. They need no --kek-file or --fuse-dir: the demo used the same defaults they do.
/// </summary>
internal static class DemoNextSteps
{
    public static void Write(TextWriter output, string dataDirectory)
    {
        var devices = Path.Combine(dataDirectory, "devices");
        var device = Directory.Exists(devices)
            ? new DirectoryInfo(devices).EnumerateDirectories().Where(d => M2meDevice.Exists(d.FullName)).MaxBy(d => d.CreationTimeUtc)
            : null;
        output.WriteLine("Inspect what the demo left:");
        if (device is not null)
        {
            output.WriteLine($"  m2msec device show --data {Quote(device.FullName)}");
            string? treId = null;
            try
            {
                treId = M2meDevice.ReadInfo(device.FullName).TreId;
            }
            catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException)
            {
                // No DM line for a device whose description cannot be read.
            }
            if (treId is not null)
                output.WriteLine($"  m2msec dm job show --data {Quote(Path.Combine(dataDirectory, M2MSec.NetworkFunctions.Hosting.NetworkFunctionRole.Dm))} --dev-id {treId}");
        }
        output.WriteLine($"  m2msec audit show --data {Quote(Path.Combine(dataDirectory, M2MSec.NetworkFunctions.Hosting.NetworkFunctionRole.Hss))} --since 1h");
    }

    private static string Quote(string path) =>
        path.Any(c => char.IsWhiteSpace(c) || c is '\'' or '"' or '$' or '\\') ? "'" + path.Replace("'", "'\\''", StringComparison.Ordinal) + "'" : path;
}
