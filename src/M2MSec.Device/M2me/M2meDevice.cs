using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Serialization;
using M2MSec.Device.Tre;
using M2MSec.Device.Tre.Hardware;

namespace M2MSec.Device.M2me;

/// <summary>The two kinds of MTC device of the seeds.</summary>
public enum M2meKind
{
    /// <summary>TR 33.868: the USIM on a UICC, configured over the air.</summary>
    Uicc,

    /// <summary>TR 33.812: the subscription (MCIM) provisioned into the TRE.</summary>
    Tre,
}

/// <summary>What a device directory says about itself in device.json — public facts only.</summary>
public sealed record M2meInfo(M2meKind Kind, string Pcid, string TreId, DateTimeOffset ManufacturedAt);

/// <summary>A device's state as `m2msec device show` prints it: never a secret.</summary>
public sealed record M2meStatus(M2meInfo Info, TreStatus Tre);

/// <summary>What `m2msec device tamper` can do to a device, for demonstrations and tests.</summary>
public enum TamperKind
{
    /// <summary>Flip one bit of the sealed store.</summary>
    Store,

    /// <summary>Put back an older copy of the sealed store.</summary>
    Rollback,

    /// <summary>Change a firmware image.</summary>
    Firmware,
}

/// <summary>
/// A simulated M2ME: ME + TRE (+ a UICC, which the OTA work adds), persisted in its own data
/// directory (device.json, firmware/, tre/); its fuse and replay-protected memory live in the fuse
/// directory outside it. Cheap to open: thousands run in one process.
/// </summary>
public sealed partial class M2meDevice
{
    public const string FuseEnvironmentVariable = global::M2MSec.Device.Tre.Hardware.DeviceFuse.EnvironmentVariable;
    private const string InfoFile = "device.json";
    private static readonly string[] FirmwareImages = ["baseband.img", "application.img"];

    private M2meDevice(string dataDirectory, M2meInfo info, TrustedEnvironment tre)
    {
        DataDirectory = dataDirectory;
        Info = info;
        Tre = tre;
    }

    public string DataDirectory { get; }

    public M2meInfo Info { get; }

    /// <summary>The device's TRE: the only way to its keys and protected objects.</summary>
    public TrustedEnvironment Tre { get; }

    public M2meStatus Status => new(Info, Tre.GetStatus());

    private static string TreDirectory(string data) => Path.Combine(data, "tre");

    private static string FirmwareDirectory(string data) => Path.Combine(data, "firmware");

    /// <summary>Manufactures a device: identities, TRE keys, firmware images and their reference measurements.</summary>
    public static M2meDevice Create(string dataDirectory, string fuseDirectory, string pcid, M2meKind kind, string? treId = null,
        TimeProvider? time = null, IReadOnlyDictionary<string, byte[]>? timeAuthorities = null,
        M2MSec.Pki.Authority.KeyAlgorithm platformKey = M2MSec.Pki.Authority.KeyAlgorithm.EcP256)
    {
        ArgumentException.ThrowIfNullOrEmpty(pcid);
        dataDirectory = Path.GetFullPath(dataDirectory);
        CheckFuseOutside(fuseDirectory, dataDirectory);
        if (File.Exists(Path.Combine(dataDirectory, InfoFile)))
            throw new InvalidOperationException($"{dataDirectory} already holds a device");
        treId ??= "TRE-" + Convert.ToHexString(RandomNumberGenerator.GetBytes(8));
        var firmware = FirmwareDirectory(dataDirectory);
        Directory.CreateDirectory(firmware);
        foreach (var image in FirmwareImages)
            File.WriteAllBytes(Path.Combine(firmware, image), RandomNumberGenerator.GetBytes(4096));
        var tre = TrustedEnvironment.Manufacture(TreDirectory(dataDirectory), fuseDirectory, treId, pcid, firmware, time, timeAuthorities, platformKey);
        var info = new M2meInfo(kind, pcid, treId, (time ?? TimeProvider.System).GetUtcNow());
        File.WriteAllBytes(Path.Combine(dataDirectory, InfoFile), JsonSerializer.SerializeToUtf8Bytes(info, M2meJson.Default.M2meInfo));
        return new M2meDevice(dataDirectory, info, tre);
    }

    /// <summary>
    /// The reference measurements as the manufacturer computes them from the firmware images it built and wrote (SHA-256 per
    /// image) — the factory's own record for the PVA, never read from the device's TRE.
    /// </summary>
    public static IReadOnlyDictionary<string, byte[]> BuiltFirmwareMeasurements(string dataDirectory) =>
        TrustedEnvironment.Measure(FirmwareDirectory(Path.GetFullPath(dataDirectory)));

