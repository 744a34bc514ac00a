using System.Security.Cryptography;
using System.Text;
using M2MSec.Crypto.Metering;

namespace M2MSec.Device.Tre.Hardware;

/// <summary>
/// Emulates the device-unique hardware key (one-time-programmable fuses): 256 bits burnt once at
/// manufacturing, readable only by the TRE, kept apart from the device's data directory (in the
/// fuse directory, `--fuse-dir` or M2MSEC_FUSE_DIR). The TRE never uses it directly: it derives
/// one key per purpose with HKDF.
/// </summary>
internal sealed class DeviceFuse
{
    public const string EnvironmentVariable = "M2MSEC_FUSE_DIR";
    private const int KeySize = 32;
    private readonly byte[] _key;

    private DeviceFuse(string directory, byte[] key)
    {
        Directory = directory;
        _key = key;
    }

    /// <summary>This device's slot in the fuse directory (also home of the replay-protected store).</summary>
    public string Directory { get; }

    public static string SlotFor(string fuseDirectory, string treId) =>
        Path.Combine(fuseDirectory, Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(treId)))[..32]);

    public static DeviceFuse Burn(string fuseDirectory, string treId)
    {
        var slot = SlotFor(fuseDirectory, treId);
        var file = Path.Combine(slot, "fuse.key");
        if (File.Exists(file))
            throw new InvalidOperationException($"the fuses of TRE {treId} are already burnt ({slot})");
        System.IO.Directory.CreateDirectory(slot);
        var key = RandomNumberGenerator.GetBytes(KeySize);
        AtomicFile.Write(file, key);
        return new DeviceFuse(slot, key);
    }

    public static DeviceFuse Read(string fuseDirectory, string treId)
    {
        var slot = SlotFor(fuseDirectory, treId);
        var file = Path.Combine(slot, "fuse.key");
        if (!File.Exists(file))
            throw new FileNotFoundException($"no fuse for TRE {treId} in {fuseDirectory} (--fuse-dir / {EnvironmentVariable})", file);
        var key = File.ReadAllBytes(file);
        if (key.Length != KeySize)
            throw new InvalidDataException($"the fuse of TRE {treId} is damaged");
        return new DeviceFuse(slot, key);
    }

    /// <summary>HKDF-SHA256(fuse key, info = label): one independent key per purpose.</summary>
    public byte[] DeriveKey(string label, int length = 32) =>
        HKDF.DeriveKey(HashAlgorithmName.SHA256, _key, length, salt: [], info: Encoding.UTF8.GetBytes("M2MSec TRE " + label));
}

/// <summary>How many durable (fsynced) device writes — records and file replacements — ran in this process and the time spent in fsync: `bench dm` reports the device's share apart (issue 19).</summary>
public static class DeviceDurableWrites
{
    private static long _count;
    private static long _fsyncTicks;

    /// <summary>Writes so far.</summary>
    public static long Count => Interlocked.Read(ref _count);

    /// <summary>Wall time spent in fsync so far.</summary>
    public static TimeSpan Fsync => System.Diagnostics.Stopwatch.GetElapsedTime(0, Interlocked.Read(ref _fsyncTicks));

    /// <summary>Flushes <paramref name="file"/> to the disk (fsync) and counts it, with the time the flush took.</summary>
    internal static void FlushToDisk(FileStream file)
    {
        var start = System.Diagnostics.Stopwatch.GetTimestamp();
        file.Flush(flushToDisk: true);
        Interlocked.Increment(ref _count);
        Interlocked.Add(ref _fsyncTicks, System.Diagnostics.Stopwatch.GetTimestamp() - start);
    }
}

/// <summary>
/// Writes a file so that a crash leaves either the old or the new content: the device's durable file replacement (each one counted as
/// <see cref="MeteredOperation.DeviceFileReplacement"/>; the demo's calibration times this same write). The TRE's records, written at every
/// session, use the cheaper <see cref="DurableRecord"/>.
/// </summary>
public static class AtomicFile
{
    public static void Write(string path, ReadOnlySpan<byte> content)
    {
        var temp = path + ".tmp";
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        using (var f = new FileStream(temp, options))
        {
            f.Write(content);
            DeviceDurableWrites.FlushToDisk(f);
        }
        OperationMeter.Count(MeteredOperation.DeviceFileReplacement);
        File.Move(temp, path, overwrite: true);
    }
}
