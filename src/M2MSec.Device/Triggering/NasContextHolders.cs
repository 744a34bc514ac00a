using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Serialization;
using M2MSec.Aka;
using M2MSec.Device.Tre;
using M2MSec.Nas.Trigger;

namespace M2MSec.Device.Triggering;

/// <summary>Where a device keeps its last EPS NAS security context (issue 17): the TRE, or the ME's stored context (UICC devices).</summary>
public interface INasContextHolder : ITriggerContext
{
    /// <summary>Whether a context is stored (the device attached with a subscription at least once).</summary>
    bool HasContext { get; }

    /// <summary>Replaces the context after an attach to <paramref name="plmn"/>: K_NASint from <paramref name="kasme"/>, no COUNT accepted yet.</summary>
    void StoreContext(string plmn, ReadOnlySpan<byte> kasme);
}

/// <summary>A TRE-based device: the context lives sealed in the TRE (<see cref="TrustedEnvironment.StoreNasContext"/>); K_NASint never leaves it.</summary>
public sealed class TreNasContextHolder(TrustedEnvironment tre) : INasContextHolder
{
    public bool HasContext => tre.NasContext is not null;

    public string AttachedPlmn => tre.NasContext?.AttachedPlmn ?? "";

    public uint? LastDownlinkCount => tre.NasContext?.LastDownlinkCount;

    public void StoreContext(string plmn, ReadOnlySpan<byte> kasme) => tre.StoreNasContext(TreCaller.Network, plmn, kasme);

    public TriggerVerification Verify(ReadOnlySpan<byte> message) => tre.VerifyTrigger(TreCaller.Network, message);

    public void Accept(uint count) => tre.AcceptTriggerCount(TreCaller.Network, count);

    public byte[] ProtectReport(DeviceReport report) => tre.ProtectReport(TreCaller.Network, report);
}

/// <summary>
/// A UICC-based device: the ME's stored EPS NAS security context (TS 24.301 §4.4.2.1: the ME keeps it in non-volatile memory when
/// the USIM has no EF_EPSNSC), as a real phone does — a file of the device directory (0600), written atomically on every change,
/// so the COUNT survives a restart. Not sealed: the ME has no TRE (decision 025).
/// </summary>
public sealed class MeNasContextHolder : INasContextHolder
{
    private readonly string? _path;
    private readonly Lock _lock = new();
    private Stored? _stored;

    /// <summary>Loads the context from <paramref name="path"/> (null: kept in memory only, the demo's devices).</summary>
    public MeNasContextHolder(string? path)
    {
        _path = path;
        if (path is not null && File.Exists(path))
        {
            _stored = JsonSerializer.Deserialize(File.ReadAllBytes(path), MeNasJson.Default.Stored)
                ?? throw new InvalidDataException($"{path}: not an EPS NAS security context");
            if (!M2MSec.Nas.PlmnIdentity.IsValid(_stored.Plmn) || _stored.KnasInt.Length != 32)
                throw new InvalidDataException($"{path}: not an EPS NAS security context");
        }
    }

    /// <summary>The file name of the ME's stored context in a device directory.</summary>
    public const string FileName = "eps-nas-context.json";

    public bool HasContext
    {
        get
        {
            lock (_lock)
                return _stored is not null;
        }
    }

    public string AttachedPlmn
    {
        get
        {
            lock (_lock)
                return _stored?.Plmn ?? "";
        }
    }

    public uint? LastDownlinkCount
    {
        get
        {
            lock (_lock)
                return _stored?.LastDownlinkCount;
        }
    }

    public void StoreContext(string plmn, ReadOnlySpan<byte> kasme)
    {
        if (!M2MSec.Nas.PlmnIdentity.IsValid(plmn))
            throw new ArgumentException("plmn: MCC (3 digits) + MNC (2 or 3 digits).", nameof(plmn));
        var key = NasKeys.KnasInt(kasme);
        lock (_lock)
        {
            _stored = new Stored(plmn, Convert.ToHexStringLower(key), null);
            SaveLocked();
        }
        CryptographicOperations.ZeroMemory(key);
    }

    public TriggerVerification Verify(ReadOnlySpan<byte> message)
    {
        lock (_lock)
        {
            if (_stored is null)
                return ProtectedTrigger.Verify(new byte[16], null, "", message);
            var key = Convert.FromHexString(_stored.KnasInt);
            try
            {
                return ProtectedTrigger.Verify(key, _stored.LastDownlinkCount, _stored.Plmn, message);
            }
            finally
            {
                CryptographicOperations.ZeroMemory(key);
            }
        }
    }

    public void Accept(uint count)
    {
        lock (_lock)
        {
            if (_stored is null)
                throw new InvalidOperationException("no EPS NAS security context");
            if (_stored.LastDownlinkCount is { } last && count <= last)
                throw new InvalidOperationException("the downlink COUNT only moves forward");
            _stored = _stored with { LastDownlinkCount = count };
            SaveLocked();
        }
    }

    /// <summary>The next uplink COUNT is written to the file (atomically) before the protected report is returned.</summary>
    public byte[] ProtectReport(DeviceReport report)
    {
        lock (_lock)
        {
            if (_stored is null)
                throw new InvalidOperationException("no EPS NAS security context: attach first");
            var count = _stored.NextUplinkCount;
            if (count > ProtectedTrigger.MaxCount)
                throw new InvalidOperationException("the NAS uplink COUNT is exhausted: attach again");
            _stored = _stored with { NextUplinkCount = count + 1 };
            SaveLocked();
            var key = Convert.FromHexString(_stored.KnasInt);
            try
            {
                return DeviceReportProtection.Protect(key, count, report);
            }
            finally
            {
                CryptographicOperations.ZeroMemory(key);
            }
        }
    }

    private void SaveLocked()
    {
        if (_path is null)
            return;
        var temp = _path + ".tmp";
        File.WriteAllBytes(temp, JsonSerializer.SerializeToUtf8Bytes(_stored!, MeNasJson.Default.Stored));
        if (!OperatingSystem.IsWindows())
            File.SetUnixFileMode(temp, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        File.Move(temp, _path, overwrite: true);
    }

    internal sealed record Stored(string Plmn, string KnasInt, uint? LastDownlinkCount)
    {
        /// <summary>Issue 17: the next NAS uplink COUNT (device state reports); 0 in a file written before it existed.</summary>
        public uint NextUplinkCount { get; init; }
    }
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(MeNasContextHolder.Stored))]
internal sealed partial class MeNasJson : JsonSerializerContext;