    /// <summary>Whether <paramref name="dataDirectory"/> holds a device (its device.json).</summary>
    public static bool Exists(string dataDirectory) => File.Exists(Path.Combine(Path.GetFullPath(dataDirectory), InfoFile));

    /// <summary>Whether the fuses of TRE <paramref name="treId"/> are burnt in <paramref name="fuseDirectory"/>.</summary>
    public static bool FuseBurnt(string fuseDirectory, string treId) =>
        File.Exists(Path.Combine(global::M2MSec.Device.Tre.Hardware.DeviceFuse.SlotFor(Path.GetFullPath(fuseDirectory), treId), "fuse.key"));

    /// <summary>Powers a device on: reads device.json and boots its TRE (which may come up in lockdown).</summary>
    public static M2meDevice Open(string dataDirectory, string fuseDirectory, TimeProvider? time = null)
    {
        dataDirectory = Path.GetFullPath(dataDirectory);
        var info = ReadInfo(dataDirectory);
        var tre = TrustedEnvironment.Boot(TreDirectory(dataDirectory), fuseDirectory, info.TreId, FirmwareDirectory(dataDirectory), time);
        return new M2meDevice(dataDirectory, info, tre);
    }

    public static M2meInfo ReadInfo(string dataDirectory)
    {
        var path = Path.Combine(dataDirectory, InfoFile);
        if (!File.Exists(path))
            throw new FileNotFoundException($"{dataDirectory} holds no device (no {InfoFile})", path);
        try
        {
            return JsonSerializer.Deserialize(File.ReadAllBytes(path), M2meJson.Default.M2meInfo)
                ?? throw new InvalidDataException($"{path} is empty");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path} is not a device description: {e.Message}", e);
        }
    }

    /// <summary>Tampers with a device's files the way an attacker with access to its storage would.</summary>
    public static string Tamper(string dataDirectory, string fuseDirectory, TamperKind what)
    {
        dataDirectory = Path.GetFullPath(dataDirectory);
        var info = ReadInfo(dataDirectory);
        var sealedRecord = new DurableRecord(Path.Combine(TreDirectory(dataDirectory), TrustedEnvironment.SealedFileName));
        switch (what)
        {
            case TamperKind.Store:
                {
                    var sealedFile = sealedRecord.NewestFile ?? sealedRecord.LegacyPath;
                    var bytes = File.ReadAllBytes(sealedFile);
                    var bit = RandomNumberGenerator.GetInt32(bytes.Length * 8);
                    bytes[bit / 8] ^= (byte)(1 << (bit % 8));
                    File.WriteAllBytes(sealedFile, bytes);
                    return $"flipped bit {bit} of {sealedFile}";
                }
            case TamperKind.Rollback:
                {
                    var old = sealedRecord.CopyFiles();
                    // Let the device make one legitimate write, then put the old copies back.
                    var tre = TrustedEnvironment.Boot(TreDirectory(dataDirectory), fuseDirectory, info.TreId, FirmwareDirectory(dataDirectory));
                    tre.WriteObject(TreCaller.Manufacturer, "cert/rollback-probe", RandomNumberGenerator.GetBytes(8));
                    DurableRecord.RestoreFiles(old);
                    return $"restored an older copy of {sealedRecord.LegacyPath}";
                }
            case TamperKind.Firmware:
                {
                    var image = Path.Combine(FirmwareDirectory(dataDirectory), FirmwareImages[^1]);
                    var bytes = File.ReadAllBytes(image);
                    bytes[0] ^= 0x01;
                    File.WriteAllBytes(image, bytes);
                    return $"changed one byte of {image}";
                }
            default:
                throw new ArgumentOutOfRangeException(nameof(what));
        }
    }

    private static void CheckFuseOutside(string fuseDirectory, string dataDirectory)
    {
        ArgumentException.ThrowIfNullOrEmpty(fuseDirectory);
        var fuse = Path.GetFullPath(fuseDirectory).TrimEnd(Path.DirectorySeparatorChar) + Path.DirectorySeparatorChar;
        var data = dataDirectory.TrimEnd(Path.DirectorySeparatorChar) + Path.DirectorySeparatorChar;
        if (fuse.StartsWith(data, StringComparison.Ordinal) || data.StartsWith(fuse, StringComparison.Ordinal))
            throw new ArgumentException($"the fuse directory {fuse} must be apart from the device directory {data}", nameof(fuseDirectory));
    }
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, UseStringEnumConverter = true, WriteIndented = true)]
[JsonSerializable(typeof(M2meInfo))]
internal sealed partial class M2meJson : JsonSerializerContext;
